package client_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayering keeps the package graph as the docs describe it: client is
// the API alone (standard library only), and expect and cast are reusable
// without procsh.
func TestLayering(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list package dependencies: %v", err)
	}
	tests := []struct {
		pkgs   []string
		banned []string
	}{
		{[]string{"github.com/procsh/procsh/client"}, []string{"net/http", "github.com/gorilla/websocket", "github.com/procsh/procsh/internal/wire"}},
		{[]string{"github.com/procsh/procsh/expect", "github.com/procsh/procsh/cast"}, []string{"github.com/procsh/procsh/"}},
	}
	for _, tc := range tests {
		out, err := exec.Command(goBin, append([]string{"list", "-deps"}, tc.pkgs...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %v: %v\n%s", tc.pkgs, err, out)
		}
		own := map[string]bool{}
		for _, p := range tc.pkgs {
			own[p] = true
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, b := range tc.banned {
				if !own[dep] && (dep == b || strings.HasPrefix(dep, b)) {
					t.Errorf("%v depends on %s", tc.pkgs, dep)
				}
			}
		}
	}
}
