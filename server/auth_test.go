package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

var allRoutes = []struct{ method, path string }{
	{"POST", "/process/execute"}, {"POST", "/process/code-run"},
	{"GET", "/process/session"}, {"POST", "/process/session"},
	{"GET", "/process/session/entrypoint"}, {"GET", "/process/session/entrypoint/logs"},
	{"GET", "/process/session/s"}, {"DELETE", "/process/session/s"}, {"POST", "/process/session/s/exec"},
	{"GET", "/process/session/s/command/c"}, {"POST", "/process/session/s/command/c/input"},
	{"GET", "/process/session/s/command/c/logs"}, {"POST", "/process/session/s/command/c/kill"},
	{"POST", "/process/session/s/command/c/close-input"},
	{"GET", "/process/pty"}, {"POST", "/process/pty"}, {"GET", "/process/pty/p"}, {"DELETE", "/process/pty/p"},
	{"POST", "/process/pty/p/resize"}, {"GET", "/process/pty/p/connect"},
	{"GET", "/procsh/v1/capabilities"}, {"GET", "/process/nope"},
}

func TestAuthEveryRoute(t *testing.T) {
	t.Parallel()
	h := newHarness(t, WithToken("s3cret"))
	for _, rt := range allRoutes {
		for _, tok := range []string{"", "Bearer wrong", "Bearer s3cret2", "Basic s3cret"} {
			r := h.do(rt.method, rt.path, `{"command":"touch /tmp/should-not-exist"}`, map[string]string{"Authorization": tok})
			if r.status != 401 {
				t.Errorf("%s %s with %q: %d", rt.method, rt.path, tok, r.status)
				continue
			}
			e1("UNAUTHORIZED", "unauthorized")(t, r)
		}
	}
	// WebSocket upgrades are refused before the handshake.
	for _, p := range []string{"/process/pty/p/connect", "/process/session/s/command/c/logs?follow=true", "/process/session/entrypoint/logs"} {
		_, resp, err := (&websocket.Dialer{HandshakeTimeout: 5 * time.Second}).Dial(h.wsURL(p), http.Header{"Authorization": {"Bearer nope"}})
		if err == nil || resp == nil || resp.StatusCode != 401 {
			t.Errorf("WS %s: err %v resp %v", p, err, resp)
		}
	}
	// The right token in each accepted form works.
	for _, hdr := range []map[string]string{
		{"Authorization": "Bearer s3cret"},
		{"Authorization": "bearer s3cret"},
		{"X-Daytona-Preview-Token": "s3cret"},
	} {
		if r := h.do("GET", "/process/session", "", hdr); r.status != 200 {
			t.Errorf("%v: %d", hdr, r.status)
		}
	}
	if r := h.do("GET", "/process/session?DAYTONA_SANDBOX_AUTH_KEY=s3cret", "", nil); r.status != 200 {
		t.Errorf("query token: %d", r.status)
	}
	c, _, err := (&websocket.Dialer{}).Dial(h.wsURL("/process/pty/zz/connect"), http.Header{"Authorization": {"Bearer s3cret"}})
	if err != nil {
		t.Fatalf("authorised WS: %v", err)
	}
	c.Close()
}

func TestCheckListenAddr(t *testing.T) {
	cases := []struct {
		addr, token string
		ok          bool
	}{
		{"127.0.0.1:2280", "", true},
		{"[::1]:2280", "", true},
		{"localhost:2280", "", true},
		{"0.0.0.0:2280", "", false},
		{":2280", "", false},
		{"10.1.2.3:80", "", false},
		{"0.0.0.0:2280", "tok", true},
		{"nonsense", "", false},
	}
	for _, c := range cases {
		err := CheckListenAddr(c.addr, c.token)
		if (err == nil) != c.ok {
			t.Errorf("CheckListenAddr(%q, %q) = %v", c.addr, c.token, err)
		}
		if err != nil && c.ok == false && !strings.Contains(err.Error(), c.addr) {
			t.Errorf("error %q does not name the address", err)
		}
	}
}
