package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The checklist of docs/protocol.md §12.7, server items 92–126: what the
// SDKs released after v0.190 (TypeScript 0.218.0 in particular) need.

const current = "0.218.0"

var cur = map[string]string{"X-Daytona-SDK-Version": current}

// structuredErr checks a structured ErrorResponse (item 122): the status
// equals statusCode, message/path/timestamp present, source DAYTONA_DAEMON,
// a JSON content type, and the given code and message prefix.
func structuredErr(status int, code, msgPrefix string) check {
	return func(t *testing.T, r reply) {
		t.Helper()
		if r.status != status {
			t.Errorf("status %d, want %d (body %s)", r.status, status, r.body)
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("content type %q", ct)
		}
		m := r.json(t)
		if sc, _ := m["statusCode"].(float64); int(sc) != r.status {
			t.Errorf("statusCode %v != HTTP status %d", m["statusCode"], r.status)
		}
		if m["source"] != "DAYTONA_DAEMON" {
			t.Errorf("source %v in %s", m["source"], r.body)
		}
		if m["code"] != code {
			t.Errorf("code %v, want %s (body %s)", m["code"], code, r.body)
		}
		if s, _ := m["message"].(string); !strings.HasPrefix(s, msgPrefix) {
			t.Errorf("message %q, want prefix %q", s, msgPrefix)
		}
		if p, _ := m["path"].(string); p == "" {
			t.Errorf("no path in %s", r.body)
		}
		if ts, _ := m["timestamp"].(string); ts == "" {
			t.Error("no timestamp")
		} else if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
			t.Errorf("timestamp %q: %v", ts, err)
		}
	}
}

// wsDial opens a WebSocket to path offering protocols (sent verbatim as the
// Sec-WebSocket-Protocol header when non-empty) with the headers hdr.
func (h *harness) wsDial(t *testing.T, path, protocols string, hdr http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	if hdr == nil {
		hdr = http.Header{"X-Daytona-Sdk-Version": {current}}
	}
	if protocols != "" {
		hdr = hdr.Clone()
		hdr["Sec-WebSocket-Protocol"] = []string{protocols}
	}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	c, resp, err := d.Dial(h.wsURL(path), hdr)
	if c != nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, resp, err
}

// frame is one received WebSocket message.
type frame struct {
	typ  int
	data []byte
}

// wsSession is a connection read in the background: every frame in order,
// then the close.
type wsSession struct {
	c      *websocket.Conn
	frames chan frame
	closed chan *websocket.CloseError
}

func watch(c *websocket.Conn) *wsSession {
	s := &wsSession{c: c, frames: make(chan frame, 4096), closed: make(chan *websocket.CloseError, 1)}
	go func() {
		for {
			typ, data, err := c.ReadMessage()
			if err != nil {
				ce, _ := err.(*websocket.CloseError)
				s.closed <- ce
				close(s.frames)
				return
			}
			s.frames <- frame{typ, data}
		}
	}()
	return s
}

