package remote

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/ids"
	"github.com/procsh/procsh/internal/wire"
)

// Client is the client.Client that speaks the Daytona toolbox /process
// protocol. It always announces a modern SDK version, so the server splits
// stdout and stderr.
//
// When the server offers the procsh protocol extensions (probed once, at the
// first call that needs them) Client uses them: binary-safe log streaming
// with byte offsets, signalled WaitCommand, KillCommand and CloseInput,
// input without an added newline, byte-exact exec results with TimedOut and
// separate streams, live OnOutput, cancellation that returns only once the
// server has ended what the call started, and acknowledged PTY input.
// Against a plain Daytona server it falls back: offsets are skipped
// client-side, WaitCommand follows the logs to their end and then polls the
// command, KillCommand and CloseInput fail with ErrUnsupported, SendInput
// data gets the newline Daytona appends, an exec timeout (408) becomes a
// result with TimedOut, OnOutput is called once at the end, a cancelled call
// is abandoned (Daytona keeps running it), results are only as exact as
// JSON strings allow, and PTY input from several handles is not ordered
// across connections.
type Client struct {
	base   *url.URL
	token  string
	hc     *http.Client
	dialer *websocket.Dialer

	live watchdog // liveness probing while calls are in flight

	capMu sync.Mutex
	caps  map[string]bool // nil until probed

	// leaseID names this client's lease on a procsh server ("" when
	// detached): what it creates ends when it stops renewing.
	leaseID   string
	renewing  bool
	stopRenew chan struct{}

	mu     sync.Mutex
	closed bool
	conns  map[*websocket.Conn]struct{}
	// Sessions and PTYs this client created: Close ends them, as the
	// local backend's Close does.
	ownSessions map[string]struct{}
	ownPTYs     map[string]struct{}
	// noCreateConnect: the server answered create-connect with 404 (a
	// v0.190 daemon); PTYs are created with POST from then on.
	noCreateConnect bool
}

var _ client.Client = (*Client)(nil)

// Option configures a Remote.
type Option func(*Client)

// WithToken sends "Authorization: Bearer <token>" on every request and
// WebSocket handshake.
func WithToken(token string) Option { return func(r *Client) { r.token = token } }

// WithHTTPClient replaces the HTTP client (its Transport is also used to
// find proxy and TLS settings for WebSockets).
func WithHTTPClient(hc *http.Client) Option { return func(r *Client) { r.hc = hc } }

// New returns a client for the server at baseURL (http or https; the
// /process routes are appended to its path).
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, &client.Error{Op: "new remote", Kind: client.ErrInvalidArgument, Msg: "bad base URL", Err: err}
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, client.Errorf("new remote", client.ErrInvalidArgument, "base URL %q must be http(s)://host[:port][/path]", baseURL)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	r := &Client{base: u, conns: map[*websocket.Conn]struct{}{}, ownSessions: map[string]struct{}{}, ownPTYs: map[string]struct{}{}}
	r.live = watchdog{r: r, period: DefaultLiveness}
	r.leaseID = ids.Hex(16)
	for _, o := range opts {
		o(r)
	}
	if r.hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		r.hc = &http.Client{Transport: tr}
	}
	r.dialer = &websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: 30 * time.Second,
		ReadBufferSize:   64 << 10,
		WriteBufferSize:  32 << 10,
	}
	if tr, ok := r.hc.Transport.(*http.Transport); ok {
		r.dialer.Proxy = tr.Proxy
		r.dialer.TLSClientConfig = tr.TLSClientConfig
		// A custom dialer (e.g. through an SSH connection) carries the
		// WebSockets too.
		r.dialer.NetDialContext = tr.DialContext
	}
	return r, nil
}

func (r *Client) headers() http.Header {
	h := http.Header{}
	h.Set(wire.HeaderSDKVersion, wire.ClientVersion)
	h.Set(wire.HeaderSource, "procsh")
	if r.leaseID != "" {
		h.Set(wire.HeaderLease, r.leaseID)
	}
	if r.token != "" {
		h.Set("Authorization", "Bearer "+r.token)
	}
	return h
}

// endpoint builds base + path (already escaped) + query.
func (r *Client) endpoint(path string, q url.Values) string {
	u := *r.base
	u.RawPath = u.Path + path
	u.Path, _ = url.PathUnescape(u.RawPath)
	u.RawQuery = q.Encode()
	return u.String()
}

func pe(s string) string { return url.PathEscape(s) }

func (r *Client) checkClosed(op string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return client.Errorf(op, client.ErrClosed, "remote client is closed")
	}
	return nil
}

func (r *Client) own(m map[string]struct{}, id string, add bool) {
	if add && r.leaseID == "" {
		return // detached: not ours to end
	}
	r.mu.Lock()
	if add {
		m[id] = struct{}{}
	} else {
		delete(m, id)
	}
	r.mu.Unlock()
	if add {
		r.startRenewing()
	}
}

// Close ends the sessions and PTYs this client created (as the local
// backend's Close does), then releases its connections: open log streams
// and PTY handles end. Later calls fail with ErrClosed.
func (r *Client) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	ptys := slices.Collect(maps.Keys(r.ownPTYs))
	sessions := slices.Collect(maps.Keys(r.ownSessions))
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var errs []error
	for _, id := range ptys {
		if err := r.KillPTY(ctx, id); err != nil && !errors.Is(err, client.ErrNotFound) {
			errs = append(errs, err)
		}
	}
	for _, id := range sessions {
		if err := r.DeleteSession(ctx, id); err != nil && !errors.Is(err, client.ErrNotFound) {
			errs = append(errs, err)
		}
	}
	// Give attached handles a moment to receive their program's end.
	for deadline := time.Now().Add(2 * time.Second); len(ptys) > 0 && time.Now().Before(deadline); {
		r.mu.Lock()
		n := len(r.conns)
		r.mu.Unlock()
		if n == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.mu.Lock()
	r.closed = true
	if r.stopRenew != nil {
		close(r.stopRenew)
		r.stopRenew = nil
	}
	conns := make([]*websocket.Conn, 0, len(r.conns))
	for c := range r.conns {
		conns = append(conns, c)
	}
	r.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
	r.hc.CloseIdleConnections()
	if len(errs) > 0 {
		return &client.Error{Op: "close", Kind: client.ErrUnavailable, Msg: "could not end every session and PTY", Err: errors.Join(errs...)}
	}
	return nil
}
