//go:build linux

package local

import (
	"testing"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/clienttest"
)

func newTestBackend(t *testing.T, opts ...Option) *Backend {
	t.Helper()
	b, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPTYConformance runs the backend-independent PTY suite on its own; the
// full suite (clienttest.Run) includes it as well.
func TestPTYConformance(t *testing.T) {
	clienttest.RunPTY(t, func(t *testing.T) client.Client { return newTestBackend(t) })
}

func TestPTYRing(t *testing.T) {
	tests := []struct {
		name      string
		writes    []string
		want      string
		truncated bool
	}{
		{"empty", nil, "", false},
		{"fits", []string{"ab", "cd"}, "abcd", false},
		{"exactly full", []string{"abc", "defgh"}, "abcdefgh", false},
		{"fills then wraps", []string{"abcdef", "ghij"}, "cdefghij", true},
		{"wraps twice", []string{"abcdef", "ghij", "klmnop", "q"}, "jklmnopq", true},
		{"one big write", []string{"0123456789abc"}, "56789abc", true},
		{"big write after wrap", []string{"abcdefghi", "0123456789"}, "23456789", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ptyRing{limit: 8}
			for _, w := range tc.writes {
				r.write([]byte(w))
			}
			got, trunc := r.snapshot()
			if string(got) != tc.want || trunc != tc.truncated {
				t.Fatalf("snapshot = %q, %v; want %q, %v", got, trunc, tc.want, tc.truncated)
			}
		})
	}
}
