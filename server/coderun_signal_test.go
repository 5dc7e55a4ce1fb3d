package server

import "testing"

// TestSignalledExitCodes: for a Daytona client a signalled execute reports
// -1, as the reference (Go's exit code of a signalled shell), while a
// signalled code-run program reports 128+n, as the reference's shell
// pipeline around the program does.
func TestSignalledExitCodes(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		name, path, body string
		want             float64
	}{
		{"execute", "/process/execute", `{"command":"kill -9 $$"}`, -1},
		{"code-run", "/process/code-run", `{"language":"python","code":"import os\nprint('x', flush=True)\nos.kill(os.getpid(), 9)"}`, 137},
	} {
		r := h.do("POST", tc.path, tc.body, nil)
		h.mustStatus(r, 200)
		if got := r.json(t)["exitCode"]; got != tc.want {
			t.Errorf("%s: exitCode %v, want %v (%s)", tc.name, got, tc.want, r.body)
		}
	}
}
