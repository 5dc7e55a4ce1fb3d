package remote_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/remote"
)

// The client items of docs/protocol.md §12.7 (127–140), against scripted
// servers of both generations.

const exitCtl = "X-Daytona-Pty-Exit-Control"

// handshake is what a scripted server saw of one WebSocket upgrade.
type handshake struct {
	query     url.Values
	protocols string
}

// recordWS upgrades without echoing any subprotocol (as a v0.190 server
// does for the exit-control token), records the handshake and runs fn.
func recordWS(mu *sync.Mutex, seen *[]handshake, fn func(c *websocket.Conn)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		*seen = append(*seen, handshake{r.URL.Query(), r.Header.Get("Sec-Websocket-Protocol")})
		mu.Unlock()
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		fn(c)
	}
}

func send(c *websocket.Conn, typ int, s string) { _ = c.WriteMessage(typ, []byte(s)) }

func ptyInfoHandler(id string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"`+id+`","cwd":"/","envs":{"TERM":"xterm-256color"},"cols":80,"rows":24,"createdAt":"2026-01-01T00:00:00Z","active":true,"lazyStart":false}`)
	}
}

func TestRemoteCreateConnect(t *testing.T) {
	var mu sync.Mutex
	var seen []handshake
	var posts atomic.Int32
	url := fake(t, map[string]http.HandlerFunc{
		"GET /process/pty/create-connect": recordWS(&mu, &seen, func(c *websocket.Conn) {
			// Output before connected is kept (132), an unknown control
			// status is ignored and a non-control text frame is output
			// (131), exited gives the exit code and the empty-reason close
			// 1000 after it does not change it (129).
			send(c, websocket.BinaryMessage, "early ")
			send(c, websocket.TextMessage, `{"status":"connected","type":"control"}`)
			send(c, websocket.TextMessage, `{"status":"mystery","type":"control"}`)
			send(c, websocket.TextMessage, `plain text `)
			send(c, websocket.BinaryMessage, "bye")
			send(c, websocket.TextMessage, `{"type":"control","status":"exited","exitCode":3,"exitReason":"non-zero exit"}`)
			closeWith(c, websocket.CloseNormalClosure, "")
		}),
		"POST /process/pty":   func(w http.ResponseWriter, r *http.Request) { posts.Add(1); w.WriteHeader(201) },
		"GET /process/pty/p1": ptyInfoHandler("p1"),
	})
	r := mustRemote(t, url)
	ctx := ctxT(t)
	h, err := r.CreateConnectPTY(ctx, client.PTYOptions{ID: "p1", Cwd: "/tmp/a b", Env: map[string]string{"FOO": "bar baz"}}, client.PTYConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(h)
	if err != nil || string(out) != "early plain text bye" {
		t.Errorf("131/132: output %q, %v", out, err)
	}
	res, err := h.Wait(ctx)
	if err != nil || res.ExitCode != 3 || res.Reason != "non-zero exit" {
		t.Errorf("129: %+v %v", res, err)
	}
	h.Close()
	// An env-less create sends no envs token (128).
	if _, err := r.CreatePTY(ctx, client.PTYOptions{ID: "p1"}); err != nil {
		t.Fatal(err)
	}
	if posts.Load() != 0 {
		t.Errorf("a create-connect server got %d POSTs", posts.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 {
		t.Fatalf("handshakes %+v", seen)
	}
	q := seen[0].query
	if q.Get("id") != "p1" || q.Get("cols") != "80" || q.Get("rows") != "24" || q.Get("cwd") != "/tmp/a b" {
		t.Errorf("128: query %v", q)
	}
	for k := range q {
		if k != "id" && k != "cols" && k != "rows" && k != "cwd" {
			t.Errorf("139: unexpected query parameter %q", k)
		}
	}
	var envTok string
	protos := strings.Split(seen[0].protocols, ",")
	hasExit := false
	for _, p := range protos {
		p = strings.TrimSpace(p)
		if p == exitCtl {
			hasExit = true
		}
		if tok, ok := strings.CutPrefix(p, "X-Daytona-Pty-Envs~"); ok {
			envTok = tok
		}
	}
	if !hasExit {
		t.Errorf("127: no exit-control offer in %q", seen[0].protocols)
	}
	b, err := base64.RawURLEncoding.DecodeString(envTok)
	var env map[string]string
	if err != nil || json.Unmarshal(b, &env) != nil || env["FOO"] != "bar baz" || len(env) != 1 || strings.Contains(envTok, "=") {
		t.Errorf("128: envs token %q (%v)", envTok, env)
	}
	if seen[1].protocols != exitCtl {
		t.Errorf("128: env-less offer %q", seen[1].protocols)
	}
}

// 133: a v0.190 server answers create-connect with 404 (its {id} route);
// the client falls back to POST + connect, and remembers.
func TestRemoteCreateConnectFallback(t *testing.T) {
	var mu sync.Mutex
	var seen []handshake
	var creates, posts atomic.Int32
	var bodies []map[string]any
	url := fake(t, map[string]http.HandlerFunc{
		"GET /process/pty/create-connect": func(w http.ResponseWriter, r *http.Request) {
			creates.Add(1)
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(404)
			io.WriteString(w, `{"error":"PTY session not found"}`)
		},
		"POST /process/pty": func(w http.ResponseWriter, r *http.Request) {
			posts.Add(1)
			var m map[string]any
			_ = json.NewDecoder(r.Body).Decode(&m)
			mu.Lock()
			bodies = append(bodies, m)
			mu.Unlock()
			w.WriteHeader(201)
			io.WriteString(w, `{"sessionId":"p"}`)
		},
		"GET /process/pty/p": ptyInfoHandler("p"),
		"GET /process/pty/p/connect": recordWS(&mu, &seen, func(c *websocket.Conn) {
			send(c, websocket.TextMessage, `{"status":"connected","type":"control"}`)
			send(c, websocket.BinaryMessage, "hi")
			closeWith(c, websocket.CloseInternalServerErr, `{"exitCode":7,"exitReason":"non-zero exit"}`)
		}),
	})
	r := mustRemote(t, url)
	ctx := ctxT(t)
	h, err := r.CreateConnectPTY(ctx, client.PTYOptions{ID: "p", Env: map[string]string{"A": "1"}}, client.PTYConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := io.ReadAll(h); string(out) != "hi" {
		t.Errorf("output %q", out)
	}
	// 130: without an exited frame the close reason gives the exit.
	if res, err := h.Wait(ctx); err != nil || res.ExitCode != 7 || res.Reason != "non-zero exit" {
		t.Errorf("130: %+v %v", res, err)
	}
	h.Close()
	if info, err := r.CreatePTY(ctx, client.PTYOptions{ID: "p"}); err != nil || info.ID != "p" {
		t.Fatalf("second create: %+v %v", info, err)
	}
	if creates.Load() != 1 || posts.Load() != 2 {
		t.Errorf("create-connect tried %d times, POST %d times; want 1 and 2", creates.Load(), posts.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	// The fallback carries the env in the POST body, as v0.190 clients do.
	if len(bodies) != 2 || bodies[0]["id"] != "p" || bodies[0]["envs"].(map[string]any)["A"] != "1" || bodies[1]["envs"] != nil {
		t.Errorf("POST bodies %v", bodies)
	}
	if len(seen) != 1 || seen[0].protocols != exitCtl {
		t.Errorf("127: connect offers %+v", seen)
	}
}

// 134–136: structured and v0.190 error bodies map to the same sentinels.
func TestRemoteStructuredErrors(t *testing.T) {
	body := func(status int, b string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			io.WriteString(w, b)
		}
	}
	er := func(status int, code, msg, source string) string {
		b, _ := json.Marshal(map[string]any{"statusCode": status, "code": code, "message": msg, "source": source, "path": "/p", "timestamp": "2026-01-01T00:00:00Z"})
		return string(b)
	}
	const D = "DAYTONA_DAEMON"
	url := fake(t, map[string]http.HandlerFunc{
		"GET /process/session/nf":                 body(404, er(404, "PROCESS_NOT_FOUND", "session not found", D)),
		"POST /process/session/nf/exec":           body(404, er(404, "PROCESS_NOT_FOUND", "session not found", D)),
		"POST /process/session/ended/exec":        body(410, er(410, "SESSION_ENDED", "session process has exited", D)),
		"POST /process/session/old/exec":          body(500, `{"statusCode":500,"message":"failed to execute command: bad request: failed to write command: write |1: broken pipe","timestamp":"0001-01-01T00:00:00Z","path":""}`),
		"POST /process/session/s/command/c/input": body(410, er(410, "COMMAND_ALREADY_COMPLETED", "command has already completed with exit code 0", D)),
		"GET /process/session/ecode":              body(500, `{"statusCode":500,"error_code":"PROCESS_NOT_FOUND","source":"DAYTONA_DAEMON","error":"lost"}`),
		"GET /process/session/nosource":           body(500, er(500, "PROCESS_NOT_FOUND", "no source", "")),
		"GET /process/session/unknown":            body(409, er(409, "SOMETHING_NEW", "new code", D)),
		"GET /process/pty/nope":                   body(404, er(404, "PROCESS_NOT_FOUND", "PTY session not found", D)),
		"GET /process/pty/create-connect":         body(409, er(409, "CONFLICT", "conflict: PTY session with ID 'dup' already exists", D)),
		"GET /process/pty/bad/connect":            body(400, er(400, "BAD_REQUEST", "bad request: nope", D)),
		"POST /process/execute":                   body(408, er(408, "PROCESS_EXECUTION_TIMEOUT", "command execution timeout", D)),
	})
	r := mustRemote(t, url)
	ctx := ctxT(t)
	check := func(name string, err error, kind error, msg string) {
		t.Helper()
		if !errors.Is(err, kind) || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v, want %v containing %q", name, err, kind, msg)
		}
	}
	_, err := r.GetSession(ctx, "nf")
	check("404 PROCESS_NOT_FOUND", err, client.ErrNotFound, "session not found")
	_, err = r.ExecSession(ctx, "nf", client.SessionExecRequest{Command: "true"})
	check("exec 404", err, client.ErrNotFound, "session not found")
	_, err = r.ExecSession(ctx, "ended", client.SessionExecRequest{Command: "true"})
	check("410 SESSION_ENDED", err, client.ErrClosed, "session process has exited")
	_, err = r.ExecSession(ctx, "old", client.SessionExecRequest{Command: "true"})
	check("v0.190 broken pipe", err, client.ErrClosed, "broken pipe")
	check("410 COMMAND_ALREADY_COMPLETED", r.SendInput(ctx, "s", "c", []byte("x")), client.ErrClosed, "already completed")
	_, err = r.GetSession(ctx, "ecode")
	check("error_code and error", err, client.ErrNotFound, "lost")
	_, err = r.GetSession(ctx, "nosource")
	check("a code without source counts for nothing", err, client.ErrUnavailable, "no source")
	_, err = r.GetSession(ctx, "unknown")
	check("unknown code falls back to the status", err, client.ErrConflict, "new code")
	_, err = r.GetPTY(ctx, "nope")
	check("PTY 404", err, client.ErrNotFound, "PTY session not found")
	_, err = r.CreatePTY(ctx, client.PTYOptions{ID: "dup"})
	check("134 create-connect 409 body", err, client.ErrConflict, "already exists")
	_, err = r.ConnectPTY(ctx, "bad", client.PTYConnectOptions{})
	check("134 connect 400 body", err, client.ErrInvalidArgument, "bad request: nope")
	res, err := r.Exec(ctx, client.ExecRequest{Command: "sleep 9", Timeout: 200 * time.Millisecond})
	if err != nil || !res.TimedOut {
		t.Errorf("135 timeout: %+v %v", res, err)
	}
}

// 137 and 140: timeouts in whole seconds rounded up; nothing is retried
// after a mid-flight failure.
func TestRemoteTimeoutsAndNoRetry(t *testing.T) {
	var mu sync.Mutex
	var timeouts []any
	var deletes atomic.Int32
	url := fake(t, map[string]http.HandlerFunc{
		"POST /process/execute": func(w http.ResponseWriter, r *http.Request) {
			var m map[string]any
			_ = json.NewDecoder(r.Body).Decode(&m)
			mu.Lock()
			timeouts = append(timeouts, m["timeout"])
			mu.Unlock()
			io.WriteString(w, `{"exitCode":0,"result":""}`)
		},
		"DELETE /process/session/s": func(w http.ResponseWriter, r *http.Request) {
			deletes.Add(1)
			hj, _ := w.(http.Hijacker)
			c, _, _ := hj.Hijack()
			c.Close() // the response is lost
		},
	})
	r := mustRemote(t, url)
	ctx := ctxT(t)
	for _, d := range []time.Duration{200 * time.Millisecond, 1200 * time.Millisecond, 0} {
		if _, err := r.Exec(ctx, client.ExecRequest{Command: "true", Timeout: d}); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	if len(timeouts) != 3 || timeouts[0] != 1.0 || timeouts[1] != 2.0 || timeouts[2] != nil {
		t.Errorf("137: timeouts sent %v, want 1, 2 and none", timeouts)
	}
	mu.Unlock()
	if err := r.DeleteSession(ctx, "s"); !errors.Is(err, client.ErrUnavailable) {
		t.Errorf("lost DELETE: %v", err)
	}
	if n := deletes.Load(); n != 1 {
		t.Errorf("140: DELETE sent %d times", n)
	}
}

// 132: no connected (or exited) frame in time is a timeout, not a hang.
func TestRemotePTYConnectTimeout(t *testing.T) {
	defer remote.SetPTYConnectTimeout(300 * time.Millisecond)()
	url := fake(t, map[string]http.HandlerFunc{
		"GET /process/pty/mute/connect": wsHandler(func(c *websocket.Conn) {
			send(c, websocket.BinaryMessage, "prompt$ ")
			time.Sleep(3 * time.Second)
		}),
	})
	r := mustRemote(t, url)
	start := time.Now()
	_, err := r.ConnectPTY(ctxT(t), "mute", client.PTYConnectOptions{})
	if !errors.Is(err, client.ErrTimeout) || !strings.Contains(err.Error(), "PTY connection timeout") {
		t.Errorf("err = %v, want a PTY connection timeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("gave up after %v", d)
	}
}
