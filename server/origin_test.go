package server

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// raw sends a request with exactly the given headers ("Host" sets the Host
// line), as a browser or an attacker's tool would.
func (h *harness) raw(method, path, body string, hdr map[string]string) reply {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.url+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, b}
}

func noFile(t *testing.T, path string) {
	t.Helper()
	time.Sleep(200 * time.Millisecond) // a command that did start would have written by now
	if _, err := os.Stat(path); err == nil {
		t.Fatalf("%s exists: the refused request ran its command", path)
	}
}

// Issue 11 vector 1: a cross-site text/plain POST (no CORS preflight)
// must not run its command, with or without a token on the server.
func TestCrossSiteTextPlainExecute(t *testing.T) {
	t.Parallel()
	for _, tok := range []string{"", "s3cret"} {
		h := newHarness(t, WithToken(tok))
		marker := filepath.Join(t.TempDir(), "x")
		body := `{"command":"touch ` + marker + `"}`
		auth := ""
		if tok != "" {
			auth = "Bearer " + tok
		}
		for _, c := range []struct {
			hdr  map[string]string
			want int
		}{
			{map[string]string{"Origin": "https://evil.example", "Content-Type": "text/plain"}, 403},
			{map[string]string{"Origin": "https://evil.example", "Content-Type": "application/json"}, 403},
			{map[string]string{"Origin": "null", "Content-Type": "text/plain"}, 403},
			{map[string]string{"Content-Type": "text/plain"}, 415},
			{map[string]string{"Content-Type": "text/plain;charset=UTF-8"}, 415},
			{map[string]string{}, 415}, // fetch with an untyped Blob body
		} {
			if auth != "" {
				c.hdr["Authorization"] = auth
			}
			r := h.raw("POST", "/process/execute", body, c.hdr)
			if r.status != c.want {
				t.Errorf("token %q, %v: status %d, want %d; body %s", tok, c.hdr, r.status, c.want, r.body)
			}
			if c.want == 403 {
				e1("FORBIDDEN", "forbidden: origin")(t, r)
			} else {
				e1("UNSUPPORTED_MEDIA_TYPE", "unsupported media type")(t, r)
			}
		}
		// A valid token in the browser query parameter does not help a
		// foreign page either.
		if tok != "" {
			r := h.raw("POST", "/process/execute?DAYTONA_SANDBOX_AUTH_KEY="+tok, body, map[string]string{"Origin": "https://evil.example", "Content-Type": "application/json"})
			if r.status != 403 {
				t.Errorf("evil origin with query token: %d", r.status)
			}
		}
		noFile(t, marker)
		// The same request as an SDK sends it (JSON, no Origin) runs.
		hdr := map[string]string{"Content-Type": "application/json"}
		if auth != "" {
			hdr["Authorization"] = auth
		}
		if r := h.raw("POST", "/process/execute", body, hdr); r.status != 200 {
			t.Fatalf("SDK-style execute: %d %s", r.status, r.body)
		}
		if _, err := os.Stat(marker); err != nil {
			t.Fatalf("SDK-style execute did not run: %v", err)
		}
	}
}

// Issue 11 vector 2: a form-encoded (or multipart) POST must not create a
// session.
func TestCrossSiteFormPost(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, ct := range []string{"application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
		for _, origin := range []string{"http://evil.example", ""} {
			hdr := map[string]string{"Content-Type": ct}
			want := 415
			if origin != "" {
				hdr["Origin"], want = origin, 403
			}
			if r := h.raw("POST", "/process/session", `{"sessionId":"pwned"}`, hdr); r.status != want {
				t.Errorf("%s from %q: %d, want %d", ct, origin, r.status, want)
			}
			// Even empty, a form body is refused: it could kill or close input.
			if r := h.raw("POST", "/process/session/s/command/c/kill", "", hdr); r.status != want {
				t.Errorf("empty %s kill from %q: %d, want %d", ct, origin, r.status, want)
			}
		}
	}
	if r := h.do("GET", "/process/session", "", nil); string(r.body) != "[]" {
		t.Fatalf("sessions after refused form posts: %s", r.body)
	}
}

