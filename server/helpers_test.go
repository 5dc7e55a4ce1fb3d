package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/procsh/procsh/client/local"
)

const modern = "0.190.0"

// harness is a server over a fresh local backend on a loopback listener.
type harness struct {
	t   *testing.T
	srv *Server
	ts  *httptest.Server
	url string
}

func newHarness(t *testing.T, opts ...Option) *harness {
	t.Helper()
	b, err := local.New(local.WithKillGrace(200*time.Millisecond), local.WithEnv(isolatedEnv(t)))
	if err != nil {
		t.Fatal(err)
	}
	s := New(b, opts...)
	ts := httptest.NewServer(s) // binds 127.0.0.1:0
	h := &harness{t: t, srv: s, ts: ts, url: ts.URL}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
		ts.CloseClientConnections()
		ts.Close()
	})
	return h
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return m
}

// do sends a request; hdr "X-Daytona-SDK-Version" defaults to modern
// unless hdr sets it (to "" for none).
func (h *harness) do(method, path, body string, hdr map[string]string) reply {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.url+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("X-Daytona-SDK-Version", modern)
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 60 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, b}
}

func (h *harness) mustStatus(r reply, want int) {
	h.t.Helper()
	if r.status != want {
		h.t.Fatalf("status %d, want %d; body %q", r.status, want, r.body)
	}
}

func (h *harness) createSession(id string) {
	h.t.Helper()
	h.mustStatus(h.do("POST", "/process/session", `{"sessionId":"`+id+`"}`, nil), 201)
}

// execSync runs a sync session command and returns the decoded reply.
func (h *harness) execSync(sid, cmd string) map[string]any {
	h.t.Helper()
	b, _ := json.Marshal(map[string]any{"command": cmd})
	r := h.do("POST", "/process/session/"+sid+"/exec", string(b), nil)
	h.mustStatus(r, 200)
	return r.json(h.t)
}

func (h *harness) execAsync(sid, cmd string, extra string) string {
	h.t.Helper()
	b, _ := json.Marshal(cmd)
	r := h.do("POST", "/process/session/"+sid+"/exec", `{"command":`+string(b)+`,"runAsync":true`+extra+`}`, nil)
	h.mustStatus(r, 202)
	return r.json(h.t)["cmdId"].(string)
}

// waitDone polls a command until it has an exit code.
func (h *harness) waitDone(sid, cid string) int {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		m := h.do("GET", "/process/session/"+sid+"/command/"+cid, "", nil).json(h.t)
		if ec, ok := m["exitCode"]; ok {
			return int(ec.(float64))
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatalf("command %s did not finish", cid)
	return 0
}

func (h *harness) wsURL(path string) string { return "ws" + strings.TrimPrefix(h.url, "http") + path }

func (h *harness) dial(path string, hdr http.Header) (*websocket.Conn, *http.Response, error) {
	if hdr == nil {
		hdr = http.Header{"X-Daytona-Sdk-Version": {modern}}
	}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	return d.Dial(h.wsURL(path), hdr)
}

// readAll reads frames until the close frame and returns the
// concatenated binary payload, the text frames and the close error.
func readAll(t *testing.T, c *websocket.Conn, timeout time.Duration) (bin []byte, texts []string, frames int, ce *websocket.CloseError, err error) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(timeout))
	for {
		typ, data, e := c.ReadMessage()
		if e != nil {
			if x, ok := e.(*websocket.CloseError); ok {
				return bin, texts, frames, x, nil
			}
			return bin, texts, frames, nil, e
		}
		if typ == websocket.BinaryMessage {
			bin = append(bin, data...)
			frames++
		} else {
			texts = append(texts, string(data))
		}
	}
}

var mark1, mark2 = "\x01\x01\x01", "\x02\x02\x02"

func contains(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }

func osUserHome() (string, error) { return os.UserHomeDir() }

// isolatedEnv is the test process environment with HOME set to a fresh
// directory, so login shells in PTYs do not run the developer's rc files
// (a shell killed while its rc file holds a lock, such as pyenv's rehash
// lock, would stall every later login shell on this machine).
func isolatedEnv(t testing.TB) []string {
	env := []string{"HOME=" + t.TempDir()}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	return env
}
