package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/ids"
	"github.com/procsh/procsh/internal/wire"
)

// DefaultAddr is where procsh serve listens unless told otherwise.
const DefaultAddr = "127.0.0.1:2280"

// Default limits.
const (
	DefaultMaxBodyBytes    = 16 << 20
	DefaultMaxMessageBytes = 64 << 10
)

// Server serves a client.Client backend under the toolbox /process routes.
// It is an http.Handler; create it with New.
type Server struct {
	backend    client.Client
	token      string
	log        *slog.Logger
	maxBody    int64
	maxMsg     int64
	entryArgv  []string
	writeWait  time.Duration // bound on one WebSocket write (slow consumers)
	maxOutput  int64         // result output cap for requests without one
	mux        *http.ServeMux
	upgrader   websocket.Upgrader
	entrypoint *entrypoint
	origins    []string // allowed browser origins besides our own (normalised)
	hosts      []string // allowed Host names on loopback besides localhost
	leaseGrace time.Duration

	leaseMu sync.Mutex
	leases  map[string]*lease // lease id → what it holds
	reaping bool              // the reaper runs

	mu       sync.Mutex
	closing  bool
	conns    map[*websocket.Conn]struct{}
	calls    sync.Map        // call id → context.CancelFunc of a cancellable call
	ctx      context.Context // cancelled by Shutdown; bounds WS handlers
	cancel   context.CancelFunc
	handlers sync.WaitGroup
}

// Option configures a Server.
type Option func(*Server)

// WithToken requires "Authorization: Bearer <token>" (or the Daytona preview
// token header or query parameter) on every request, WebSocket upgrades
// included. An empty token disables the check.
func WithToken(token string) Option { return func(s *Server) { s.token = token } }

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithMaxBodyBytes bounds request bodies; larger ones get 413.
func WithMaxBodyBytes(n int64) Option { return func(s *Server) { s.maxBody = n } }

// WithMaxMessageBytes bounds incoming WebSocket messages (PTY input); a
// larger message closes the connection with 1009.
func WithMaxMessageBytes(n int64) Option { return func(s *Server) { s.maxMsg = n } }

// WithEntrypoint runs argv as the entrypoint session's command (docs/protocol.md §5.9).
func WithEntrypoint(argv []string) Option {
	return func(s *Server) { s.entryArgv = append([]string(nil), argv...) }
}

// WithMaxOutput sets the output cap of synchronous results (execute,
// code-run, sync session exec) for requests that name none — every Daytona
// request — in bytes; 0 means client.DefaultMaxOutput, a negative value no
// cap. procsh clients choose their own with "maxOutput". A capped result
// holds the first bytes; procsh clients see "truncated": true.
func WithMaxOutput(n int64) Option { return func(s *Server) { s.maxOutput = n } }

// outputCap is the MaxOutput passed to the backend for a request.
func (s *Server) outputCap(r *http.Request, asked int64) int64 {
	if ext(r) && asked != 0 {
		return asked
	}
	return s.maxOutput
}

// withWriteWait bounds a single WebSocket write; tests shorten it.
func withWriteWait(d time.Duration) Option { return func(s *Server) { s.writeWait = d } }