// Issue 11 vector 3: a WebSocket from a foreign page must not reach a PTY.
func TestCrossOriginWebSocketPTY(t *testing.T) {
	t.Parallel()
	for _, tok := range []string{"", "s3cret"} {
		h := newHarness(t, WithToken(tok))
		hdr := map[string]string{"Content-Type": "application/json"}
		auth := http.Header{}
		if tok != "" {
			hdr["Authorization"] = "Bearer " + tok
			auth.Set("Authorization", "Bearer "+tok)
		}
		if r := h.raw("POST", "/process/pty", `{"id":"victim","command":["sh","-c","echo SECRET; read x"]}`, hdr); r.status != 201 {
			t.Fatalf("create PTY: %d %s", r.status, r.body)
		}
		for _, p := range []string{"/process/pty/victim/connect", "/process/session/entrypoint/logs?follow=true"} {
			for _, origin := range []string{"http://evil.example", "http://127.0.0.1.evil.example", "null"} {
				wh := auth.Clone()
				wh.Set("Origin", origin)
				c, resp, err := (&websocket.Dialer{HandshakeTimeout: 5 * time.Second}).Dial(h.wsURL(p), wh)
				if err == nil {
					c.Close()
					t.Fatalf("token %q: WS %s from %s was accepted", tok, p, origin)
				}
				if resp == nil || resp.StatusCode != 403 {
					t.Errorf("token %q: WS %s from %s: %v %v", tok, p, origin, err, resp)
				}
			}
		}
		// Our own origin (a page served by this very host:port) may connect.
		wh := auth.Clone()
		wh.Set("Origin", h.url)
		c, _, err := (&websocket.Dialer{HandshakeTimeout: 5 * time.Second}).Dial(h.wsURL("/process/pty/victim/connect"), wh)
		if err != nil {
			t.Fatalf("same-origin WS: %v", err)
		}
		c.Close()
	}
}

// Issue 11 vector 4: DNS rebinding — a page on rebind.evil.example whose
// name now resolves to 127.0.0.1 sends Host: rebind.evil.example (and is
// "same-origin" with itself).
func TestRebindingHost(t *testing.T) {
	t.Parallel()
	for _, tok := range []string{"", "s3cret"} {
		h := newHarness(t, WithToken(tok), WithAllowedHosts("proxy.internal"))
		port := h.url[strings.LastIndex(h.url, ":")+1:]
		marker := filepath.Join(t.TempDir(), "x")
		hdr := func(host, origin string) map[string]string {
			m := map[string]string{"Host": host, "Content-Type": "application/json"}
			if origin != "" {
				m["Origin"] = origin
			}
			if tok != "" {
				m["Authorization"] = "Bearer " + tok
			}
			return m
		}
		for _, host := range []string{"rebind.evil.example:" + port, "rebind.evil.example", "localhost.evil.example:" + port, "127.0.0.1.nip.io:" + port} {
			for _, origin := range []string{"", "http://" + host} {
				r := h.raw("POST", "/process/execute", `{"command":"touch `+marker+`"}`, hdr(host, origin))
				if r.status != 403 {
					t.Errorf("Host %s Origin %q: %d %s", host, origin, r.status, r.body)
				}
				e1("FORBIDDEN", "forbidden: host")(t, r)
			}
			wh := http.Header{"Host": {host}}
			if tok != "" {
				wh.Set("Authorization", "Bearer "+tok)
			}
			if c, resp, err := (&websocket.Dialer{HandshakeTimeout: 5 * time.Second}).Dial(h.wsURL("/process/session/entrypoint/logs"), wh); err == nil {
				c.Close()
				t.Errorf("WS with Host %s accepted", host)
			} else if resp == nil || resp.StatusCode != 403 {
				t.Errorf("WS with Host %s: %v", host, err)
			}
		}
		noFile(t, marker)
		// Loopback names and allowed hosts are fine; the port is not
		// compared (SSH tunnels forward from other ports).
		for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST:9999", "localhost.", "127.1.2.3:" + port, "[::1]:" + port, "proxy.internal:443"} {
			if r := h.raw("GET", "/process/session", "", hdr(host, "")); r.status != 200 {
				t.Errorf("Host %s: %d %s", host, r.status, r.body)
			}
		}
	}
}

