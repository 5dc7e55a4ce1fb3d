package local

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/procsh/procsh/client"
)

// validEnvKey reports whether k matches ^[A-Za-z_][A-Za-z0-9_]*$ (docs/protocol.md §2).
func validEnvKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// checkEnv validates the keys of an env map.
func checkEnv(op string, env map[string]string) error {
	for k := range env {
		if !validEnvKey(k) {
			return client.Errorf(op, client.ErrInvalidArgument, "invalid environment variable name: '%s'", k)
		}
	}
	return nil
}

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

// blank reports whether a command is empty or whitespace only.
func blank(s string) bool { return strings.TrimSpace(s) == "" }

// newID returns a random UUID v4 string, the id format Daytona uses.
func newID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
