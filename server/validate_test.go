package server

import (
	"encoding/json"
	"strings"
	"testing"
)

// msgHas checks that the error message (E1 "message" or E3 "error") names
// what was wrong, and that the kind is invalid_argument.
func msgHas(sub string) check {
	return func(t *testing.T, r reply) {
		t.Helper()
		m := r.json(t)
		msg, _ := m["message"].(string)
		if e, ok := m["error"].(string); ok {
			msg = e
		}
		if !strings.Contains(msg, sub) {
			t.Errorf("message %q does not contain %q", msg, sub)
		}
		if m["procshKind"] != "invalid_argument" {
			t.Errorf("procshKind %v, want invalid_argument", m["procshKind"])
		}
	}
}

func jsonStr(s string) string { b, _ := json.Marshal(s); return string(b) }

// Issue 11 item 8: ids follow one documented charset and length, so
// everything created is reachable by URL.
func TestIDRules(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const E = "?procsh=1"
	bad := []struct{ id, why string }{
		{".", "'.' or '..'"}, {"..", "'.' or '..'"}, {"a..b", "'..'"}, {"a/b", "'/'"},
		{"a b", "not allowed"}, {"é", "not allowed"}, {"a%2Fb", "not allowed"}, {"a?b", "not allowed"},
		{"a\x00b", "not allowed"}, {strings.Repeat("x", MaxIDLen+1), "longer than 128"},
		{strings.Repeat("x", 4<<20), "longer than 128"},
	}
	for _, b := range bad {
		name := b.id
		if len(name) > 20 {
			name = name[:20]
		}
		r := h.do("POST", "/process/session"+E, `{"sessionId":`+jsonStr(b.id)+`}`, nil)
		t.Run("session "+name, func(t *testing.T) {
			status(400)(t, r)
			msgHas("invalid session ID: ")(t, r)
			msgHas(b.why)(t, r)
		})
		r = h.do("POST", "/process/pty"+E, `{"id":`+jsonStr(b.id)+`}`, nil)
		t.Run("pty "+name, func(t *testing.T) {
			status(400)(t, r)
			msgHas("invalid PTY session ID: ")(t, r)
			msgHas(b.why)(t, r)
		})
	}
	if r := h.do("GET", "/process/session", "", nil); string(r.body) != "[]" {
		t.Fatalf("sessions after refused ids: %s", r.body)
	}
	if r := h.do("GET", "/process/pty", "", nil); string(r.body) != `{"sessions":[]}` {
		t.Fatalf("PTYs after refused ids: %s", r.body)
	}
	// Every accepted id is reachable: get, exec and delete by URL.
	for _, id := range []string{"a.b", "A-_.9", ".hidden", "x.", strings.Repeat("z", MaxIDLen)} {
		h.createSession(id)
		h.mustStatus(h.do("GET", "/process/session/"+id, "", nil), 200)
		if m := h.execSync(id, "echo hi"); !strings.Contains(m["output"].(string), "hi") {
			t.Errorf("exec in %q: %v", id, m)
		}
		h.mustStatus(h.do("DELETE", "/process/session/"+id, "", nil), 204)
		h.mustStatus(h.do("POST", "/process/pty", `{"id":`+jsonStr(id)+`,"lazyStart":true}`, nil), 201)
		h.mustStatus(h.do("GET", "/process/pty/"+id, "", nil), 200)
		h.mustStatus(h.do("DELETE", "/process/pty/"+id, "", nil), 200)
	}
}

