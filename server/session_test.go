package server

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Checklist items 24–54 (sessions, commands, input, logs over HTTP).
func TestChecklistSessions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const S = "/process/session"
	runCases(t, h, []reqCase{
		{"52 empty list", "GET", S, "", nil, []check{status(200), bodyIs("[]")}},
		{"24 create", "POST", S, `{"sessionId":"s"}`, nil, []check{status(201), emptyBody()}},
		{"24 duplicate", "POST", S, `{"sessionId":"s"}`, nil, []check{status(409), e1("CONFLICT", "conflict: session already exists")}},
		{"25 no id", "POST", S, `{}`, nil, []check{status(400), e1("INVALID_REQUEST_BODY", "invalid body request:")}},
		{"26 reserved", "POST", S, `{"sessionId":"entrypoint"}`, nil, []check{status(400), e1("BAD_REQUEST", "bad request: provided session ID is reserved and cannot be created/overridden")}},
		{"bad id dots", "POST", S, `{"sessionId":"../x"}`, nil, []check{status(400), e1("BAD_REQUEST", "bad request: invalid session ID")}},
		{"bad id slash", "POST", S, `{"sessionId":"a/b"}`, nil, []check{status(400)}},
		{"bad id escaped slash in path", "GET", S + "/a%2Fb", "", nil, []check{status(400)}},
		{"bad id dotdot in path", "GET", S + "/..x", "", nil, []check{status(400)}},
		{"get unknown", "GET", S + "/nope", "", nil, []check{status(404), e1("NOT_FOUND", "not found: session not found")}},
		{"39 empty command E4", "POST", S + "/s/exec", `{"command":""}`, nil, []check{status(400), emptyBody()}},
		{"39 blank command E4", "POST", S + "/s/exec", `{"command":"  "}`, nil, []check{status(400), emptyBody()}},
		{"bad JSON E4", "POST", S + "/s/exec", `{"command":`, nil, []check{status(400), emptyBody()}},
		{"40 unknown session", "POST", S + "/nope/exec", `{"command":"true"}`, nil, []check{status(500), field("message", "failed to execute command: not found: session not found"), field("timestamp", "0001-01-01T00:00:00Z"), field("path", ""), noKey("code"), noKey("method")}},
		{"41 entrypoint exec", "POST", S + "/entrypoint/exec", `{"command":"true"}`, nil, []check{status(400), e1("BAD_REQUEST", "bad request: can't execute command in entrypoint session")}},
		{"48 input unknown session", "POST", S + "/nope/command/c/input", `{"data":"x"}`, nil, []check{status(404), e1("NOT_FOUND", "not found: session not found")}},
		{"48 input unknown command", "POST", S + "/s/command/nope/input", `{"data":"x"}`, nil, []check{status(404), e1("NOT_FOUND", "not found: command not found")}},
		{"46 empty input", "POST", S + "/s/command/nope/input", `{"data":""}`, nil, []check{status(400), e1("INVALID_REQUEST_BODY", "invalid body request:")}},
		{"input to entrypoint", "POST", S + "/entrypoint/command/c/input", `{"data":"x"}`, nil, []check{status(400), e1("BAD_REQUEST", "bad request: can't send input to entrypoint session")}},
		{"51 logs unknown command", "GET", S + "/s/command/nope/logs", "", nil, []check{status(404), e1("NOT_FOUND", "not found: command not found")}},
		{"command unknown", "GET", S + "/s/command/nope", "", nil, []check{status(404), e1("NOT_FOUND", "not found: command not found")}},
		{"command unknown session", "GET", S + "/nope/command/x", "", nil, []check{status(404), e1("NOT_FOUND", "not found: session not found")}},
		{"61 no entrypoint", "GET", S + "/entrypoint", "", nil, []check{status(404), e1("NOT_FOUND", "not found: session not found")}},
		{"62 no entrypoint logs", "GET", S + "/entrypoint/logs", "", nil, []check{status(404)}},
		{"53 delete entrypoint", "DELETE", S + "/entrypoint", "", nil, []check{status(400), e1("BAD_REQUEST", "bad request: can't delete entrypoint session")}},
	})

	t.Run("27 state persists", func(t *testing.T) {
		h.execSync("s", "cd /tmp && export Z=1")
		if m := h.execSync("s", "pwd; echo $Z"); m["stdout"] != "/tmp\n1\n" {
			t.Errorf("stdout %q", m["stdout"])
		}
	})
	t.Run("28 split output", func(t *testing.T) {
		m := h.execSync("s", "echo out; sleep 0.05; echo err >&2")
		if m["stdout"] != "out\n" || m["stderr"] != "err\n" || m["exitCode"] != 0.0 {
			t.Errorf("reply %v", m)
		}
		out := m["output"].(string)
		if !strings.Contains(out, mark1+"out") || !strings.Contains(out, mark2+"err") {
			t.Errorf("output %q lacks markers", out)
		}
		if !uuidRE.MatchString(m["cmdId"].(string)) {
			t.Errorf("cmdId %q", m["cmdId"])
		}
	})
	t.Run("29 unterminated line is byte-exact (divergence)", func(t *testing.T) {
		if m := h.execSync("s", "printf nonl"); m["stdout"] != "nonl" || m["output"] != mark1+"nonl" {
			t.Errorf("reply %q", m)
		}
	})
	t.Run("30 exit code, session usable", func(t *testing.T) {
		if m := h.execSync("s", "(exit 7)"); m["exitCode"] != 7.0 {
			t.Errorf("exitCode %v", m["exitCode"])
		}
		if m := h.execSync("s", "exit 4"); m["exitCode"] != 4.0 {
			t.Errorf("exit 4: exitCode %v", m["exitCode"])
		}
		if m := h.execSync("s", "echo alive"); m["stdout"] != "alive\n" {
			t.Errorf("after exit: %v", m)
		}
	})
	classes := []struct {
		name           string
		hdr            map[string]string
		markers, split bool
	}{
		{"31 no version: combined", map[string]string{"X-Daytona-SDK-Version": ""}, false, false},
		{"32 0.166.0: markers, no split", map[string]string{"X-Daytona-SDK-Version": "0.166.0"}, true, false},
		{"33 0.26.0: combined", map[string]string{"X-Daytona-SDK-Version": "0.26.0"}, false, false},
		{"34 split-output header", map[string]string{"X-Daytona-SDK-Version": "", "X-Daytona-Split-Output": "true"}, true, false},
		{"unparseable version", map[string]string{"X-Daytona-SDK-Version": "garbage"}, true, false},
		{"dev version is modern", map[string]string{"X-Daytona-SDK-Version": "0.0.0-dev"}, true, true},
		{"v-prefixed modern", map[string]string{"X-Daytona-SDK-Version": "v0.190.0"}, true, true},
	}
	for _, c := range classes {
		t.Run(c.name, func(t *testing.T) {
			r := h.do("POST", S+"/s/exec", `{"command":"echo o; echo e >&2"}`, c.hdr)
			h.mustStatus(r, 200)
			m := r.json(t)
			out := m["output"].(string)
			if got := strings.Contains(out, mark1); got != c.markers {
				t.Errorf("output %q: markers %v, want %v", out, got, c.markers)
			}
			if !c.markers && !strings.Contains(out, "o\n") {
				t.Errorf("combined output %q", out)
			}
			if split := m["stdout"] != nil; split != c.split {
				t.Errorf("stdout %v, want split=%v", m["stdout"], c.split)
			}
			for _, k := range []string{"cmdId", "output", "stdout", "stderr", "exitCode"} {
				if _, ok := m[k]; !ok {
					t.Errorf("key %q missing", k)
				}
			}
		})
	}
	t.Run("36/37/38 async", func(t *testing.T) {
		for _, flag := range []string{"runAsync", "async"} {
			r := h.do("POST", S+"/s/exec", `{"command":"sleep 0.3","`+flag+`":true}`, nil)
			h.mustStatus(r, 202)
			m := r.json(t)
			for _, k := range []string{"output", "stdout", "stderr", "exitCode"} {
				if v, ok := m[k]; !ok || v != nil {
					t.Errorf("%s: %s = %v (present %v), want null", flag, k, v, ok)
				}
			}
			cid := m["cmdId"].(string)
			if c := h.do("GET", S+"/s/command/"+cid, "", nil).json(t); c["exitCode"] != nil {
				t.Errorf("running command has exitCode: %v", c)
			}
			if ec := h.waitDone("s", cid); ec != 0 {
				t.Errorf("exit %d", ec)
			}
		}
	})
	t.Run("42 sequential", func(t *testing.T) {
		h.execAsync("s", "sleep 0.5", "")
		start := time.Now()
		h.execSync("s", "echo x")
		if d := time.Since(start); d < 400*time.Millisecond {
			t.Errorf("sync exec returned after %v, before the async sleep ended", d)
		}
	})
	t.Run("43 stdin at EOF", func(t *testing.T) {
		if m := h.execSync("s", "cat; echo done"); m["stdout"] != "done\n" {
			t.Errorf("reply %v", m)
		}
	})
	t.Run("44/45/47 input", func(t *testing.T) {
		for _, suppress := range []bool{false, true} {
			extra := ""
			if suppress {
				extra = `,"suppressInputEcho":true`
			}
			cid := h.execAsync("s", "read n; echo hi $n", extra)
			h.mustStatus(h.do("POST", S+"/s/command/"+cid+"/input", `{"data":"bob"}`, nil), 204)
			h.waitDone("s", cid)
			m := h.do("GET", S+"/s/command/"+cid+"/logs", "", nil).json(t)
			if !strings.Contains(m["stdout"].(string), "hi bob\n") {
				t.Errorf("logs %v", m)
			}
			// Divergence (doc.go): the local backend never echoes input.
			if strings.Contains(m["stdout"].(string), "bob\nhi") {
				t.Errorf("input echoed: %v", m)
			}
			r := h.do("POST", S+"/s/command/"+cid+"/input", `{"data":"late"}`, nil)
			status(410)(t, r)
			e1("GONE", "gone: command has already completed with exit code 0")(t, r)
		}
	})
	t.Run("49/50 logs", func(t *testing.T) {
		m := h.execSync("s", "echo o; sleep 0.05; echo e >&2")
		cid := m["cmdId"].(string)
		r := h.do("GET", S+"/s/command/"+cid+"/logs", "", nil)
		h.mustStatus(r, 200)
		lm := r.json(t)
		if lm["stdout"] != "o\n" || lm["stderr"] != "e\n" || lm["output"] != mark1+"o\n"+mark2+"e\n" {
			t.Errorf("modern logs %q", lm)
		}
		r = h.do("GET", S+"/s/command/"+cid+"/logs", "", map[string]string{"X-Daytona-SDK-Version": ""})
		if r.header.Get("Content-Type") != "text/plain; charset=utf-8" || string(r.body) != "o\ne\n" {
			t.Errorf("legacy logs %q %q", r.header.Get("Content-Type"), r.body)
		}
		r = h.do("GET", S+"/s/command/"+cid+"/logs", "", map[string]string{"X-Daytona-SDK-Version": "0.166.0"})
		if string(r.body) != mark1+"o\n"+mark2+"e\n" {
			t.Errorf("skip-demux logs %q", r.body)
		}
	})
	t.Run("list and get", func(t *testing.T) {
		var list []map[string]any
		_ = json.Unmarshal(h.do("GET", S, "", nil).body, &list)
		if len(list) != 1 || list[0]["sessionId"] != "s" {
			t.Fatalf("list %v", list)
		}
		if cmds := list[0]["commands"].([]any); len(cmds) < 5 {
			t.Errorf("commands %v", cmds)
		}
	})
	t.Run("53 delete", func(t *testing.T) {
		h.createSession("d")
		h.mustStatus(h.do("DELETE", S+"/d", "", nil), 204)
		r := h.do("DELETE", S+"/d", "", nil)
		status(404)(t, r)
		e1("NOT_FOUND", "not found: session not found")(t, r)
	})
	t.Run("54 delete fails pending exec", func(t *testing.T) {
		h.createSession("p")
		done := make(chan reply, 1)
		go func() { done <- h.do("POST", S+"/p/exec", `{"command":"sleep 20"}`, nil) }()
		time.Sleep(300 * time.Millisecond)
		start := time.Now()
		h.mustStatus(h.do("DELETE", S+"/p", "", nil), 204)
		select {
		case r := <-done:
			if r.status < 500 {
				t.Errorf("pending exec got %d %s", r.status, r.body)
			}
			if time.Since(start) > 5*time.Second {
				t.Errorf("took %v", time.Since(start))
			}
		case <-time.After(10 * time.Second):
			t.Fatal("pending exec did not fail")
		}
	})
	t.Run("legacy cwd is $HOME", func(t *testing.T) {
		h.mustStatus(h.do("POST", S, `{"sessionId":"old"}`, map[string]string{"X-Daytona-SDK-Version": "0.100.0"}), 201)
		home, _ := osUserHome()
		r := h.do("POST", S+"/old/exec", `{"command":"pwd"}`, nil)
		if m := r.json(t); m["stdout"] != home+"\n" {
			t.Errorf("pwd %v, want %s", m["stdout"], home)
		}
	})
}
