package server

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// ptyConn dials a PTY and returns the connection after the connected frame,
// plus a channel of everything received afterwards.
type ptyConn struct {
	c      *websocket.Conn
	out    chan []byte
	closed chan *websocket.CloseError
}

func (h *harness) connectPTY(t *testing.T, id string) *ptyConn {
	t.Helper()
	c, _, err := h.dial("/process/pty/"+id+"/connect", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var pre [][]byte
	for {
		typ, data, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("before connected: %v", err)
		}
		if typ == websocket.TextMessage {
			var m map[string]any
			if json.Unmarshal(data, &m) == nil && m["type"] == "control" {
				if m["status"] != "connected" || len(m) != 2 {
					t.Fatalf("69: control frame %s", data)
				}
				break
			}
		}
		pre = append(pre, data)
	}
	_ = c.SetReadDeadline(time.Time{})
	p := &ptyConn{c: c, out: make(chan []byte, 1024), closed: make(chan *websocket.CloseError, 1)}
	for _, d := range pre {
		p.out <- d
	}
	go func() {
		for {
			typ, data, err := c.ReadMessage()
			if err != nil {
				ce, _ := err.(*websocket.CloseError)
				p.closed <- ce
				close(p.out)
				return
			}
			if typ == websocket.BinaryMessage {
				p.out <- data
			}
		}
	}()
	return p
}

// expect reads output until it contains s.
func (p *ptyConn) expect(t *testing.T, s string) {
	t.Helper()
	var acc []byte
	timeout := time.After(10 * time.Second)
	for !bytes.Contains(acc, []byte(s)) {
		select {
		case d, ok := <-p.out:
			if !ok {
				t.Fatalf("connection ended before %q; got %q", s, acc)
			}
			acc = append(acc, d...)
		case <-timeout:
			t.Fatalf("no %q in %q", s, acc)
		}
	}
}

func (p *ptyConn) closeFrame(t *testing.T) *websocket.CloseError {
	t.Helper()
	go func() {
		for range p.out {
		}
	}()
	select {
	case ce := <-p.closed:
		return ce
	case <-time.After(10 * time.Second):
		t.Fatal("no close")
		return nil
	}
}

