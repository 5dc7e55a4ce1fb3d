package remote_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/remote"
	"github.com/procsh/procsh/internal/proctable"
	"github.com/procsh/procsh/internal/wire"
	"github.com/procsh/procsh/server"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustRemote(t *testing.T, url string, opts ...remote.Option) *remote.Client {
	t.Helper()
	r, err := remote.New(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// fake is a scripted server: handlers by "METHOD path".
func fake(t *testing.T, routes map[string]http.HandlerFunc) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, ok := routes[r.Method+" "+r.URL.Path]; ok {
			h(w, r)
			return
		}
		http.Error(w, "404 page not found", 404)
	}))
	t.Cleanup(func() { ts.CloseClientConnections(); ts.Close() })
	return ts.URL
}

var upgrader = websocket.Upgrader{}

func wsHandler(fn func(c *websocket.Conn)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		fn(c)
	}
}

func closeWith(c *websocket.Conn, code int, reason string) {
	_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	_, _, _ = c.ReadMessage()
}

// Checklist 84: headers on every HTTP request and WebSocket handshake.
func TestRemoteHeaders(t *testing.T) {
	b := []string{}
	var mu sync.Mutex
	s := server.New(newLocal(t), server.WithToken("tok"))
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		b = append(b, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization")+"|"+r.Header.Get("X-Daytona-Source")+"|"+r.Header.Get("X-Daytona-SDK-Version"))
		mu.Unlock()
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { s.Shutdown(context.Background()); ts.CloseClientConnections(); ts.Close() })
	r := mustRemote(t, ts.URL, remote.WithToken("tok"), remote.WithHTTPClient(&http.Client{Transport: &http.Transport{}}))
	ctx := ctxT(t)
	if err := r.CreateSession(ctx, client.SessionOptions{ID: "h"}); err != nil {
		t.Fatal(err)
	}
	res, err := r.ExecSession(ctx, "h", client.SessionExecRequest{Command: "echo hi"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.StreamCommandLogs(ctx, "h", res.CmdID, client.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := st.Recv(); err != nil {
			break
		}
	}
	st.Close()
	if _, err := r.CreatePTY(ctx, client.PTYOptions{ID: "p", LazyStart: true}); err != nil {
		t.Fatal(err)
	}
	h, err := r.ConnectPTY(ctx, "p", client.PTYConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(b) < 6 {
		t.Fatalf("recorded %v", b)
	}
	sawWS := 0
	for _, line := range b {
		if !strings.HasSuffix(line, " Bearer tok|procsh|"+wire.ClientVersion) {
			t.Errorf("request without the required headers: %q", line)
		}
		if strings.HasSuffix(strings.Fields(line)[1], "/logs") || strings.HasSuffix(strings.Fields(line)[1], "/connect") {
			sawWS++
		}
	}
	if sawWS != 2 {
		t.Errorf("WebSocket handshakes recorded: %d in %v", sawWS, b)
	}
}

// Checklist 85 and 86 against a plain Daytona server (no extensions).
func TestRemoteDaytonaLogDemuxAndWait(t *testing.T) {
	var gets int
	var mu sync.Mutex
	url := fake(t, map[string]http.HandlerFunc{
		"GET /process/session/s/command/c/logs": wsHandler(func(c *websocket.Conn) {
			if c.Subprotocol() != "" {
				t.Errorf("unexpected subprotocol")
			}
			for _, f := range [][]byte{{1, 1}, {1, 'o', 'u', 't', '\n', 2}, {2, 2, 'e', '\n'}} {
				_ = c.WriteMessage(websocket.BinaryMessage, f)
			}
			closeWith(c, 1000, "")
		}),
		"GET /process/session/s/command/c": func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			gets++
			n := gets
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			if n == 1 {
				io.WriteString(w, `{"id":"c","command":"x"}`)
				return
			}
			io.WriteString(w, `{"id":"c","command":"x","exitCode":4}`)
		},
	})
	r := mustRemote(t, url)
	ctx := ctxT(t)
	st, err := r.StreamCommandLogs(ctx, "s", "c", client.LogOptions{Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	var out, errb string
	var offsets []int64
	for {
		c, err := st.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		offsets = append(offsets, c.Offset)
		if c.Stream == client.Stdout {
			out += string(c.Data)
		} else {
			errb += string(c.Data)
		}
	}
	if out != "out\n" || errb != "e\n" {
		t.Errorf("stdout %q stderr %q", out, errb)
	}
	if offsets[0] != 0 || offsets[len(offsets)-1] != 4 {
		t.Errorf("offsets %v", offsets)
	}
	// Offset fallback: skipped client-side.
	st2, _ := r.StreamCommandLogs(ctx, "s", "c", client.LogOptions{Offset: 2, Follow: true})
	var rest string
	for {
		c, err := st2.Recv()
		if err != nil {
			break
		}
		if c.Offset < 2 {
			t.Errorf("chunk at offset %d", c.Offset)
		}
		rest += string(c.Data)
	}
	if rest != "t\ne\n" {
		t.Errorf("from offset 2: %q", rest)
	}
	ci, err := r.WaitCommand(ctx, "s", "c")
	if err != nil || ci.ExitCode == nil || *ci.ExitCode != 4 {
		t.Fatalf("86: WaitCommand %+v %v", ci, err)
	}
}

// Checklist 87 and 88: PTY exit code from the close frame; error control.
func TestRemotePTYCloseFrames(t *testing.T) {
	ptyWith := func(first string, code int, reason string) http.HandlerFunc {
		return wsHandler(func(c *websocket.Conn) {
			_ = c.WriteMessage(websocket.TextMessage, []byte(first))
			if code == 0 {
				return // drop without a close frame
			}
			_ = c.WriteMessage(websocket.BinaryMessage, []byte("bye\r\n"))
			closeWith(c, code, reason)
		})
	}
	const ok = `{"status":"connected","type":"control"}`
	url := fake(t, map[string]http.HandlerFunc{
		"GET /process/pty/e3/connect":    ptyWith(ok, 1011, `{"exitCode":3,"exitReason":"non-zero exit"}`),
		"GET /process/pty/e0/connect":    ptyWith(ok, 1000, `{"exitCode":0}`),
		"GET /process/pty/empty/connect": ptyWith(ok, 1000, ``),
		"GET /process/pty/kill/connect":  ptyWith(ok, 1011, `{"exitCode":137,"exitReason":"SIGKILL"}`),
		"GET /process/pty/gone/connect":  ptyWith(`{"error":"Failed to connect to PTY session: PTY session gone not found","status":"error","type":"control"}`, 0, ""),
		"GET /process/pty/bad/connect":   ptyWith(`{"error":"Failed to connect to PTY session: failed to start PTY session: boom","status":"error","type":"control"}`, 0, ""),
	})
	r := mustRemote(t, url)
	ctx := ctxT(t)
	for _, c := range []struct {
		id     string
		code   int
		reason string
	}{{"e3", 3, "non-zero exit"}, {"e0", 0, ""}, {"empty", 0, ""}, {"kill", 137, "SIGKILL"}} {
		h, err := r.ConnectPTY(ctx, c.id, client.PTYConnectOptions{})
		if err != nil {
			t.Fatalf("%s: %v", c.id, err)
		}
		out, err := io.ReadAll(h)
		if err != nil || string(out) != "bye\r\n" {
			t.Errorf("%s: read %q %v", c.id, out, err)
		}
		res, err := h.Wait(ctx)
		if err != nil || res.ExitCode != c.code || res.Reason != c.reason {
			t.Errorf("%s: %+v %v", c.id, res, err)
		}
		h.Close()
	}
	for id, kind := range map[string]error{"gone": client.ErrNotFound, "bad": client.ErrUnavailable} {
		_, err := r.ConnectPTY(ctx, id, client.PTYConnectOptions{})
		if !errors.Is(err, kind) || errors.Is(err, client.ErrTimeout) || !strings.Contains(err.Error(), "Failed to connect") {
			t.Errorf("88 %s: %v", id, err)
		}
	}
}

// Checklist 90 and 91 plus the status → error mapping.
func TestRemoteErrorShapes(t *testing.T) {
	body := func(status int, ctype, b string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if ctype != "" {
				w.Header().Set("Content-Type", ctype)
			}
			w.WriteHeader(status)
			io.WriteString(w, b)
		}
	}
	url := fake(t, map[string]http.HandlerFunc{
		"GET /process/session/e1":                  body(404, "application/json", `{"statusCode":404,"message":"not found: session not found","code":"NOT_FOUND","timestamp":"x","path":"/p","method":"GET"}`),
		"GET /process/session/e2":                  body(500, "application/json", `{"statusCode":500,"message":"boom internal","timestamp":"0001-01-01T00:00:00Z","path":""}`),
		"POST /process/session/e2/exec":            body(500, "application/json", `{"statusCode":500,"message":"failed to execute command: not found: session not found","timestamp":"0001-01-01T00:00:00Z","path":""}`),
		"GET /process/pty/e3":                      body(404, "application/json; charset=utf-8", `{"error":"PTY session not found"}`),
		"POST /process/session/e4/exec":            body(400, "", ``),
		"GET /process/session/e5":                  body(404, "text/plain", `404 page not found`),
		"GET /process/session/c409":                body(409, "application/json", `{"message":"conflict: x"}`),
		"GET /process/session/a401/command/c/logs": body(401, "application/json", `{"message":"unauthorized ws"}`),
		"GET /process/session/n/command/c/logs":    body(404, "application/json", `{"statusCode":404,"message":"not found: command not found","code":"NOT_FOUND"}`),
		"GET /process/session/a401":                body(401, "application/json", `{"message":"unauthorized"}`),
		"GET /process/session/f403":                body(403, "application/json", `{"message":"forbidden: no"}`),
		"POST /process/pty/r410/resize":            body(410, "application/json", `{"error":"PTY session r410 not found"}`),
		"POST /process/session/g/command/c/input":  body(410, "application/json", `{"statusCode":410,"message":"gone: command has already completed with exit code 0","code":"GONE"}`),
		"POST /process/execute":                    body(200, "application/json", `{"result":"x\n"}`),
	})
	r := mustRemote(t, url)
	ctx := ctxT(t)
	check := func(name string, err error, kind error, msg string) {
		t.Helper()
		if !errors.Is(err, kind) || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v, want %v containing %q", name, err, kind, msg)
		}
	}
	_, err := r.GetSession(ctx, "e1")
	check("E1", err, client.ErrNotFound, "not found: session not found")
	_, err = r.GetSession(ctx, "e2")
	check("E2", err, client.ErrUnavailable, "boom internal")
	_, err = r.ExecSession(ctx, "e2", client.SessionExecRequest{Command: "true"})
	check("E2 exec unknown session", err, client.ErrNotFound, "session not found")
	_, err = r.GetPTY(ctx, "e3")
	check("E3", err, client.ErrNotFound, "PTY session not found")
	_, err = r.ExecSession(ctx, "e4", client.SessionExecRequest{Command: "true"})
	check("E4", err, client.ErrInvalidArgument, "400 Bad Request")
	_, err = r.GetSession(ctx, "e5")
	check("E5", err, client.ErrNotFound, "404 page not found")
	_, err = r.GetSession(ctx, "c409")
	check("409", err, client.ErrConflict, "conflict")
	_, err = r.GetSession(ctx, "a401")
	check("401", err, client.ErrUnauthorized, "unauthorized")
	_, err = r.StreamCommandLogs(ctx, "a401", "c", client.LogOptions{Follow: true})
	check("401 handshake", err, client.ErrUnauthorized, "unauthorized ws")
	_, err = r.StreamCommandLogs(ctx, "n", "c", client.LogOptions{Follow: true})
	check("58 404 handshake", err, client.ErrNotFound, "command not found")
	_, err = r.GetSession(ctx, "f403")
	check("403", err, client.ErrUnauthorized, "forbidden")
	_, err = r.ResizePTY(ctx, "r410", 10, 10)
	check("410 pty", err, client.ErrNotFound, "not found")
	err = r.SendInput(ctx, "g", "c", []byte("x"))
	check("410 input", err, client.ErrClosed, "gone")
	res, err := r.Exec(ctx, client.ExecRequest{Command: "x"})
	if err != nil || res.ExitCode != 0 || res.Result != "x\n" || res.Artifacts.Stdout != "x\n" {
		t.Errorf("91: %+v %v", res, err)
	}
	// Plain Daytona: no per-command kill or stdin EOF.
	check("kill", r.KillCommand(ctx, "s", "c", syscall.SIGTERM), client.ErrUnsupported, "")
	check("close input", r.CloseInput(ctx, "s", "c"), client.ErrUnsupported, "")
	// Unreachable server.
	dead := mustRemote(t, "http://127.0.0.1:1")
	_, err = dead.ListSessions(ctx)
	check("refused", err, client.ErrUnavailable, "")
	// Bad base URLs.
	for _, u := range []string{"ftp://x", "::", "http://"} {
		if _, err := remote.New(u); !errors.Is(err, client.ErrInvalidArgument) {
			t.Errorf("NewRemote(%q): %v", u, err)
		}
	}
}

// daytonaMode makes our server look like the reference daemon: no
// capabilities route, extension parameters dropped.
func daytonaMode(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/procsh/") {
			http.Error(w, "404 page not found", 404)
			return
		}
		q := r.URL.Query()
		q.Del("procsh")
		r.URL.RawQuery = q.Encode()
		h.ServeHTTP(w, r)
	})
}

