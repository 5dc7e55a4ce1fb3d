package client

import "errors"

// Kind is one class of failure: its sentinel error and the names it goes by
// outside Go. It is the single table that the server, the remote client and
// the Lua host translate through, so a new kind is added here and nowhere
// else.
type Kind struct {
	// Err is the sentinel; errors.Is(err, k.Err) classifies an error.
	Err error
	// Name is the short name shown to users and scripts (the third value
	// of a failed Lua call, the kind of a CLI error): "not_found",
	// "invalid", ...
	Name string
	// Wire is the name carried in the procshKind field of error bodies on
	// the wire.
	Wire string
}

// kinds lists every sentinel, most specific first: KindOf returns the first
// one an error matches.
var kinds = []Kind{
	{ErrNotFound, "not_found", "not_found"},
	{ErrConflict, "conflict", "conflict"},
	{ErrInvalidArgument, "invalid", "invalid_argument"},
	{ErrTimeout, "timeout", "timeout"},
	{ErrClosed, "closed", "closed"},
	{ErrUnsupported, "unsupported", "unsupported"},
	{ErrUnauthorized, "unauthorized", "unauthorized"},
	{ErrUnavailable, "unavailable", "unavailable"},
}

// Kinds returns the kind table, a copy the caller may keep.
func Kinds() []Kind { return append([]Kind(nil), kinds...) }

// KindOf returns the sentinel that err matches, or nil if none does.
func KindOf(err error) error {
	if k, ok := lookupErr(err); ok {
		return k.Err
	}
	return nil
}

// KindName returns the short name of err's kind ("not_found", "invalid",
// ...), or "" when err matches no sentinel.
func KindName(err error) string {
	k, _ := lookupErr(err)
	return k.Name
}

// WireKind returns the wire name of err's kind, or "" when err matches no
// sentinel.
func WireKind(err error) string {
	k, _ := lookupErr(err)
	return k.Wire
}

// KindFromWire returns the sentinel named by a procshKind value, or nil for
// an unknown name.
func KindFromWire(name string) error {
	for _, k := range kinds {
		if k.Wire == name {
			return k.Err
		}
	}
	return nil
}

// KindFromName returns the sentinel with the given short name, or nil.
func KindFromName(name string) error {
	for _, k := range kinds {
		if k.Name == name {
			return k.Err
		}
	}
	return nil
}

func lookupErr(err error) (Kind, bool) {
	if err == nil {
		return Kind{}, false
	}
	for _, k := range kinds {
		if errors.Is(err, k.Err) {
			return k, true
		}
	}
	return Kind{}, false
}
