package remote

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/procsh/procsh/internal/wire"
)

// DefaultLiveness is how long a server may go without answering before the
// client reports it unavailable (see WithLiveness).
const DefaultLiveness = 15 * time.Second

// errHung is the cancellation cause of calls the watchdog ended.
var errHung = errors.New("server not responding (liveness probe timed out)")

// WithLiveness sets how long the server may stay silent before calls in
// flight, log streams and PTY connections fail with ErrUnavailable
// (default DefaultLiveness; d <= 0 turns the check off). While anything is
// in flight the client sends a cheap probe request on a connection of its
// own every d/3 and gives it 2d/3 to be answered, so a hung server (stopped,
// partitioned) is reported within about d, while a busy one, which still
// answers the probe, can run a long exec or stay quiet on a followed log
// for as long as it likes.
func WithLiveness(d time.Duration) Option {
	return func(r *Client) { r.live.period = d }
}

// watchdog probes the server while calls or connections are active and
// ends them all when a probe goes unanswered. One probe serves every
// active call, so concurrency costs nothing extra.
type watchdog struct {
	r      *Client
	period time.Duration // the liveness bound; 0 = off

	mu    sync.Mutex
	next  int
	kills map[int]func()
	stop  chan struct{} // closed when the last registration goes
}

// watch registers kill, called if the server is found hung; the returned
// function unregisters it.
func (w *watchdog) watch(kill func()) (unwatch func()) {
	if w.period <= 0 {
		return func() {}
	}
	w.mu.Lock()
	if w.kills == nil {
		w.kills = map[int]func(){}
	}
	id := w.next
	w.next++
	w.kills[id] = kill
	if w.stop == nil {
		w.stop = make(chan struct{})
		go w.run(w.stop)
	}
	w.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			w.mu.Lock()
			delete(w.kills, id)
			if len(w.kills) == 0 && w.stop != nil {
				close(w.stop)
				w.stop = nil
			}
			w.mu.Unlock()
		})
	}
}

// run probes every period/3 until stop is closed.
func (w *watchdog) run(stop chan struct{}) {
	t := time.NewTicker(w.period / 3)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if w.probe(stop) {
			continue
		}
		select {
		case <-stop:
			return
		default:
		}
		w.mu.Lock()
		kills := make([]func(), 0, len(w.kills))
		for _, k := range w.kills {
			kills = append(kills, k)
		}
		w.mu.Unlock()
		for _, k := range kills {
			k()
		}
	}
}

// probe reports whether the server answered a capabilities request within
// 2/3 of the period. Any HTTP answer counts: a Daytona server's 404 shows
// it is alive as well as a procsh server's 200. A probe cut short by stop
// counts as answered.
func (w *watchdog) probe(stop chan struct{}) bool {
	ctx, cancel := context.WithTimeout(context.Background(), w.period*2/3)
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.r.endpoint(wire.CapabilitiesPath, nil), nil)
	if err != nil {
		return true
	}
	req.Header = w.r.headers()
	resp, err := w.r.hc.Do(req)
	if err != nil {
		select {
		case <-stop:
			return true
		default:
		}
		// A refused connection is a dead server, which the calls notice
		// themselves; only silence is the watchdog's business.
		return !errors.Is(ctx.Err(), context.DeadlineExceeded)
	}
	resp.Body.Close()
	return true
}

// watched returns ctx cancelled (with cause errHung) if the server is found
// hung, and the function that ends the watch.
func (r *Client) watched(ctx context.Context) (context.Context, func()) {
	if r.live.period <= 0 {
		return ctx, func() {}
	}
	wctx, cancel := context.WithCancelCause(ctx)
	unwatch := r.live.watch(func() { cancel(errHung) })
	return wctx, func() { unwatch(); cancel(nil) }
}

// hungErr returns errHung when wctx was ended by the watchdog.
func hungErr(wctx context.Context) error {
	if errors.Is(context.Cause(wctx), errHung) {
		return errHung
	}
	return nil
}