// Fallbacks against a server without extensions.
func TestRemoteDaytonaFallbacks(t *testing.T) {
	b := newLocal(t)
	s := server.New(b)
	ts := httptest.NewServer(daytonaMode(s))
	t.Cleanup(func() { s.Shutdown(context.Background()); ts.CloseClientConnections(); ts.Close() })
	r := mustRemote(t, ts.URL)
	ctx := ctxT(t)

	res, err := r.Exec(ctx, client.ExecRequest{Command: "sleep 5", Timeout: 300 * time.Millisecond})
	if err != nil || !res.TimedOut || res.ExitCode != 137 || res.Signal != "KILL" {
		t.Errorf("exec timeout: %+v %v", res, err)
	}
	if err := r.CreateSession(ctx, client.SessionOptions{ID: "f", Cwd: "/tmp", Env: map[string]string{"A": "it's"}}); err != nil {
		t.Fatal(err)
	}
	sr, err := r.ExecSession(ctx, "f", client.SessionExecRequest{Command: "pwd; echo $A"})
	if err != nil || sr.Stdout != "/tmp\nit's\n" {
		t.Errorf("emulated cwd/env: %+v %v", sr, err)
	}
	sr, err = r.ExecSession(ctx, "f", client.SessionExecRequest{Command: "read n; echo hi $n", Async: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SendInput(ctx, "f", sr.CmdID, []byte("bob")); err != nil { // newline added by the server
		t.Fatal(err)
	}
	ci, err := r.WaitCommand(ctx, "f", sr.CmdID)
	if err != nil || ci.ExitCode == nil || *ci.ExitCode != 0 {
		t.Fatalf("wait %+v %v", ci, err)
	}
	logs, err := r.GetCommandLogs(ctx, "f", sr.CmdID)
	if err != nil || logs.Stdout != "hi bob\n" || logs.Output != "hi bob\n" {
		t.Errorf("logs %+v %v", logs, err)
	}
	if err := r.KillCommand(ctx, "f", sr.CmdID, syscall.SIGTERM); !errors.Is(err, client.ErrUnsupported) {
		t.Errorf("kill: %v", err)
	}
	if _, err := r.CreatePTY(ctx, client.PTYOptions{ID: "x", Command: []string{"true"}}); !errors.Is(err, client.ErrUnsupported) {
		t.Errorf("custom PTY command: %v", err)
	}
}

// A toolbox proxy base URL with a path prefix, and bearer auth failures on
// HTTP and WebSocket calls.
func TestRemotePrefixAndAuth(t *testing.T) {
	s := server.New(newLocal(t), server.WithToken("right"))
	mux := http.NewServeMux()
	mux.Handle("/toolbox/sbx-1/", http.StripPrefix("/toolbox/sbx-1", s))
	ts := httptest.NewServer(mux)
	t.Cleanup(func() { s.Shutdown(context.Background()); ts.CloseClientConnections(); ts.Close() })
	ctx := ctxT(t)

	r := mustRemote(t, ts.URL+"/toolbox/sbx-1/", remote.WithToken("right"))
	if err := r.CreateSession(ctx, client.SessionOptions{ID: "s"}); err != nil {
		t.Fatal(err)
	}
	res, err := r.ExecSession(ctx, "s", client.SessionExecRequest{Command: "echo via-proxy"})
	if err != nil || res.Stdout != "via-proxy\n" {
		t.Fatalf("%+v %v", res, err)
	}
	logs, err := r.GetCommandLogs(ctx, "s", res.CmdID) // WebSocket under the prefix
	if err != nil || logs.Stdout != "via-proxy\n" {
		t.Errorf("logs %+v %v", logs, err)
	}

	bad := mustRemote(t, ts.URL+"/toolbox/sbx-1", remote.WithToken("wrong"))
	if _, err := bad.ListSessions(ctx); !errors.Is(err, client.ErrUnauthorized) {
		t.Errorf("HTTP with a wrong token: %v", err)
	}
	none := mustRemote(t, ts.URL+"/toolbox/sbx-1")
	if _, err := none.StreamCommandLogs(ctx, "s", res.CmdID, client.LogOptions{}); !errors.Is(err, client.ErrUnauthorized) {
		t.Errorf("WebSocket without a token: %v", err)
	}
	if _, err := none.ConnectPTY(ctx, "p", client.PTYConnectOptions{}); !errors.Is(err, client.ErrUnauthorized) {
		t.Errorf("PTY without a token: %v", err)
	}
}

// Exec with OnOutput streams live output from a procsh server.
func TestRemoteExecStreamsOutput(t *testing.T) {
	url, stop := startServer(t)
	defer stop()
	r := mustRemote(t, url)
	ctx := ctxT(t)
	start := time.Now()
	var first time.Duration
	var got []byte
	var next int64
	res, err := r.Exec(ctx, client.ExecRequest{
		Command: "echo first; sleep 1; echo second >&2",
		OnOutput: func(c client.Chunk) {
			if first == 0 {
				first = time.Since(start)
			}
			if c.Offset != next {
				t.Errorf("offset %d, want %d", c.Offset, next)
			}
			next += int64(len(c.Data))
			got = append(got, c.Data...)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if first == 0 || first > 800*time.Millisecond {
		t.Errorf("first output after %v: not live", first)
	}
	if res.Result != "first\nsecond\n" || string(got) != res.Result || res.Stdout != "first\n" || res.Stderr != "second\n" || !res.HasStreams {
		t.Errorf("result %+v, streamed %q", res, got)
	}
	// code-run: chart lines are cut from the result, charts parsed.
	res, err = r.CodeRun(ctx, client.CodeRunRequest{
		Code:     "print('x')\nprint('dtn_artifact_k39fd2:{\"type\":\"chart\",\"value\":{\"type\":\"bar\",\"elements\":[]}}')",
		OnOutput: func(client.Chunk) {},
	})
	if err != nil || res.Result != "x\n" || len(res.Artifacts.Charts) != 1 || res.Artifacts.Charts[0].Type != "bar" {
		t.Errorf("code run %+v %v", res, err)
	}
	// Cancelling mid-stream ends the run before Exec returns.
	cctx, cancel := context.WithCancel(ctx)
	_, err = r.Exec(cctx, client.ExecRequest{
		Command:  "echo go; sleep 30.77",
		OnOutput: func(client.Chunk) { cancel() },
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled stream: %v", err)
	}
	if n := countSleep("sleep 30.77"); n != 0 {
		t.Errorf("%d processes survive the cancelled Exec", n)
	}
}

// countSleep counts live processes whose command line is exactly cmdline
// (arguments separated by single spaces).
func countSleep(cmdline string) int {
	pids, err := proctable.WithCmdline(strings.Fields(cmdline)...)
	if err != nil {
		panic(err)
	}
	return len(pids)
}

// TestRemoteSendRetriesUntilInputPipe: the reference daemon answers 500
// "failed to open input pipe … no such file or directory" to input sent
// before the command's shell reached the command. The server here answers
// that way to the first three input requests, as the daemon does right
// after start; SendInput retries and the input arrives once, whole.
func TestRemoteSendRetriesUntilInputPipe(t *testing.T) {
	b := newLocal(t)
	s := server.New(b)
	var refused atomic.Int32
	ts := httptest.NewServer(daytonaMode(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/input") && refused.Add(1) <= 3 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(500)
			_, _ = io.WriteString(w, `{"statusCode":500,"message":"failed to open input pipe: open /tmp/x/input: no such file or directory","code":"INTERNAL_SERVER_ERROR"}`)
			return
		}
		s.ServeHTTP(w, r)
	})))
	t.Cleanup(func() { s.Shutdown(context.Background()); ts.CloseClientConnections(); ts.Close() })
	r := mustRemote(t, ts.URL)
	ctx := ctxT(t)
	if err := r.CreateSession(ctx, client.SessionOptions{ID: "in"}); err != nil {
		t.Fatal(err)
	}
	res, err := r.ExecSession(ctx, "in", client.SessionExecRequest{Command: "read x; echo got $x", Async: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SendInput(ctx, "in", res.CmdID, []byte("hello\n")); err != nil {
		t.Fatalf("SendInput right after start: %v", err)
	}
	ci, err := r.WaitCommand(ctx, "in", res.CmdID)
	if err != nil || *ci.ExitCode != 0 {
		t.Fatalf("WaitCommand: %+v %v", ci, err)
	}
	logs, err := r.GetCommandLogs(ctx, "in", res.CmdID)
	if err != nil || logs.Stdout != "got hello\n" {
		t.Errorf("logs %+v %v", logs, err)
	}
	if n := refused.Load(); n != 4 {
		t.Errorf("%d input requests, want 3 refused and 1 accepted", n)
	}
	// Any other failure is not retried.
	if err := r.SendInput(ctx, "in", "no-such-command", []byte("x\n")); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("SendInput to an unknown command: %v", err)
	}
}
