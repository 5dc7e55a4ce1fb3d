package luabind_test

import (
	"context"
	"strings"
	"testing"
)

// process.exec and code_run keep at most max_output bytes and say so.
func TestExecMaxOutput(t *testing.T) {
	h, _, _, _ := newHost(t)
	v := evalOne(t, h, `local r = process.exec("seq 1 100000", {max_output = 10})
		return r.result .. "|" .. r.stdout .. "|" .. tostring(r.truncated)`)
	if v.String() != "1\n2\n3\n4\n5\n|1\n2\n3\n4\n5\n|true" {
		t.Fatalf("capped: %q", v.String())
	}
	v = evalOne(t, h, `local r = process.exec("seq 1 100000", {max_output = -1})
		return #r.result .. "|" .. tostring(r.truncated)`)
	if v.String() != "588895|nil" {
		t.Fatalf("no cap: %q", v.String())
	}
	v = evalOne(t, h, `local r = process.exec("seq 1 100000", {max_output = math.huge}); return #r.result`)
	if v.String() != "588895" {
		t.Fatalf("math.huge: %q", v.String())
	}
	for _, bad := range []string{"0.5", "-2", "0/0", `"x"`} {
		_, err := h.Eval(context.Background(), `process.exec("true", {max_output = `+bad+`})`)
		if err == nil || !strings.Contains(err.Error(), "max_output") {
			t.Errorf("max_output = %s: %v", bad, err)
		}
	}
}

// A session command whose log is longer than the backend keeps for a
// result says truncated instead of losing output silently.
func TestStartWaitTruncated(t *testing.T) {
	h, _, _, _ := newHost(t)
	v := evalOne(t, h, `local r = process.session():start("head -c 70000000 /dev/zero"):wait()
		return #r.stdout .. "|" .. tostring(r.truncated)`)
	if v.String() != "67108864|true" {
		t.Fatalf("start/wait of 70 MB: %q", v.String())
	}
	v = evalOne(t, h, `local r = process.session():start("echo hi"):wait(); return tostring(r.truncated)`)
	if v.String() != "nil" {
		t.Fatalf("short output: truncated %q", v.String())
	}
}