// Checklist items 63–74.
func TestChecklistPTY(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const P = "/process/pty"
	runCases(t, h, []reqCase{
		{"64 empty id", "POST", P, `{}`, nil, []check{status(400), bodyIs(`{"error":"session ID is required"}`)}},
		{"64 bad json", "POST", P, `{`, nil, []check{status(400), func(t *testing.T, r reply) {
			if _, ok := r.json(t)["error"]; !ok {
				t.Error("no error key")
			}
		}}},
		{"65 cols 1001", "POST", P, `{"id":"big","cols":1001}`, nil, []check{status(400), bodyIs(`{"error":"invalid value for cols - must be less than 1000"}`)}},
		{"65 rows 1001", "POST", P, `{"id":"big","rows":1001}`, nil, []check{status(400)}},
		{"65 cols 1000", "POST", P, `{"id":"big","cols":1000}`, nil, []check{status(201)}},
		{"63 create", "POST", P, `{"id":"p"}`, nil, []check{status(201), bodyIs(`{"sessionId":"p"}`)}},
		{"64 duplicate", "POST", P, `{"id":"p"}`, nil, []check{status(409), bodyIs(`{"error":"PTY session with ID 'p' already exists"}`)}},
		{"get unknown", "GET", P + "/zz", "", nil, []check{status(404), bodyIs(`{"error":"PTY session not found"}`)}},
		{"67 resize unknown", "POST", P + "/zz/resize", `{"cols":10,"rows":10}`, nil, []check{status(410), bodyIs(`{"error":"PTY session zz not found"}`)}},
		{"67 resize 1001", "POST", P + "/p/resize", `{"cols":1001,"rows":10}`, nil, []check{status(400), bodyIs(`{"error":"cols must be less than 1000"}`)}},
		{"resize no body", "POST", P + "/p/resize", ``, nil, []check{status(400), bodyIs(`{"error":"EOF"}`)}},
		{"bad pty id", "POST", P, `{"id":"../x"}`, nil, []check{status(400)}},
		{"eager start failure", "POST", P, `{"id":"badcwd","cwd":"/nonexistent/x"}`, nil, []check{func(t *testing.T, r reply) {
			if r.status < 400 {
				t.Errorf("status %d", r.status)
			}
		}}},
		{"failed PTY not kept", "GET", P + "/badcwd", "", nil, []check{status(404)}},
	})
	t.Run("63 info", func(t *testing.T) {
		m := h.do("GET", P+"/p", "", nil).json(t)
		envs, _ := m["envs"].(map[string]any)
		if m["cols"] != 80.0 || m["rows"] != 24.0 || envs["TERM"] != "xterm-256color" || m["active"] != true || m["lazyStart"] != false {
			t.Errorf("info %v", m)
		}
		for _, k := range []string{"id", "cwd", "envs", "cols", "rows", "createdAt", "active", "lazyStart"} {
			if _, ok := m[k]; !ok {
				t.Errorf("key %s missing", k)
			}
		}
		if len(m) != 8 {
			t.Errorf("extra keys for a Daytona client: %v", m)
		}
	})
	t.Run("67 resize", func(t *testing.T) {
		m := h.do("POST", P+"/p/resize", `{"cols":100,"rows":30}`, nil).json(t)
		if m["cols"] != 100.0 || m["rows"] != 30.0 {
			t.Errorf("resize %v", m)
		}
	})
	t.Run("66 lazy", func(t *testing.T) {
		h.mustStatus(h.do("POST", P, `{"id":"lazy","lazyStart":true}`, nil), 201)
		var list struct{ Sessions []map[string]any }
		_ = json.Unmarshal(h.do("GET", P, "", nil).body, &list)
		found := false
		for _, s := range list.Sessions {
			if s["id"] == "lazy" {
				found = true
				if s["active"] != false || s["lazyStart"] != true {
					t.Errorf("lazy before connect %v", s)
				}
			}
		}
		if !found {
			t.Fatalf("lazy not listed: %v", list)
		}
		// Resizing it before anyone connected: 500 E3, as the reference.
		r := h.do("POST", P+"/lazy/resize", `{"cols":100,"rows":30}`, nil)
		if r.status != 500 || !strings.Contains(string(r.body), "cannot resize inactive PTY session") {
			t.Errorf("resize of an unstarted lazy PTY: %d %s", r.status, r.body)
		}
		h.connectPTY(t, "lazy")
		if r := h.do("POST", P+"/lazy/resize", `{"cols":100,"rows":30}`, nil); r.status != 200 {
			t.Errorf("resize after connect: %d %s", r.status, r.body)
		}
		if m := h.do("GET", P+"/lazy", "", nil).json(t); m["active"] != true {
			t.Errorf("after connect %v", m)
		}
	})
	t.Run("68 unknown connect", func(t *testing.T) {
		c, _, err := h.dial(P+"/zz/connect", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		typ, data, err := c.ReadMessage()
		if err != nil || typ != websocket.TextMessage {
			t.Fatalf("%v %v", typ, err)
		}
		if string(data) != `{"error":"Failed to connect to PTY session: PTY session zz not found","status":"error","type":"control"}` {
			t.Errorf("frame %s", data)
		}
		_, _, err = c.ReadMessage()
		if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != websocket.CloseAbnormalClosure {
			t.Errorf("want 1006 (dropped without close frame), got %v", err)
		}
	})
	t.Run("70/71 echo and exit 3", func(t *testing.T) {
		h.mustStatus(h.do("POST", P, `{"id":"e3"}`, nil), 201)
		p := h.connectPTY(t, "e3")
		_ = p.c.WriteMessage(websocket.BinaryMessage, []byte("echo hi\n"))
		p.expect(t, "hi\r\n")
		_ = p.c.WriteMessage(websocket.TextMessage, []byte("exit 3\n"))
		ce := p.closeFrame(t)
		if ce == nil || ce.Code != 1011 || ce.Text != `{"exitCode":3,"exitReason":"non-zero exit"}` {
			t.Errorf("close %v", ce)
		}
		h.mustStatus(h.do("GET", P+"/e3", "", nil), 404)
		// procsh clients still see how it ended.
		m := h.do("GET", P+"/e3?procsh=1", "", nil).json(t)
		if m["exited"] != true || m["exitCode"] != 3.0 {
			t.Errorf("extended info %v", m)
		}
		// A Daytona client cannot reconnect to an ended PTY.
		c, _, err := h.dial(P+"/e3/connect", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, data, _ := c.ReadMessage()
		if !strings.Contains(string(data), "has terminated and is no longer available") {
			t.Errorf("reconnect frame %s", data)
		}
	})
	t.Run("72 exit 0", func(t *testing.T) {
		h.mustStatus(h.do("POST", P, `{"id":"e0"}`, nil), 201)
		p := h.connectPTY(t, "e0")
		_ = p.c.WriteMessage(websocket.BinaryMessage, []byte("exit\n"))
		if ce := p.closeFrame(t); ce == nil || ce.Code != 1000 || ce.Text != `{"exitCode":0}` {
			t.Errorf("close %v", ce)
		}
	})
	t.Run("73 delete", func(t *testing.T) {
		h.mustStatus(h.do("POST", P, `{"id":"dk"}`, nil), 201)
		p := h.connectPTY(t, "dk")
		r := h.do("DELETE", P+"/dk", "", nil)
		if r.status != 200 || string(r.body) != `{"message":"PTY session deleted"}` {
			t.Errorf("delete %d %s", r.status, r.body)
		}
		if ce := p.closeFrame(t); ce == nil || ce.Code != 1011 || ce.Text != `{"exitCode":137,"exitReason":"SIGKILL"}` {
			t.Errorf("close %v", ce)
		}
		h.mustStatus(h.do("DELETE", P+"/dk", "", nil), 404)
	})
	t.Run("74 two clients", func(t *testing.T) {
		h.mustStatus(h.do("POST", P, `{"id":"two"}`, nil), 201)
		a, b := h.connectPTY(t, "two"), h.connectPTY(t, "two")
		_ = a.c.WriteMessage(websocket.BinaryMessage, []byte("echo from-$((40+2))\n"))
		a.expect(t, "from-42")
		b.expect(t, "from-42")
		_ = b.c.WriteMessage(websocket.BinaryMessage, []byte("echo by-$((1+1))b\n"))
		a.expect(t, "by-2b")
		b.expect(t, "by-2b")
	})
	t.Run("64 KiB input limit closes 1009", func(t *testing.T) {
		h.mustStatus(h.do("POST", P, `{"id":"big-in"}`, nil), 201)
		p := h.connectPTY(t, "big-in")
		_ = p.c.WriteMessage(websocket.BinaryMessage, bytes.Repeat([]byte("x"), 64<<10+1))
		if ce := p.closeFrame(t); ce == nil || ce.Code != 1009 {
			t.Errorf("close %v", ce)
		}
		// The PTY itself lives on.
		if m := h.do("GET", P+"/big-in", "", nil).json(t); m["active"] != true {
			t.Errorf("pty after 1009: %v", m)
		}
	})
}

// A PTY client that stops reading is cut off with 1008 "slow consumer"
// once the backend's per-handle buffer overflows; the PTY lives on.
func TestPTYSlowConsumer1008(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.mustStatus(h.do("POST", "/process/pty?procsh=1", `{"id":"flood","lazyStart":true,"command":["sh","-c","stty -echo; echo READY; read x; head -c 40000000 /dev/zero | tr '\\0' a; read y"]}`, nil), 201)
	c, _, err := h.dial("/process/pty/flood/connect", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var acc []byte
	for !bytes.Contains(acc, []byte("READY")) {
		_, d, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		acc = append(acc, d...)
	}
	_ = c.WriteMessage(websocket.BinaryMessage, []byte("go\n"))
	time.Sleep(4 * time.Second) // stall while the program floods the PTY
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	var ce *websocket.CloseError
	total := 0
	for {
		_, d, err := c.ReadMessage()
		total += len(d)
		if err != nil {
			ce, _ = err.(*websocket.CloseError)
			t.Logf("read %d bytes, then %v", total, err)
			break
		}
	}
	if ce == nil || ce.Code != websocket.ClosePolicyViolation || ce.Text != "slow consumer" {
		t.Fatalf("close %v", ce)
	}
	if m := h.do("GET", "/process/pty/flood", "", nil).json(t); m["active"] != true {
		t.Errorf("PTY after slow consumer: %v", m)
	}
}