// Issue 11 item 9: timeouts are range-checked, env keys and values are
// checked on every route that takes them, signals parse strictly.
func TestRequestValidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.createSession("s")
	const E = "?procsh=1"
	X, C, S, P := "/process/execute"+E, "/process/code-run"+E, "/process/session"+E, "/process/pty"+E
	cases := []reqCase{
		{"timeoutMs overflow", "POST", X, `{"command":"true","timeoutMs":18446744073710}`, nil, []check{status(400), msgHas("timeoutMs 18446744073710 is out of range")}},
		{"timeoutMs max+1", "POST", X, `{"command":"true","timeoutMs":4294967295001}`, nil, []check{status(400), msgHas("timeoutMs")}},
		{"timeoutMs uint64 max", "POST", X, `{"command":"true","timeoutMs":18446744073709551615}`, nil, []check{status(400), msgHas("timeoutMs")}},
		{"timeoutMs too big for uint64", "POST", X, `{"command":"true","timeoutMs":18446744073709551616}`, nil, []check{status(400)}},
		{"timeout negative", "POST", X, `{"command":"true","timeout":-1}`, nil, []check{status(400)}},
		{"timeout over uint32", "POST", X, `{"command":"true","timeout":4294967296}`, nil, []check{status(400)}},
		{"timeout fraction", "POST", X, `{"command":"true","timeout":0.5}`, nil, []check{status(400)}},
		{"code-run timeoutMs overflow", "POST", C, `{"code":"print(1)","language":"python","timeoutMs":18446744073710}`, nil, []check{status(400), msgHas("timeoutMs")}},
		{"execute env NUL value", "POST", X, `{"command":"true","envs":{"A":"x\u0000y"}}`, nil, []check{status(400), msgHas("environment variable A: value contains a NUL byte")}},
		{"execute env key =", "POST", X, `{"command":"true","envs":{"A=B":"x"}}`, nil, []check{status(400), msgHas("invalid environment variable name: 'A=B'")}},
		{"code-run env NUL", "POST", C, `{"code":"print(1)","language":"python","envs":{"A":"\u0000"}}`, nil, []check{status(400), msgHas("NUL")}},
		{"session env NUL value", "POST", S, `{"sessionId":"e1","envs":{"A":"x\u0000y"}}`, nil, []check{status(400), msgHas("environment variable A: value contains a NUL byte")}},
		{"session env key =", "POST", S, `{"sessionId":"e2","envs":{"A=B":"x"}}`, nil, []check{status(400), msgHas("'A=B'")}},
		{"pty env key =", "POST", P, `{"id":"p1","envs":{"A=B":"x"}}`, nil, []check{status(400), msgHas("invalid environment variable name: 'A=B'")}},
		{"pty env key NUL", "POST", P, `{"id":"p2","envs":{"A\u0000":"x"}}`, nil, []check{status(400), msgHas("invalid environment variable name")}},
		{"pty env value NUL", "POST", P, `{"id":"p3","envs":{"A":"\u0000"}}`, nil, []check{status(400), msgHas("environment variable A: value contains a NUL byte")}},
		{"pty cols fraction", "POST", P, `{"id":"p4","cols":0.5}`, nil, []check{status(400)}},
		{"pty cols negative", "POST", P, `{"id":"p5","cols":-1}`, nil, []check{status(400)}},
		{"pty rows huge", "POST", P, `{"id":"p6","rows":70000}`, nil, []check{status(400)}},
		{"pty cols over 1000", "POST", P, `{"id":"p7","cols":1001}`, nil, []check{status(400), msgHas("cols")}},
		{"kill SIG", "POST", "/process/session/s/command/c/kill" + E, `{"signal":"SIG"}`, nil, []check{status(400), msgHas(`signal "SIG" is not a signal`)}},
		{"kill 0", "POST", "/process/session/s/command/c/kill" + E, `{"signal":"0"}`, nil, []check{status(400), msgHas("signal")}},
		{"kill 65", "POST", "/process/session/s/command/c/kill" + E, `{"signal":"65"}`, nil, []check{status(400), msgHas("signal")}},
		{"kill SIGBOGUS", "POST", "/process/session/s/command/c/kill" + E, `{"signal":"SIGBOGUS"}`, nil, []check{status(400), msgHas("signal")}},
	}
	runCases(t, h, cases)
	if r := h.do("GET", "/process/session", "", nil); strings.Contains(string(r.body), `"e1"`) || strings.Contains(string(r.body), `"e2"`) {
		t.Errorf("refused sessions exist: %s", r.body)
	}
	if r := h.do("GET", "/process/pty", "", nil); string(r.body) != `{"sessions":[]}` {
		t.Errorf("refused PTYs exist: %s", r.body)
	}
	// In range: the largest timeout is accepted, valid signals work.
	if r := h.do("POST", X, `{"command":"echo ok","timeoutMs":4294967295000}`, nil); r.status != 200 || r.json(t)["timedOut"] == true {
		t.Errorf("max timeoutMs: %d %s", r.status, r.body)
	}
	for _, sig := range []string{"", "sigterm", "KILL", "15"} {
		cid := h.execAsync("s", "sleep 30", "")
		body := ""
		if sig != "" {
			body = `{"signal":` + jsonStr(sig) + `}`
		}
		h.mustStatus(h.do("POST", "/process/session/s/command/"+cid+"/kill"+E, body, nil), 204)
		if ec := h.waitDone("s", cid); ec < 128 {
			t.Errorf("kill %q: exit %d", sig, ec)
		}
	}
}