// New returns a Server exposing backend. The server owns the backend from
// now on: Shutdown closes it.
func New(backend client.Client, opts ...Option) *Server {
	s := &Server{
		backend:    backend,
		log:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		maxBody:    DefaultMaxBodyBytes,
		maxMsg:     DefaultMaxMessageBytes,
		writeWait:  30 * time.Second,
		leaseGrace: DefaultLeaseGrace,
		conns:      map[*websocket.Conn]struct{}{},
	}
	for _, o := range opts {
		o(s)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.upgrader = websocket.Upgrader{
		ReadBufferSize:  32 << 10,
		WriteBufferSize: 64 << 10,
		// ServeHTTP has vetted Origin and Host before any upgrade.
		CheckOrigin: func(*http.Request) bool { return true },
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			http.Error(w, http.StatusText(status), status)
		},
	}
	s.routes()
	if len(s.entryArgv) > 0 {
		s.entrypoint = startEntrypoint(s, s.entryArgv)
	}
	return s
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("POST /process/execute", s.handleExecute)
	m.HandleFunc("POST /process/code-run", s.handleCodeRun)
	m.HandleFunc("GET /process/session", s.handleListSessions)
	m.HandleFunc("POST /process/session", s.handleCreateSession)
	m.HandleFunc("GET /process/session/entrypoint", s.handleGetEntrypoint)
	m.HandleFunc("GET /process/session/entrypoint/logs", s.handleEntrypointLogs)
	m.HandleFunc("GET /process/session/{sid}", s.handleGetSession)
	m.HandleFunc("DELETE /process/session/{sid}", s.handleDeleteSession)
	m.HandleFunc("POST /process/session/{sid}/exec", s.handleSessionExec)
	m.HandleFunc("GET /process/session/{sid}/command/{cid}", s.handleGetCommand)
	m.HandleFunc("POST /process/session/{sid}/command/{cid}/input", s.handleInput)
	m.HandleFunc("GET /process/session/{sid}/command/{cid}/logs", s.handleLogs)
	m.HandleFunc("POST /process/session/{sid}/command/{cid}/kill", s.handleKill)
	m.HandleFunc("POST /process/session/{sid}/command/{cid}/close-input", s.handleCloseInput)
	m.HandleFunc("GET /process/pty", s.handleListPTYs)
	m.HandleFunc("POST /process/pty", s.handleCreatePTY)
	m.HandleFunc("GET /process/pty/"+createConnectID, s.handleCreateConnectPTY)
	m.HandleFunc("GET /process/pty/{id}", s.handleGetPTY)
	m.HandleFunc("DELETE /process/pty/{id}", s.handleDeletePTY)
	m.HandleFunc("POST /process/pty/{id}/resize", s.handleResizePTY)
	m.HandleFunc("GET /process/pty/{id}/connect", s.handleConnectPTY)
	m.HandleFunc("GET "+wire.CapabilitiesPath, s.handleCapabilities)
	m.HandleFunc("POST "+wire.CancelPath+"{call}", s.handleCancel)
	m.HandleFunc("POST "+wire.LeasePath, s.handleLeaseRenew)
	m.HandleFunc("GET "+wire.LeasePath, s.handleLeaseList)
	s.mux = m
}

// ServeHTTP authenticates and routes a request. Unknown routes and wrong
// methods answer 404 "404 page not found" (as gin does, never 405), and a
// trailing slash is redirected to the path without it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(wire.HeaderRequestID, ids.UUID())
	s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
	if !s.checkBrowser(w, r) || s.preflight(w, r) {
		return
	}
	if !s.authorized(r) {
		s.log.Warn("unauthorized request", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
		writeE1(w, r, http.StatusUnauthorized, "UNAUTHORIZED", "unauthorized: missing or invalid bearer token", client.ErrUnauthorized)
		return
	}
	s.mu.Lock()
	closing := s.closing
	if !closing {
		s.handlers.Add(1)
	}
	s.mu.Unlock()
	if closing {
		writeE1(w, r, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE", "service unavailable: server is shutting down", client.ErrUnavailable)
		return
	}
	defer s.handlers.Done()
	if _, pattern := s.mux.Handler(r); pattern == "" {
		if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
			r2 := r.Clone(r.Context())
			r2.URL.Path = strings.TrimRight(p, "/")
			r2.URL.RawPath = ""
			if _, pat := s.mux.Handler(r2); pat != "" {
				u := *r2.URL
				code := http.StatusTemporaryRedirect
				if r.Method == http.MethodGet {
					code = http.StatusMovedPermanently
				}
				http.Redirect(w, r, u.RequestURI(), code)
				return
			}
		}
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "404 page not found")
		return
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
	}
	s.touchLease(r)
	s.mux.ServeHTTP(w, r)
}