func control(f frame) map[string]any {
	if f.typ != websocket.TextMessage {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(f.data, &m) != nil || m["type"] != "control" {
		return nil
	}
	return m
}

// connected reads the first frame, which must be the connected control frame.
func (s *wsSession) connected(t *testing.T) {
	t.Helper()
	select {
	case f, ok := <-s.frames:
		if !ok {
			t.Fatal("closed before connected")
		}
		if m := control(f); m == nil || m["status"] != "connected" {
			t.Fatalf("first frame %d %q, want the connected control frame", f.typ, f.data)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no connected frame")
	}
}

// until reads binary output until it contains want.
func (s *wsSession) until(t *testing.T, want string) {
	t.Helper()
	var acc []byte
	timeout := time.After(10 * time.Second)
	for !strings.Contains(string(acc), want) {
		select {
		case f, ok := <-s.frames:
			if !ok {
				t.Fatalf("closed before %q; got %q", want, acc)
			}
			if f.typ == websocket.BinaryMessage {
				acc = append(acc, f.data...)
			}
		case <-timeout:
			t.Fatalf("no %q in %q", want, acc)
		}
	}
}

// end reads to the close and returns the control frames seen after the
// last output, the close, and whether output followed an exited frame.
func (s *wsSession) end(t *testing.T) (controls []map[string]any, ce *websocket.CloseError, outputAfterExited bool) {
	t.Helper()
	timeout := time.After(15 * time.Second)
	exited := false
	for {
		select {
		case f, ok := <-s.frames:
			if !ok {
				return controls, <-s.closed, outputAfterExited
			}
			if m := control(f); m != nil {
				controls = append(controls, m)
				if m["status"] == "exited" {
					exited = true
				}
			} else if exited && f.typ == websocket.BinaryMessage {
				outputAfterExited = true
			}
		case <-timeout:
			t.Fatal("connection did not end")
		}
	}
}

func (s *wsSession) send(t *testing.T, data string) {
	t.Helper()
	if err := s.c.WriteMessage(websocket.BinaryMessage, []byte(data)); err != nil {
		t.Fatal(err)
	}
}

func echoed(resp *http.Response) string {
	if resp == nil {
		return ""
	}
	return resp.Header.Get("Sec-Websocket-Protocol")
}

const exitCtl = "X-Daytona-Pty-Exit-Control"

// createConnect opens create-connect with the TS SDK's offer and waits for
// the connected frame.
func (h *harness) createConnect(t *testing.T, query string, protocols string) (*wsSession, *http.Response) {
	t.Helper()
	c, resp, err := h.wsDial(t, "/process/pty/create-connect?"+query, protocols, nil)
	if err != nil {
		t.Fatalf("create-connect %s: %v (%+v)", query, err, resp)
	}
	s := watch(c)
	s.connected(t)
	return s, resp
}

func exitedFrames(controls []map[string]any) []map[string]any {
	var out []map[string]any
	for _, m := range controls {
		if m["status"] == "exited" {
			out = append(out, m)
		}
	}
	return out
}

func TestChecklistAfter190PTY(t *testing.T) {
	h := newHarness(t)
	cwd, _ := os.Getwd()

	t.Run("92 98 99 create-connect echoes exit control, connected first, eager PTY", func(t *testing.T) {
		s, resp := h.createConnect(t, "id=p92&cols=100&rows=30", exitCtl)
		if got := echoed(resp); got != exitCtl {
			t.Errorf("92: echoed %q, want %q", got, exitCtl)
		}
		m := h.do("GET", "/process/pty/p92", "", cur).json(t)
		envs, _ := m["envs"].(map[string]any)
		if m["cols"] != 100.0 || m["rows"] != 30.0 || m["lazyStart"] != false || m["active"] != true || envs["TERM"] != "xterm-256color" || m["cwd"] != cwd {
			t.Errorf("99: %v (cwd %s)", m, cwd)
		}
		if list := h.do("GET", "/process/pty", "", cur); !contains(list.body, `"id":"p92"`) {
			t.Errorf("99: list %s", list.body)
		}
		s.send(t, "echo ready92\n")
		s.until(t, "ready92")
	})

	t.Run("93 envs token in either order, never echoed", func(t *testing.T) {
		const tok = "X-Daytona-Pty-Envs~eyJGT08iOiJiYXIgYmF6In0" // {"FOO":"bar baz"}
		for i, offer := range []string{tok + "," + exitCtl, exitCtl + ", " + tok} {
			id := []string{"p93a", "p93b"}[i]
			s, resp := h.createConnect(t, "id="+id+"&cols=80&rows=24", offer)
			if got := echoed(resp); got != exitCtl {
				t.Errorf("offer %q: echoed %q", offer, got)
			}
			s.send(t, "echo [$FOO]\n")
			s.until(t, "[bar baz]")
		}
	})

	t.Run("94 python-style and empty envs tokens", func(t *testing.T) {
		s, _ := h.createConnect(t, "id=p94a&cols=80&rows=24", exitCtl+", X-Daytona-Pty-Envs~eyJGT08iOiAiYmFyIGJheiJ9")
		s.send(t, "echo [$FOO]\n")
		s.until(t, "[bar baz]")
		h.createConnect(t, "id=p94b&cols=80&rows=24", exitCtl+", X-Daytona-Pty-Envs~e30")
	})

	t.Run("95 browser style: version token, auth key in the query, no headers", func(t *testing.T) {
		c, resp, err := h.wsDial(t, "/process/pty/create-connect?id=p95&cols=80&rows=24&DAYTONA_SANDBOX_AUTH_KEY=x",
			"X-Daytona-SDK-Version~"+current+","+exitCtl, http.Header{})
		if err != nil {
			t.Fatal(err)
		}
		if got := echoed(resp); got != exitCtl {
			t.Errorf("echoed %q", got)
		}
		watch(c).connected(t)
		// The version came from the subprotocol: a refused upgrade of the
		// same client gets the structured body of a 0.218.0 client.
		_, resp, err = h.wsDial(t, "/process/pty/create-connect?id=p95&cols=80&rows=24", "X-Daytona-SDK-Version~"+current+","+exitCtl, http.Header{})
		if err == nil || resp == nil {
			t.Fatalf("duplicate id accepted: %v", err)
		}
		if resp.StatusCode != http.StatusConflict {
			t.Errorf("duplicate: status %d", resp.StatusCode)
		}
	})

	t.Run("96 97 no offer, no echo; unknown or envs-only offers are not echoed", func(t *testing.T) {
		h.createSession("s96")
		cid := h.execAsync("s96", "echo hi", "")
		h.waitDone("s96", cid)
		_, resp, err := h.wsDial(t, "/process/session/s96/command/"+cid+"/logs?follow=true", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := resp.Header["Sec-Websocket-Protocol"]; ok {
			t.Errorf("96: echoed %q without an offer", echoed(resp))
		}
		h.mustStatus(h.do("POST", "/process/pty", `{"id":"p97","lazyStart":true}`, cur), 201)
		for _, offer := range []string{"bogus-token", "X-Daytona-Pty-Envs~e30"} {
			_, resp, err := h.wsDial(t, "/process/pty/p97/connect", offer, nil)
			if err == nil {
				if got := echoed(resp); got != "" {
					t.Errorf("97: offer %q echoed %q", offer, got)
				}
			}
		}
	})

	t.Run("100 cwd with a space, form-encoded", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "a b")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		q := url.Values{"id": {"p100"}, "cols": {"80"}, "rows": {"24"}, "cwd": {dir}}.Encode()
		if !strings.Contains(q, "a+b") {
			t.Fatalf("query %q does not encode the space as +", q)
		}
		s, _ := h.createConnect(t, q, exitCtl)
		s.send(t, "pwd\n")
		s.until(t, dir+"\r\n")
	})

	t.Run("101 the PTY outlives the creating socket", func(t *testing.T) {
		s, _ := h.createConnect(t, "id=p101&cols=80&rows=24", exitCtl)
		s.c.Close()
		c, resp, err := h.wsDial(t, "/process/pty/p101/connect", exitCtl, nil)
		if err != nil {
			t.Fatal(err)
		}
		if echoed(resp) != exitCtl {
			t.Errorf("connect echoed %q", echoed(resp))
		}
		s2 := watch(c)
		s2.connected(t)
		s2.send(t, "echo SECOND\n")
		s2.until(t, "SECOND\r\n")
	})

	t.Run("102 103 argument errors before the upgrade, nothing created", func(t *testing.T) {
		s, _ := h.createConnect(t, "id=p102&cols=80&rows=24", exitCtl)
		for _, tc := range []struct {
			query  string
			status int
		}{
			{"id=p102&cols=80&rows=24", http.StatusConflict},
			{"cols=80&rows=24", http.StatusBadRequest},
			{"id=p103&cols=1001&rows=24", http.StatusBadRequest},
			{"id=p103&cols=80&rows=x", http.StatusBadRequest},
			{"id=p103b&cols=80&rows=24", http.StatusBadRequest}, // malformed envs token below
		} {
			offer := exitCtl
			if tc.query == "id=p103b&cols=80&rows=24" {
				offer = "X-Daytona-Pty-Envs~!!!," + exitCtl
			}
			_, resp, err := h.wsDial(t, "/process/pty/create-connect?"+tc.query, offer, nil)
			if err == nil || resp == nil {
				t.Fatalf("%s: upgraded", tc.query)
			}
			var body []byte
			body = make([]byte, 4096)
			n, _ := resp.Body.Read(body)
			r := reply{resp.StatusCode, resp.Header, body[:n]}
			code := "CONFLICT"
			if tc.status == http.StatusBadRequest {
				code = r.json(t)["code"].(string)
				if code != "BAD_REQUEST" && code != "INVALID_REQUEST_BODY" {
					t.Errorf("%s: code %s", tc.query, code)
				}
			}
			structuredErr(tc.status, code, "")(t, r)
		}
		// A shell that cannot start is reported after the upgrade.
		c, _, err := h.wsDial(t, "/process/pty/create-connect?id=p103c&cwd=%2Fno%2Fsuch%2Fdir", exitCtl, nil)
		if err != nil {
			t.Fatalf("bad cwd: %v", err)
		}
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, data, err := c.ReadMessage(); err != nil || !strings.Contains(string(data), `"status":"error"`) || !strings.Contains(string(data), "failed to start PTY session") {
			t.Errorf("bad cwd: frame %s, %v", data, err)
		}
		list := h.do("GET", "/process/pty", "", cur)
		if contains(list.body, "p103") {
			t.Errorf("103: a refused PTY exists: %s", list.body)
		}
		// 102: the existing PTY is untouched.
		s.send(t, "echo still102\n")
		s.until(t, "still102")
	})

	t.Run("104 exit control: output, exited, then the v0.190 close", func(t *testing.T) {
		s, _ := h.createConnect(t, "id=p104&cols=80&rows=24", exitCtl)
		s.send(t, "echo bye104; exit 3\n")
		s.until(t, "bye104")
		controls, ce, after := s.end(t)
		ex := exitedFrames(controls)
		if len(ex) != 1 || ex[0]["exitCode"] != 3.0 || ex[0]["exitReason"] != "non-zero exit" {
			t.Fatalf("exited frames %v", controls)
		}
		if after {
			t.Error("output after the exited frame")
		}
		if ce == nil || ce.Code != 1011 || ce.Text != `{"exitCode":3,"exitReason":"non-zero exit"}` {
			t.Errorf("close %+v", ce)
		}
	})

	t.Run("105 exit 0: exited without exitReason, close 1000", func(t *testing.T) {
		s, _ := h.createConnect(t, "id=p105&cols=80&rows=24", exitCtl)
		s.send(t, "exit\n")
		controls, ce, _ := s.end(t)
		ex := exitedFrames(controls)
		if len(ex) != 1 || ex[0]["exitCode"] != 0.0 {
			t.Fatalf("exited frames %v", controls)
		}
		if _, has := ex[0]["exitReason"]; has {
			t.Errorf("exitReason in %v", ex[0])
		}
		if ce == nil || ce.Code != 1000 || ce.Text != `{"exitCode":0}` {
			t.Errorf("close %+v", ce)
		}
	})

	t.Run("106 DELETE while attached: exited 137 SIGKILL", func(t *testing.T) {
		s, _ := h.createConnect(t, "id=p106&cols=80&rows=24", exitCtl)
		h.mustStatus(h.do("DELETE", "/process/pty/p106", "", cur), 200)
		controls, ce, _ := s.end(t)
		ex := exitedFrames(controls)
		if len(ex) != 1 || ex[0]["exitCode"] != 137.0 || ex[0]["exitReason"] != "SIGKILL" {
			t.Fatalf("exited frames %v", controls)
		}
		if ce == nil || ce.Code != 1011 || ce.Text != `{"exitCode":137,"exitReason":"SIGKILL"}` {
			t.Errorf("close %+v", ce)
		}
	})

	t.Run("107 108 exited only for connections that offered exit control", func(t *testing.T) {
		h.mustStatus(h.do("POST", "/process/pty", `{"id":"p107","lazyStart":true}`, map[string]string{"X-Daytona-SDK-Version": modern}), 201)
		old, resp, err := h.wsDial(t, "/process/pty/p107/connect", "", http.Header{"X-Daytona-Sdk-Version": {modern}})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := resp.Header["Sec-Websocket-Protocol"]; ok {
			t.Errorf("old client got a subprotocol %q", echoed(resp))
		}
		oldS := watch(old)
		oldS.connected(t)
		nc, _, err := h.wsDial(t, "/process/pty/p107/connect", exitCtl, nil)
		if err != nil {
			t.Fatal(err)
		}
		newS := watch(nc)
		newS.connected(t)
		oldS.send(t, "exit 5\n")
		oc, oce, _ := oldS.end(t)
		ncs, nce, _ := newS.end(t)
		if len(oc) != 0 {
			t.Errorf("107: the old client got control frames %v", oc)
		}
		if ex := exitedFrames(ncs); len(ex) != 1 || ex[0]["exitCode"] != 5.0 {
			t.Errorf("108: the new client got %v", ncs)
		}
		for _, ce := range []*websocket.CloseError{oce, nce} {
			if ce == nil || ce.Code != 1011 || ce.Text != `{"exitCode":5,"exitReason":"non-zero exit"}` {
				t.Errorf("close %+v", ce)
			}
		}
	})

	t.Run("109 unknown id with the offer: echo, then a control error", func(t *testing.T) {
		c, resp, err := h.wsDial(t, "/process/pty/zz109/connect", exitCtl, nil)
		if err != nil {
			t.Fatal(err)
		}
		if echoed(resp) != exitCtl {
			t.Errorf("echoed %q", echoed(resp))
		}
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, data, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		_ = json.Unmarshal(data, &m)
		if m["status"] != "error" || !strings.Contains(m["error"].(string), "PTY session zz109 not found") {
			t.Errorf("frame %s", data)
		}
	})

	t.Run("117 125 126 PTY REST errors and the legacy flow", func(t *testing.T) {
		structuredErr(404, "PROCESS_NOT_FOUND", "PTY session not found")(t, h.do("GET", "/process/pty/nope", "", cur))
		structuredErr(404, "PROCESS_NOT_FOUND", "PTY session not found")(t, h.do("DELETE", "/process/pty/nope", "", cur))
		structuredErr(400, "BAD_REQUEST", "bad request: ")(t, h.do("POST", "/process/pty", `{"id":"create-connect"}`, cur))
		structuredErr(409, "CONFLICT", "conflict: ")(t, h.do("POST", "/process/pty", `{"id":"p92"}`, cur))
		structuredErr(410, "GONE", "gone: PTY session zz not found")(t, h.do("POST", "/process/pty/zz/resize", `{"cols":10,"rows":10}`, cur))
		// A v0.190 client still gets E3.
		if r := h.do("GET", "/process/pty/nope", "", nil); string(r.body) != `{"error":"PTY session not found"}` {
			t.Errorf("v0.190 client: %s", r.body)
		}
		h.mustStatus(h.do("POST", "/process/pty", `{"id":"q126","lazyStart":true}`, cur), 201)
		c, _, err := h.wsDial(t, "/process/pty/q126/connect", exitCtl, nil)
		if err != nil {
			t.Fatal(err)
		}
		watch(c).connected(t)
	})
}

func TestChecklistAfter190REST(t *testing.T) {
	h := newHarness(t)
	h.createSession("s")
	done := h.execAsync("s", "echo done", "")
	h.waitDone("s", done)

	t.Run("110 execute timeout", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		r := h.do("POST", "/process/execute", `{"command":"sleep 10","timeout":2}`, cur)
		structuredErr(408, "PROCESS_EXECUTION_TIMEOUT", "command execution timeout")(t, r)
		m := r.json(t)
		if m["path"] != "/process/execute" || m["method"] != "POST" || m["message"] != "command execution timeout" {
			t.Errorf("body %s", r.body)
		}
		if d := time.Since(start); d < 1900*time.Millisecond || d > 7*time.Second {
			t.Errorf("answered after %v", d)
		}
	})
	t.Run("111 408 at the deadline despite background jobs", func(t *testing.T) {
		t.Parallel()
		for _, cmd := range []string{"sleep 30 >/dev/null & sleep 30", "(sleep 30 &); sleep 30"} {
			start := time.Now()
			b, _ := json.Marshal(map[string]any{"command": cmd, "timeout": 2})
			r := h.do("POST", "/process/execute", string(b), cur)
			structuredErr(408, "PROCESS_EXECUTION_TIMEOUT", "command execution timeout")(t, r)
			if d := time.Since(start); d > 7*time.Second {
				t.Errorf("%q: 408 after %v", cmd, d)
			}
		}
	})
	t.Run("124 timeouts 0, 1 and -1", func(t *testing.T) {
		t.Parallel()
		if r := h.do("POST", "/process/execute", `{"command":"sleep 1.2; echo ok","timeout":0}`, cur); r.status != 200 || r.json(t)["result"] != "ok\n" {
			t.Errorf("timeout 0: %d %s", r.status, r.body)
		}
		start := time.Now()
		structuredErr(408, "PROCESS_EXECUTION_TIMEOUT", "")(t, h.do("POST", "/process/execute", `{"command":"sleep 5","timeout":1}`, cur))
		if d := time.Since(start); d > 4*time.Second {
			t.Errorf("timeout 1 answered after %v", d)
		}
		structuredErr(400, "INVALID_REQUEST_BODY", "invalid body request: ")(t, h.do("POST", "/process/execute", `{"command":"true","timeout":-1}`, cur))
	})

	cases := []reqCase{
		{"112 empty command", "POST", "/process/execute", `{"command":""}`, cur, []check{structuredErr(400, "INVALID_REQUEST_BODY", "invalid body request: invalid request body")}},
		{"112 no body", "POST", "/process/execute", "", cur, []check{structuredErr(400, "INVALID_REQUEST_BODY", "invalid body request: invalid request body: EOF")}},
		{"113 cobol", "POST", "/process/code-run", `{"code":"x","language":"cobol"}`, cur, []check{structuredErr(400, "BAD_REQUEST", "bad request: unsupported language: cobol")}},
		{"114 unknown session", "GET", "/process/session/missing", "", cur, []check{structuredErr(404, "PROCESS_NOT_FOUND", "session not found")}},
		{"115 exec in an unknown session", "POST", "/process/session/missing/exec", `{"command":"echo"}`, cur, []check{structuredErr(404, "PROCESS_NOT_FOUND", "session not found")}},
		{"116 unknown command", "GET", "/process/session/s/command/missing", "", cur, []check{structuredErr(404, "PROCESS_NOT_FOUND", "command not found")}},
		{"116 logs of an unknown command", "GET", "/process/session/s/command/missing/logs", "", cur, []check{structuredErr(404, "PROCESS_NOT_FOUND", "")}},
		{"119 input to a finished command", "POST", "/process/session/s/command/" + done + "/input", `{"data":"x"}`, cur, []check{structuredErr(410, "COMMAND_ALREADY_COMPLETED", "command has already completed with exit code 0")}},
		{"120 session exec empty body", "POST", "/process/session/s/exec", "", cur, []check{structuredErr(400, "INVALID_REQUEST_BODY", "invalid body request: ")}},
		{"120 session exec empty command", "POST", "/process/session/s/exec", `{"command":""}`, cur, []check{structuredErr(400, "INVALID_REQUEST_BODY", "invalid body request: ")}},
		{"120 session exec bad JSON", "POST", "/process/session/s/exec", `{"command":`, cur, []check{structuredErr(400, "INVALID_REQUEST_BODY", "invalid body request: ")}},
		{"duplicate session", "POST", "/process/session", `{"sessionId":"s"}`, cur, []check{structuredErr(409, "CONFLICT", "conflict: session already exists")}},
		{"reserved session id", "POST", "/process/session", `{"sessionId":"entrypoint"}`, cur, []check{structuredErr(400, "BAD_REQUEST", "bad request: provided session ID is reserved")}},
		// v0.190 clients keep the old shapes (docs/protocol.md §12.3).
		{"0.190 exec in an unknown session", "POST", "/process/session/missing/exec", `{"command":"echo"}`, nil, []check{status(500), field("message", "failed to execute command: not found: session not found")}},
		{"0.190 empty body", "POST", "/process/session/s/exec", "", nil, []check{status(400), emptyBody()}},
		{"0.190 not-found shape", "GET", "/process/session/missing", "", nil, []check{e1("NOT_FOUND", "not found: session not found")}},
	}
	runCases(t, h, cases)

	t.Run("118 exit in a session command", func(t *testing.T) {
		h.createSession("s118")
		cid := h.execAsync("s118", "echo bye; exit 7", "")
		if ec := h.waitDone("s118", cid); ec != 7 {
			t.Errorf("exit %d", ec)
		}
		// procsh keeps the session alive (docs/protocol.md §10 item 1), so
		// where the daemon answers 410 SESSION_ENDED the session still works.
		r := h.do("POST", "/process/session/s118/exec", `{"command":"echo after"}`, cur)
		if r.status != 200 || r.json(t)["stdout"] != "after\n" {
			t.Errorf("exec after exit: %d %s", r.status, r.body)
		}
		if l := h.do("GET", "/process/session/s118/command/"+cid+"/logs", "", cur); l.json(t)["stdout"] != "bye\n" {
			t.Errorf("logs %s", l.body)
		}
	})
	t.Run("121 unknown session exec fields are ignored", func(t *testing.T) {
		h.createSession("s121")
		wd := h.execSync("s121", "pwd")["stdout"].(string)
		r := h.do("POST", "/process/session/s121/exec", `{"command":"pwd; echo $A","cwd":"/tmp","env":{"A":"1"}}`, cur)
		if r.status != 200 || r.json(t)["stdout"] != wd+"\n" {
			t.Errorf("%d %s (session cwd %q)", r.status, r.body, wd)
		}
	})
	t.Run("123 a replayed DELETE", func(t *testing.T) {
		h.createSession("s123")
		h.mustStatus(h.do("DELETE", "/process/session/s123", "", cur), 204)
		structuredErr(404, "PROCESS_NOT_FOUND", "session not found")(t, h.do("DELETE", "/process/session/s123", "", cur))
		structuredErr(404, "PROCESS_NOT_FOUND", "session not found")(t, h.do("GET", "/process/session/s123", "", cur))
	})
}

