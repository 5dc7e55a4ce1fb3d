//go:build linux

package local

import (
	"sort"
	"strings"

	"github.com/procsh/procsh/client"
)

// mergeEnv returns base followed by the map's pairs in key order, so the
// map wins (exec and getenv take the last entry).
func mergeEnv(base []string, extra map[string]string) []string {
	out := make([]string, 0, len(base)+len(extra)+1)
	out = append(out, base...)
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, k+"="+extra[k])
	}
	return out
}

// checkSessionID applies the id rules of client.SessionOptions.
func checkSessionID(op, id string) error {
	switch {
	case id == "":
		return client.Errorf(op, client.ErrInvalidArgument, "session id is empty")
	case id == "entrypoint":
		return client.Errorf(op, client.ErrInvalidArgument, "session id %q is reserved", id)
	case strings.Contains(id, "/"), strings.Contains(id, ".."):
		return client.Errorf(op, client.ErrInvalidArgument, "session id %q must not contain '/' or '..'", id)
	case strings.ContainsRune(id, 0):
		return client.Errorf(op, client.ErrInvalidArgument, "session id contains a NUL byte")
	}
	return nil
}

// checkCommand refuses command text no shell can run as written: empty or
// blank, or holding a NUL (shell text and arguments are C strings).
func checkCommand(op, cmd string) error {
	switch {
	case blank(cmd):
		return client.Errorf(op, client.ErrInvalidArgument, "command cannot be empty or whitespace-only")
	case strings.IndexByte(cmd, 0) >= 0:
		return client.Errorf(op, client.ErrInvalidArgument, "command contains a NUL byte")
	}
	return nil
}

// blank reports whether a command is empty or whitespace only.
func blank(s string) bool { return strings.TrimSpace(s) == "" }