// Every route and WebSocket upgrade refuses a foreign Origin and a
// rebinding Host before doing anything else.
func TestBrowserChecksEveryRoute(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, rt := range allRoutes {
		for _, hdr := range []map[string]string{
			{"Origin": "https://evil.example", "Content-Type": "application/json"},
			{"Host": "evil.example", "Content-Type": "application/json"},
		} {
			body := ""
			if rt.method == "POST" {
				body = `{"command":"true","sessionId":"x"}`
			}
			if r := h.raw(rt.method, rt.path, body, hdr); r.status != 403 {
				t.Errorf("%s %s %v: %d", rt.method, rt.path, hdr, r.status)
			}
		}
	}
	if r := h.do("GET", "/process/session", "", nil); string(r.body) != "[]" {
		t.Fatalf("sessions after refused requests: %s", r.body)
	}
}

// A browser front-end on an allowed origin works, CORS included; others
// are refused at the preflight.
func TestAllowedOrigin(t *testing.T) {
	t.Parallel()
	h := newHarness(t, WithAllowedOrigins("https://IDE.example.com:443", "http://localhost:3000"))
	for _, origin := range []string{"https://ide.example.com", "http://localhost:3000"} {
		pre := h.raw("OPTIONS", "/process/execute", "", map[string]string{
			"Origin": origin, "Access-Control-Request-Method": "POST",
			"Access-Control-Request-Headers": "content-type,authorization",
		})
		if pre.status != 204 || pre.header.Get("Access-Control-Allow-Origin") != origin ||
			!strings.Contains(pre.header.Get("Access-Control-Allow-Headers"), "content-type") {
			t.Errorf("preflight from %s: %d %v", origin, pre.status, pre.header)
		}
		r := h.raw("POST", "/process/execute", `{"command":"echo hi"}`, map[string]string{"Origin": origin, "Content-Type": "application/json"})
		if r.status != 200 || !strings.Contains(string(r.body), "hi") || r.header.Get("Access-Control-Allow-Origin") != origin {
			t.Errorf("POST from %s: %d %v %s", origin, r.status, r.header, r.body)
		}
		c, _, err := (&websocket.Dialer{HandshakeTimeout: 5 * time.Second}).Dial(h.wsURL("/process/session/entrypoint/logs"), http.Header{"Origin": {origin}})
		if err == nil {
			c.Close()
		} else if !strings.Contains(err.Error(), "bad handshake") {
			t.Errorf("WS from %s: %v", origin, err)
		}
	}
	pre := h.raw("OPTIONS", "/process/execute", "", map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
	if pre.status != 403 || pre.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from evil: %d %v", pre.status, pre.header)
	}
	// An allowed origin still needs a JSON body.
	if r := h.raw("POST", "/process/execute", `{"command":"true"}`, map[string]string{"Origin": "http://localhost:3000", "Content-Type": "text/plain"}); r.status != 415 {
		t.Errorf("allowed origin, text/plain: %d", r.status)
	}
}

func TestParseOrigin(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://ide.example.com", "https://ide.example.com"},
		{"HTTP://Example.COM:80", "http://example.com"},
		{"https://x.example:8443/", "https://x.example:8443"},
		{"http://[::1]:3000", "http://[::1]:3000"},
		{"ide.example.com", ""},
		{"ftp://x.example", ""},
		{"https://x.example/path", ""},
		{"null", ""},
		{"*", ""},
	} {
		got, err := ParseOrigin(c.in)
		if (err != nil) != (c.want == "") || got != c.want {
			t.Errorf("ParseOrigin(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

// The raw-input route keeps accepting application/octet-stream (procsh
// client) and JSON (Daytona), nothing else.
func TestContentTypeInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.createSession("s")
	cid := h.execAsync("s", "head -c 3", "")
	path := "/process/session/s/command/" + cid + "/input?procsh=1"
	if r := h.raw("POST", path, "abc", map[string]string{"Content-Type": "text/plain"}); r.status != 415 {
		t.Fatalf("text/plain input: %d", r.status)
	}
	if r := h.raw("POST", path, "abc", map[string]string{"Content-Type": "application/octet-stream"}); r.status >= 300 {
		t.Fatalf("octet-stream input: %d %s", r.status, r.body)
	}
	if ec := h.waitDone("s", cid); ec != 0 {
		t.Fatalf("exit %d", ec)
	}
	if r := h.raw("POST", "/process/execute", "x", map[string]string{"Content-Type": "application/octet-stream"}); r.status != 415 {
		t.Fatalf("octet-stream execute: %d", r.status)
	}
}
