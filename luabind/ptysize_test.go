package luabind_test

import (
	"context"
	"strings"
	"testing"
)

// Issue 11 item 9: PTY sizes from Lua are whole numbers in range, as over
// HTTP; NaN, infinities and fractions are refused naming the argument.
func TestPTYSizeArgs(t *testing.T) {
	h, _, marker, _ := newHost(t)
	cases := []struct{ src, want string }{
		{`process.pty{command = "true", cols = 0.5}`, `process.pty: bad argument #1 (opts): option "cols": must be a whole number`},
		{`process.pty{command = "true", cols = 0/0}`, `option "cols"`},
		{`process.pty{command = "true", rows = 1/0}`, `option "rows"`},
		{`process.pty{command = "true", rows = -1}`, `option "rows"`},
		{`process.pty{command = "true", cols = 1001}`, `option "cols"`},
		{`process.resize_pty("x", 80.5, 24)`, "process.resize_pty: bad argument #2 (cols)"},
		{`process.resize_pty("x", 80, 0/0)`, "process.resize_pty: bad argument #3 (rows)"},
		{`process.resize_pty("x", 0, 24)`, "bad argument #2 (cols)"},
		{`local p = process.pty{command = "sleep 5"}; local ok, e = pcall(p.resize, p, 0/0, 24); p:kill(); error(e, 0)`, "pty:resize: bad argument #1 (cols)"},
		{`local p = process.pty{command = "sleep 5"}; local ok, e = pcall(p.resize, p, 80, 2.5); p:kill(); error(e, 0)`, "pty:resize: bad argument #2 (rows)"},
	}
	for _, c := range cases {
		_, err := h.Eval(context.Background(), c.src)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.src, err, c.want)
		}
	}
	// Whole numbers in range still work.
	if v := evalOne(t, h, `local p = process.pty{command = "sleep 5", cols = 90, rows = 20}; local ok = p:resize(100, 30); p:kill(); return ok`); v.String() != "true" {
		t.Fatalf("valid sizes: %v", v)
	}
	waitNoProcs(t, marker)
}
