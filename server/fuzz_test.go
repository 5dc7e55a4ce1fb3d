package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/internal/wire"
)

// fuzzRoutes are the routes that decode a JSON body.
var fuzzRoutes = []string{
	"/process/execute",
	"/process/code-run",
	"/process/session",
	"/process/session/fz/exec",
	"/process/session/fz/command/c/input",
	"/process/session/fz/command/c/kill",
	"/process/pty",
	"/process/pty/fz/resize",
}

// FuzzJSONHandlers sends arbitrary bodies to every JSON route, in both the
// Daytona and the procsh dialect. The backend is a real local one whose
// shell is /bin/true, so a body that decodes into a command runs nothing;
// code runs are skipped (they would run the fuzzed code). Properties: no
// panic, a well-formed reply (JSON for every error with a body), no 5xx for
// a refused argument, and nothing left behind that the URL cannot reach.
func FuzzJSONHandlers(f *testing.F) {
	seeds := []string{
		`{"command":"echo hi","timeout":1}`,
		`{"command":"true","timeoutMs":18446744073710}`,
		`{"command":"true","envs":{"A=B":"x","C":"\u0000"}}`,
		`{"code":"print(1)","language":"fuzz"}`,
		`{"sessionId":"."}`, `{"sessionId":"a/b"}`, `{"sessionId":"x","envs":{"A":"\u0000"}}`,
		`{"command":"true","runAsync":true}`,
		`{"data":"x"}`, `{"signal":"SIG"}`, `{"signal":"99"}`,
		`{"id":"p","cols":0.5,"rows":1e9}`, `{"id":"..","envs":{"A=B":"x"}}`, `{"id":"q","lazyStart":true}`,
		`{"cols":80,"rows":24}`, `{"cols":-1}`,
		`{`, `[]`, `null`, `"x"`, `{"command":5}`, ``,
	}
	for i, sd := range seeds {
		f.Add(uint8(i), false, []byte(sd))
		f.Add(uint8(i+3), true, []byte(sd))
	}
	b, err := local.New(local.WithShell("/bin/true"), local.WithKillGrace(100*time.Millisecond),
		local.WithDir(f.TempDir()), local.WithEnv(isolatedEnv(f)))
	if err != nil {
		f.Fatal(err)
	}
	s := New(b, WithMaxBodyBytes(64<<10))
	f.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	f.Fuzz(func(t *testing.T, route uint8, extended bool, body []byte) {
		path := fuzzRoutes[int(route)%len(fuzzRoutes)]
		if path == "/process/code-run" {
			var req wire.CodeRunRequest
			if json.Unmarshal(body, &req) == nil || bytes.Contains(body, []byte("language")) {
				t.Skip("would run fuzzed code")
			}
		}
		if extended {
			path += "?procsh=1"
		}
		if path == "/process/pty?procsh=1" && bytes.Contains(body, []byte("command")) {
			t.Skip("would run a fuzzed argv")
		}
		req := httptest.NewRequest("POST", path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		res := w.Result()
		if res.StatusCode < 200 || res.StatusCode > 599 {
			t.Fatalf("status %d", res.StatusCode)
		}
		rb := w.Body.Bytes()
		if res.StatusCode >= 400 && len(rb) > 0 && !json.Valid(rb) {
			t.Fatalf("%s: error body is not JSON: %q", path, rb)
		}
		if res.StatusCode == 400 && extended && len(rb) > 0 {
			var e struct {
				Kind string `json:"procshKind"`
			}
			if json.Unmarshal(rb, &e) != nil || e.Kind != client.WireKind(client.ErrInvalidArgument) {
				t.Fatalf("%s: 400 without procshKind invalid_argument: %s", path, rb)
			}
		}
		// Whatever was created is reachable by URL; then remove it so the
		// next input starts clean.
		ctx := context.Background()
		sessions, _ := b.ListSessions(ctx)
		for _, si := range sessions {
			if p := idProblem(si.ID); p != "" && si.ID != hiddenEntrypointSID {
				t.Errorf("session %q was created but is not reachable: %s", si.ID, p)
			}
			if si.ID != "fz" {
				_ = b.DeleteSession(ctx, si.ID)
			}
		}
		ptys, _ := b.ListPTYs(ctx)
		for _, p := range ptys {
			if pr := idProblem(p.ID); pr != "" {
				t.Errorf("PTY %q was created but is not reachable: %s", p.ID, pr)
			}
			_ = b.KillPTY(ctx, p.ID)
		}
	})
}

// wsFrame builds one client frame (masked, as RFC 6455 requires of
// clients).
func wsFrame(fin bool, op byte, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	out := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		out = append(out, 0x80|byte(n))
	case n < 1<<16:
		out = append(out, 0x80|126, byte(n>>8), byte(n))
	default:
		out = append(out, 0x80|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	mask := [4]byte{1, 2, 3, 4}
	out = append(out, mask[:]...)
	for i, c := range payload {
		out = append(out, c^mask[i%4])
	}
	return out
}

// FuzzWebSocketFrames writes arbitrary bytes as the frames of a WebSocket
// client — to a PTY running cat in raw mode (its input is never
// interpreted) and to a followed log — then half-closes. Properties: the
// server ends the connection promptly (no hang on a truncated or hostile
// frame), no handler is left behind, and the server still serves.
func FuzzWebSocketFrames(f *testing.F) {
	f.Add(false, wsFrame(true, 2, []byte("hello\r")))
	f.Add(false, wsFrame(true, 1, []byte(`{"type":"resize","cols":0.5}`)))
	f.Add(false, append(wsFrame(false, 2, []byte("frag")), wsFrame(true, 0, []byte("ment"))...))
	f.Add(false, wsFrame(true, 9, []byte("ping")))
	f.Add(false, wsFrame(true, 8, []byte{0x03, 0xe8}))
	f.Add(false, wsFrame(true, 2, bytes.Repeat([]byte{0xff}, DefaultMaxMessageBytes+1))) // over the limit: 1009
	f.Add(false, []byte{0x82, 0x05, 'x', 'x', 'x', 'x', 'x'})                            // unmasked: protocol error
	f.Add(false, []byte{0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})     // 2^64-1 length
	f.Add(false, []byte{0x8f, 0x80, 0, 0, 0, 0})                                         // reserved opcode
	f.Add(true, wsFrame(true, 1, []byte("anything")))
	f.Add(true, []byte{0x81})
	b, err := local.New(local.WithKillGrace(100*time.Millisecond), local.WithEnv(isolatedEnv(f)))
	if err != nil {
		f.Fatal(err)
	}
	s := New(b)
	ts := httptest.NewServer(s)
	f.Cleanup(func() {
		_ = s.Shutdown(context.Background())
		ts.Close()
	})
	ctx := context.Background()
	if err := b.CreateSession(ctx, client.SessionOptions{ID: "fz"}); err != nil {
		f.Fatal(err)
	}
	res, err := b.ExecSession(ctx, "fz", client.SessionExecRequest{Command: "sleep 100000", Async: true})
	if err != nil {
		f.Fatal(err)
	}
	logPath := "/process/session/fz/command/" + res.CmdID + "/logs?follow=true"
	ensurePTY := func(t *testing.T) {
		if p, err := b.GetPTY(ctx, "fz"); err == nil && !p.Exited {
			return
		}
		_ = b.KillPTY(ctx, "fz")
		if _, err := b.CreatePTY(ctx, client.PTYOptions{ID: "fz", Command: []string{"sh", "-c", "stty raw -echo; exec cat >/dev/null"}}); err != nil {
			t.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, logs bool, frames []byte) {
		path := "/process/pty/fz/connect"
		if logs {
			path = logPath
		} else {
			ensurePTY(t)
		}
		conn, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
		_, _ = io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: "+ts.Listener.Addr().String()+
			"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("handshake: %d", resp.StatusCode)
		}
		done := make(chan error, 1)
		var got bytes.Buffer
		go func() { _, err := io.Copy(&got, br); done <- err }()
		_, _ = conn.Write(frames)
		_ = conn.(*net.TCPConn).CloseWrite()
		select {
		case err := <-done:
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("server did not end the connection after the client's EOF")
			}
		case <-time.After(25 * time.Second):
			t.Fatal("read did not return")
		}
		if !logs && !bytes.Contains(got.Bytes(), []byte(`"status":"connected"`)) {
			t.Fatalf("PTY never connected; server sent %q", got.Bytes())
		}
		// The handler is gone shortly after the connection.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(2 * time.Millisecond) {
			s.mu.Lock()
			n := len(s.conns)
			s.mu.Unlock()
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d WebSocket handlers still running", n)
			}
		}
		r, err := http.Get(ts.URL + "/process/session/fz")
		if err != nil || r.StatusCode != 200 {
			t.Fatalf("server no longer serves: %v %v", err, r)
		}
		r.Body.Close()
	})
}
