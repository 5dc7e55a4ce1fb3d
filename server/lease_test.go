package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/procsh/procsh/internal/wire"
)

// Leased sessions and PTYs end after the grace period without renewal;
// renewals keep them; unleased ones stay; leases can be turned off.
func TestLeaseExpiryAndRenewal(t *testing.T) {
	const grace = 300 * time.Millisecond
	cases := []struct {
		name  string
		grace time.Duration
		lease string // header value; "" for none
		renew bool
		gone  bool
	}{
		{"expires", grace, "L1", false, true},
		{"renewed", grace, "L2", true, false},
		{"no lease (Daytona)", grace, "", false, false},
		{"leases off", 0, "L3", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, WithLeaseGrace(c.grace))
			hdr := map[string]string{}
			if c.lease != "" {
				hdr[wire.HeaderLease] = c.lease
			}
			h.mustStatus(h.do("POST", "/process/session", `{"sessionId":"s"}`, hdr), 201)
			h.mustStatus(h.do("POST", "/process/pty", `{"id":"p"}`, hdr), 201)
			end := time.Now().Add(4 * grace)
			for time.Now().Before(end) {
				if c.renew {
					r := h.do("POST", wire.LeasePath, "", hdr)
					h.mustStatus(r, 204)
					if r.header.Get(wire.HeaderLeaseGrace) != "300" {
						t.Fatalf("grace header %q", r.header.Get(wire.HeaderLeaseGrace))
					}
				}
				time.Sleep(grace / 5)
			}
			sess := h.do("GET", "/process/session/s", "", nil).status
			pty := h.do("GET", "/process/pty/p", "", nil).status
			want := 200
			if c.gone {
				want = 404
			}
			if sess != want || pty != want {
				t.Fatalf("session %d, pty %d, want %d", sess, pty, want)
			}
		})
	}
}

// Renewal needs a lease; the list shows leases and detached objects;
// adoption moves a detached session under a lease, an unknown id is 404.
func TestLeaseRoutes(t *testing.T) {
	h := newHarness(t, WithLeaseGrace(time.Minute))
	h.mustStatus(h.do("POST", wire.LeasePath, "", nil), 400)
	h.createSession("free")
	lh := map[string]string{wire.HeaderLease: "mine"}
	h.mustStatus(h.do("POST", "/process/session", `{"sessionId":"held"}`, lh), 201)
	list := string(h.do("GET", wire.LeasePath, "", nil).body)
	if !strings.Contains(list, `"detached":{"sessions":["free"]`) || !strings.Contains(list, `"id":"mine"`) || !strings.Contains(list, `"sessions":["held"]`) {
		t.Fatalf("list %s", list)
	}
	h.mustStatus(h.do("POST", wire.LeasePath, `{"sessions":["nope"]}`, lh), http.StatusNotFound)
	h.mustStatus(h.do("POST", wire.LeasePath, `{"sessions":["free"]}`, lh), 204)
	list = string(h.do("GET", wire.LeasePath, "", nil).body)
	if !strings.Contains(list, `"sessions":["free","held"]`) || !strings.Contains(list, `"detached":{"sessions":[]`) {
		t.Fatalf("list after adoption %s", list)
	}
	h.mustStatus(h.do("DELETE", "/process/session/held", "", nil), 204)
	if list = string(h.do("GET", wire.LeasePath, "", nil).body); !strings.Contains(list, `"sessions":["free"]`) {
		t.Fatalf("list after delete %s", list)
	}
}