// TestExitedFrameOrderLoop repeats item 104 many times: the output a
// program writes right before it exits always precedes the exited frame,
// which always precedes the close. Racy by nature (the PTY's last output,
// its exit and the socket), so it loops and reports the rate.
func TestExitedFrameOrderLoop(t *testing.T) {
	h := newHarness(t)
	n := 200
	if testing.Short() {
		n = 20
	}
	bad := 0
	for i := 0; i < n; i++ {
		id := "loop" + strings.Repeat("x", i%3) + itoaTest(i)
		c, _, err := h.wsDial(t, "/process/pty/create-connect?id="+id, exitCtl, nil)
		if err != nil {
			t.Fatal(err)
		}
		s := watch(c)
		s.connected(t)
		s.send(t, "printf 'LAST%s\\n' "+itoaTest(i)+"; exit 3\n")
		var out []byte
		sawExited, outAfter := false, false
		timeout := time.After(15 * time.Second)
	read:
		for {
			select {
			case f, ok := <-s.frames:
				if !ok {
					break read
				}
				if m := control(f); m != nil && m["status"] == "exited" {
					sawExited = true
				} else if f.typ == websocket.BinaryMessage {
					if sawExited {
						outAfter = true
					}
					out = append(out, f.data...)
				}
			case <-timeout:
				t.Fatalf("iteration %d did not end", i)
			}
		}
		ce := <-s.closed
		if !sawExited || outAfter || ce == nil || ce.Code != 1011 || !strings.Contains(string(out), "LAST"+itoaTest(i)+"\r\n") {
			bad++
			t.Errorf("iteration %d: exited %v, output after it %v, close %+v, output %q", i, sawExited, outAfter, ce, out)
		}
		c.Close()
	}
	t.Logf("%d of %d create-connect/exit rounds out of order", bad, n)
}

func itoaTest(i int) string { return strconv.Itoa(i) }