func (s *Server) authorized(r *http.Request) bool {
	if s.token == "" {
		return true
	}
	var got string
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		got = strings.TrimSpace(a[7:])
	} else if t := r.Header.Get("X-Daytona-Preview-Token"); t != "" {
		got = t
	} else {
		got = r.URL.Query().Get("DAYTONA_SANDBOX_AUTH_KEY")
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) == 1
}

func (s *Server) handleCapabilities(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, wire.Capabilities{Protocol: wire.ProtocolVersion, Features: wire.AllFeatures})
}

// callContext derives the context of a cancellable call: procsh clients
// name it with ?call=<id> and cancel it with POST /procsh/v1/cancel/<id>,
// then wait for the reply, so a cancelled call returns only once what it
// started has ended. The returned release must be called.
func (s *Server) callContext(r *http.Request) (context.Context, func()) {
	ctx, cancel := context.WithCancel(r.Context())
	id := r.URL.Query().Get(wire.CallParam)
	if !ext(r) || id == "" {
		return ctx, cancel
	}
	s.calls.Store(id, cancel)
	return ctx, func() { s.calls.Delete(id); cancel() }
}

func (s *Server) handleCancel(w http.ResponseWriter, r *http.Request) {
	v, ok := s.calls.Load(r.PathValue("call"))
	if !ok {
		writeE1(w, r, http.StatusNotFound, "NOT_FOUND", "not found: call not found", client.ErrNotFound)
		return
	}
	v.(context.CancelFunc)()
	w.WriteHeader(http.StatusNoContent)
}

// ext reports whether the request opted into the procsh extensions.
func ext(r *http.Request) bool { return r.URL.Query().Get(wire.ExtParam) == "1" }

// trackConn registers a WebSocket so Shutdown can close it; it returns
// false when the server is already shutting down.
func (s *Server) trackConn(c *websocket.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrackConn(c *websocket.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// Shutdown stops accepting requests, closes every WebSocket (close 1001),
// ends every session and PTY process tree by closing the backend, and waits
// (bounded by ctx) for running handlers to return.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil
	}
	s.closing = true
	s.mu.Unlock()
	err := s.backend.Close()
	// Let WebSocket handlers deliver those ends themselves, briefly.
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline) && ctx.Err() == nil; {
		s.mu.Lock()
		n := len(s.conns)
		s.mu.Unlock()
		if n == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.mu.Lock()
	conns := make([]*websocket.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	// The backend was closed first: PTY clients then got their program's
	// real end (close 1011, exit code 137) and log followers a regular end.
	s.cancel()
	msg := websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down")
	for _, c := range conns {
		_ = c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		_ = c.NetConn().Close()
	}
	done := make(chan struct{})
	go func() { s.handlers.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		if err == nil {
			err = fmt.Errorf("server shutdown: %w", ctx.Err())
		}
	}
	return err
}

// CheckListenAddr refuses to listen on anything but loopback without a
// token, because the server runs arbitrary commands for whoever reaches it.
func CheckListenAddr(addr, token string) error {
	if token != "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("listen address %q is not loopback: a token is required (--token or PROCSH_TOKEN)", addr)
}

// ListenAndServe listens on addr and serves s until ctx is done, then shuts
// down gracefully.
func ListenAndServe(ctx context.Context, addr string, s *Server) error {
	if err := CheckListenAddr(addr, s.token); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return Serve(ctx, ln, s)
}

// Serve serves s on ln until ctx is done, then shuts down gracefully: the
// listener closes, WebSockets get close 1001, every session and PTY ends.
func Serve(ctx context.Context, ln net.Listener, s *Server) error {
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		_ = s.Shutdown(context.Background())
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Our Shutdown first, so long-polls and WebSockets end and hs.Shutdown
	// does not wait on them.
	err := s.Shutdown(sctx)
	if e := hs.Shutdown(sctx); e != nil && err == nil {
		err = e
	}
	<-errc
	return err
}

var errBodyTooLarge = errors.New("request body too large")
