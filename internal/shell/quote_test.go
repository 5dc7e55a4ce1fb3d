package shell

import (
	"os/exec"
	"strings"
	"testing"
)

// TestJoinRoundTrip has a real shell read the joined words back.
func TestJoinRoundTrip(t *testing.T) {
	argv := []string{"plain", "", "two words", "it's", `"dq"`, "$HOME", "`id`", "a\nb", "*", "~", "-n", "=x", "x=1", "é", ";|&<>()", "\\"}
	script := "for a in " + Join(argv) + `; do printf '%s\0' "$a"; done`
	out, err := exec.Command("sh", "-c", script).Output()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if len(got) != len(argv) {
		t.Fatalf("got %d words %q, want %d", len(got), got, len(argv))
	}
	for i := range argv {
		if got[i] != argv[i] {
			t.Errorf("word %d: got %q want %q", i, got[i], argv[i])
		}
	}
	if Quote("abc") != "abc" || Quote("a b") != "'a b'" {
		t.Error("Quote changed its simple forms")
	}
}
