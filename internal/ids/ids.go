// Package ids makes the random identifiers procsh hands out: UUIDs for
// sessions, commands and PTYs (the form Daytona uses), and short hex tags
// for markers and Lua handles.
package ids

import (
	"crypto/rand"
	"encoding/hex"
)

// UUID returns a random version-4 UUID in its canonical text form.
func UUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// Hex returns n random bytes as 2n hex digits.
func Hex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
