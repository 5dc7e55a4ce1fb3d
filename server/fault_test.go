package server

import (
	"bytes"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// settle waits until the goroutine count is back to at most base+slack.
func settle(t *testing.T, base, slack int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= base+slack {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("goroutines: %d, want <= %d\n%s", n, base+slack, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A follower whose client vanishes (no close frame) is freed.
func TestFaultClientDisconnectsMidFollow(t *testing.T) {
	h := newHarness(t)
	h.createSession("s")
	cid := h.execAsync("s", "while :; do echo tick; sleep 0.05; done", "")
	h.do("GET", "/process/session/s/command/"+cid, "", nil) // warm up keep-alive conns
	base := runtime.NumGoroutine()
	for i := 0; i < 5; i++ {
		c, _, err := h.dial("/process/session/s/command/"+cid+"/logs?follow=true", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.ReadMessage(); err != nil {
			t.Fatal(err)
		}
		c.NetConn().Close() // vanish without a close frame
	}
	settle(t, base, 2)
	// The command runs on, unaffected.
	if m := h.do("GET", "/process/session/s/command/"+cid, "", nil).json(t); m["exitCode"] != nil {
		t.Errorf("command after follower loss: %v", m)
	}
}

// A consumer that reads slowly gets every byte in order; one that stops
// reading is cut off after the write timeout and the handler ends.
func TestFaultSlowLogConsumer(t *testing.T) {
	h := newHarness(t)
	h.createSession("s")
	const n = 4 << 20
	cid := h.execAsync("s", "head -c 4194304 /dev/zero | tr '\\0' x; echo", "")
	h.waitDone("s", cid)

	c, _, err := h.dial("/process/session/s/command/"+cid+"/logs?follow=true", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var got []byte
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != 1000 {
				t.Errorf("slow consumer: %v", err)
			}
			break
		}
		got = append(got, data...)
		time.Sleep(2 * time.Millisecond) // slow, but within the write timeout
	}
	if clean := bytes.ReplaceAll(got, []byte(mark1), nil); len(clean) != n+1 || bytes.Count(clean, []byte("x")) != n {
		t.Errorf("slow consumer got %d bytes", len(clean))
	}

	// A stalled consumer, against a server with a short write timeout.
	h = newHarness(t, withWriteWait(300*time.Millisecond))
	h.createSession("s")
	// More than the socket buffers on both ends can hold.
	cid = h.execAsync("s", "head -c 33554432 /dev/zero", "")
	h.waitDone("s", cid)
	base := runtime.NumGoroutine()
	stalled, _, err := h.dial("/process/session/s/command/"+cid+"/logs?follow=true", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Shrink our receive buffer so the server's writes block quickly.
	if tc, ok := stalled.NetConn().(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4096)
	}
	// Never read: the server holds the rest back (flow control) instead
	// of dropping the follower when a write would time out; once the
	// follower goes away, so does its handler.
	time.Sleep(time.Second)
	stalled.Close()
	settle(t, base, 1)

	// A follower that pauses far longer than the write timeout, then
	// resumes, receives everything.
	paused, _, err := h.dial("/process/session/s/command/"+cid+"/logs?follow=true", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, first, err := paused.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // 10× the write timeout
	rest, _, _, ce, err := readAll(t, paused, 60*time.Second)
	paused.Close()
	total := bytes.ReplaceAll(append(first, rest...), []byte(mark1), nil)
	if err != nil || ce == nil || ce.Code != 1000 || len(total) != 33554432 {
		t.Fatalf("paused follower: %d of 33554432 bytes, close %v, err %v", len(total), ce, err)
	}
}

func TestFaultBadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t, WithMaxBodyBytes(1024))
	h.createSession("s")
	big := `{"command":"echo ` + strings.Repeat("a", 2000) + `"}`
	cases := []reqCase{
		{"huge execute", "POST", "/process/execute", big, nil, []check{status(413), e1("REQUEST_ENTITY_TOO_LARGE", "request entity too large")}},
		{"huge session exec", "POST", "/process/session/s/exec", big, nil, []check{status(413)}},
		{"huge code-run", "POST", "/process/code-run", big, nil, []check{status(413)}},
		{"huge pty create", "POST", "/process/pty", `{"id":"` + strings.Repeat("p", 2000) + `"}`, nil, []check{status(413)}},
		{"huge input", "POST", "/process/session/s/command/c/input", `{"data":"` + strings.Repeat("d", 2000) + `"}`, nil, []check{status(413)}},
		{"malformed session create", "POST", "/process/session", `{"sessionId":`, nil, []check{status(400)}},
		{"wrong type session create", "POST", "/process/session", `{"sessionId":5}`, nil, []check{status(400)}},
		{"malformed input", "POST", "/process/session/s/command/c/input", `[`, nil, []check{status(400)}},
		{"malformed resize", "POST", "/process/pty/p/resize", `{"cols":-1}`, nil, []check{status(400)}},
		{"malformed pty", "POST", "/process/pty", `{"id":["x"]}`, nil, []check{status(400)}},
		{"malformed kill", "POST", "/process/session/s/command/c/kill?procsh=1", `{"signal":`, nil, []check{status(400)}},
		{"unknown signal", "POST", "/process/session/s/command/c/kill?procsh=1", `{"signal":"BOGUS"}`, nil, []check{status(400), field("procshKind", "invalid_argument")}},
		{"bad offset", "GET", "/process/session/s/command/c/logs?procsh=1&offset=-3", "", map[string]string{"Upgrade": "websocket"}, []check{func(t *testing.T, r reply) {
			if r.status < 400 || r.status >= 500 {
				t.Errorf("status %d", r.status)
			}
		}}},
		{"session id with dots", "DELETE", "/process/session/..", "", nil, []check{func(t *testing.T, r reply) {
			if r.status < 300 || r.status >= 500 {
				t.Errorf("status %d", r.status)
			}
		}}},
		{"pty id with dots", "GET", "/process/pty/a..b", "", nil, []check{status(400)}},
		{"extended kinds", "GET", "/process/session/nope?procsh=1", "", nil, []check{status(404), field("procshKind", "not_found")}},
	}
	runCases(t, h, cases)
	// Nothing was left behind: the session works and no PTY exists.
	if m := h.execSync("s", "echo ok"); m["stdout"] != "ok\n" {
		t.Errorf("session after bad input: %v", m)
	}
	if r := h.do("GET", "/process/pty", "", nil); string(r.body) != `{"sessions":[]}` {
		t.Errorf("ptys %s", r.body)
	}
}

// Shutdown ends sessions, PTYs and sockets; later requests get 503.
func TestShutdown(t *testing.T) {
	h := newHarness(t)
	h.createSession("s")
	cid := h.execAsync("s", "sleep 30.321", "")
	h.mustStatus(h.do("POST", "/process/pty", `{"id":"p","command":["sleep","30.654"]}`, map[string]string{}), 201)
	p := h.connectPTY(t, "p")
	follow, _, err := h.dial("/process/session/s/command/"+cid+"/logs?follow=true", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer follow.Close()
	if err := h.srv.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if ce := p.closeFrame(t); ce == nil || ce.Code != 1011 || !strings.Contains(ce.Text, "137") {
		t.Errorf("PTY close %v", ce)
	}
	_, _, _, ce, _ := readAll(t, follow, 5*time.Second)
	if ce == nil || (ce.Code != websocket.CloseNormalClosure && ce.Code != websocket.CloseGoingAway) {
		t.Errorf("follower close %v", ce)
	}
	if n := countProcs(t, "sleep 30.321") + countProcs(t, "sleep 30.654"); n != 0 {
		t.Errorf("%d processes survive Shutdown", n)
	}
	h.mustStatus(h.do("GET", "/process/session", "", nil), 503)
}

// A PTY client that vanishes while the PTY is idle frees its handler.
func TestFaultPTYClientVanishes(t *testing.T) {
	h := newHarness(t)
	h.mustStatus(h.do("POST", "/process/pty?procsh=1", `{"id":"idle","command":["sleep","30.55"]}`, nil), 201)
	base := runtime.NumGoroutine()
	for i := 0; i < 3; i++ {
		p := h.connectPTY(t, "idle")
		p.c.NetConn().Close()
	}
	settle(t, base, 1)
	if m := h.do("GET", "/process/pty/idle", "", nil).json(t); m["active"] != true {
		t.Errorf("PTY after clients vanished: %v", m)
	}
}
