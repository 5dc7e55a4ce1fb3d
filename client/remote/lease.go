package remote

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/wire"
)

// WithDetached makes the sessions and PTYs this client creates outlive it
// on a procsh server: the client names no lease, so they live until
// deleted (as a Daytona client's do), and Close leaves them running.
// Another client can take them back with Reclaim.
func WithDetached() Option { return func(r *Client) { r.leaseID = "" } }

// leaseEvery is how often the client renews its lease before the server
// told it the grace period; then it renews every grace/3.
const leaseEvery = 5 * time.Second

// startRenewing starts the heartbeat that keeps the client's lease alive
// on a procsh server, once, when it first creates something.
func (r *Client) startRenewing() {
	if r.leaseID == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.renewing || r.closed {
		return
	}
	r.renewing = true
	r.stopRenew = make(chan struct{})
	go r.renew(r.stopRenew)
}

// renew posts the lease every interval until stop is closed or the server
// shows it has no leases (a Daytona server answers 404).
func (r *Client) renew(stop chan struct{}) {
	every := leaseEvery
	for first := true; ; first = false {
		// The first renewal goes at once, to learn the grace period.
		if !first {
			select {
			case <-stop:
				return
			case <-time.After(every):
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), max(every, time.Second))
		go func() {
			select {
			case <-stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		var grace string
		status, _ := r.call(ctx, "renew lease", http.MethodPost, wire.LeasePath, nil, noBody, &decoder{
			decode: func(_ context.Context, _ string, resp *http.Response) error {
				grace = resp.Header.Get(wire.HeaderLeaseGrace)
				return nil
			}})
		cancel()
		if status == http.StatusNotFound || status == http.StatusBadRequest {
			return
		}
		if ms, err := strconv.ParseInt(grace, 10, 64); err == nil && ms > 0 {
			every = max(time.Duration(ms)*time.Millisecond/3, 10*time.Millisecond)
		}
	}
}

// Reclaim puts detached sessions and PTYs (left by a WithDetached client,
// or created by a Daytona client) under this client's lease, so they end
// when it vanishes and its Close ends them. It needs a procsh server and a
// client that is not detached (ErrUnsupported otherwise); an id that does
// not exist is ErrNotFound.
func (r *Client) Reclaim(ctx context.Context, sessions, ptys []string) error {
	const op = "reclaim"
	if r.leaseID == "" {
		return client.Errorf(op, client.ErrUnsupported, "a detached client holds no lease")
	}
	ok, err := r.has(ctx, wire.FeatLease)
	if err != nil {
		return err
	}
	if !ok {
		return client.Errorf(op, client.ErrUnsupported, "server has no leases")
	}
	body := struct {
		Sessions []string `json:"sessions,omitempty"`
		PTYs     []string `json:"ptys,omitempty"`
	}{sessions, ptys}
	if _, err := r.call(ctx, op, http.MethodPost, wire.LeasePath, nil, jsonBody(body), nil); err != nil {
		return err
	}
	for _, id := range sessions {
		r.own(r.ownSessions, id, true)
	}
	for _, id := range ptys {
		r.own(r.ownPTYs, id, true)
	}
	return nil
}

type detachedKey struct{}

// DetachedContext marks ctx for connectors that build a Client from a
// context (as the Lua host's process.connect does): IsDetached reports the
// mark, and such a connector then adds WithDetached.
func DetachedContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, detachedKey{}, true)
}

// IsDetached reports whether ctx was marked by DetachedContext.
func IsDetached(ctx context.Context) bool {
	v, _ := ctx.Value(detachedKey{}).(bool)
	return v
}
