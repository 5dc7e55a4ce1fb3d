package wire

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Header names of the protocol.
const (
	HeaderSDKVersion  = "X-Daytona-SDK-Version"
	HeaderSource      = "X-Daytona-Source"
	HeaderSplitOutput = "X-Daytona-Split-Output"
	HeaderRequestID   = "X-Request-Id"
	// SubprotocolPrefix starts a WebSocket subprotocol carrying the version.
	SubprotocolPrefix = "X-Daytona-SDK-Version~"
	// ExitControlProtocol is the PTY subprotocol by which a client says it
	// understands the "exited" control frame (docs/protocol.md §12.2).
	ExitControlProtocol = "X-Daytona-Pty-Exit-Control"
	// EnvsProtocolPrefix starts the create-connect subprotocol carrying
	// the PTY's environment as unpadded base64url JSON (§12.1).
	EnvsProtocolPrefix = "X-Daytona-Pty-Envs~"
)

// ClientVersion is the SDK version the remote client announces: modern, so
// the server splits stdout and stderr, and recent enough for structured
// error bodies (docs/protocol.md §12.3).
const ClientVersion = "0.218.0"

// Class is how the server must treat a client, derived from its SDK version
// (docs/protocol.md §1.4).
type Class struct {
	// Version is the resolved version string ("" when none was sent).
	Version string
	// Combined: strip markers and merge stdout and stderr.
	Combined bool
	// SkipDemux: no server-side stdout/stderr split; logs as text/plain.
	SkipDemux bool
	// LegacyCwd: new session shells start in $HOME.
	LegacyCwd bool
	// Subprotocol is the offered version subprotocol, if any.
	Subprotocol string
	// Structured: the client reads structured ErrorResponse bodies with
	// daemon codes (SDK 0.201.0 and later, or a dev version).
	Structured bool
}

// Modern reports whether the client gets split stdout/stderr and JSON logs.
func (c Class) Modern() bool { return !c.Combined && !c.SkipDemux }

// ClassOf resolves the client class of r exactly as the reference server
// does.
func ClassOf(r *http.Request) Class {
	var c Class
	for _, p := range websocketProtocols(r) {
		if strings.HasPrefix(p, SubprotocolPrefix) {
			c.Subprotocol = p
			break
		}
	}
	v := r.Header.Get(HeaderSDKVersion)
	if v == "" && c.Subprotocol != "" {
		_, v, _ = strings.Cut(c.Subprotocol, "~")
	}
	c.Version = v
	core, ok := parseVersion(v)
	dev := strings.Contains(v, "dev")
	below := func(maj, minor, patch int) bool {
		return lessCore(core, [3]int{maj, minor, patch})
	}
	c.LegacyCwd = ok && below(0, 103, 0) && v != "0.0.0-dev"
	c.Combined = (ok && below(0, 27, 0) && !dev) ||
		(v == "" && r.Header.Get(HeaderSplitOutput) != "true")
	c.SkipDemux = v == "" || !ok || (!dev && below(0, 167, 0))
	c.Structured = ok && (dev || !below(0, 201, 0))
	return c
}

// Offers reports whether the WebSocket upgrade r offers subprotocol token.
func Offers(r *http.Request, token string) bool {
	for _, p := range websocketProtocols(r) {
		if p == token {
			return true
		}
	}
	return false
}

// SelectSubprotocol picks the subprotocol a server echoes for the upgrade r
// (docs/protocol.md §12.1): the exit-control token when offered, else the
// first version token, else none. An envs token is never echoed (it is long
// and may hold secrets), nor any token the server does not know.
func SelectSubprotocol(r *http.Request) string {
	offered := websocketProtocols(r)
	for _, p := range offered {
		if p == ExitControlProtocol {
			return p
		}
	}
	for _, p := range offered {
		if strings.HasPrefix(p, SubprotocolPrefix) {
			return p
		}
	}
	return ""
}

// EnvsFromProtocols decodes the create-connect envs token of r, if one was
// offered: base64url (padded or not) of a JSON object of strings. ok is
// false when no token was offered.
func EnvsFromProtocols(r *http.Request) (env map[string]string, ok bool, err error) {
	for _, p := range websocketProtocols(r) {
		enc, found := strings.CutPrefix(p, EnvsProtocolPrefix)
		if !found {
			continue
		}
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(enc, "="))
		if err != nil {
			return nil, true, fmt.Errorf("envs subprotocol: %w", err)
		}
		if err := json.Unmarshal(b, &env); err != nil {
			return nil, true, fmt.Errorf("envs subprotocol: %w", err)
		}
		return env, true, nil
	}
	return nil, false, nil
}

// EnvsProtocol encodes env as the create-connect envs token.
func EnvsProtocol(env map[string]string) (string, error) {
	b, err := json.Marshal(env)
	if err != nil {
		return "", err
	}
	return EnvsProtocolPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

func websocketProtocols(r *http.Request) []string {
	var out []string
	for _, h := range r.Header.Values("Sec-Websocket-Protocol") {
		for _, p := range strings.Split(h, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// lessCore compares major.minor.patch triples. Comparing against X.Y.Z-0
// (the smallest pre-release of X.Y.Z) reduces to comparing the triples,
// because every version with core X.Y.Z is at least X.Y.Z-0.
func lessCore(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// parseVersion parses a loose semantic version ("v1.2.3", "1.2", "1.2.3foo"
// which is read as 1.2.3-foo) and returns its core triple.
func parseVersion(v string) ([3]int, bool) {
	var core [3]int
	s := strings.TrimPrefix(v, "v")
	if s == "" {
		return core, false
	}
	// Split off pre-release/build; "1.2.3foo" is normalised to "1.2.3-foo".
	end := 0
	for end < len(s) && (s[end] == '.' || (s[end] >= '0' && s[end] <= '9')) {
		end++
	}
	rest := s[end:]
	if rest != "" {
		if rest[0] == '+' || rest[0] == '-' {
			rest = rest[1:]
		}
		if rest == "" {
			return core, false
		}
		for _, id := range strings.FieldsFunc(rest, func(r rune) bool { return r == '.' || r == '+' }) {
			for _, r := range id {
				if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
					return core, false
				}
			}
		}
	}
	parts := strings.Split(s[:end], ".")
	if len(parts) > 3 || len(parts) == 0 {
		return core, false
	}
	for i, p := range parts {
		if p == "" || (len(p) > 1 && p[0] == '0') {
			return core, false
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			return core, false
		}
		core[i] = n
	}
	return core, true
}
