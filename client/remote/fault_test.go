package remote_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/server"
)

// killable serves our server on a listener whose every connection can be
// cut at once, as if the server process died.
type killable struct {
	url   string
	s     *server.Server
	mu    sync.Mutex
	conns []net.Conn
	ln    net.Listener
	hs    *http.Server
}

type trackLn struct {
	net.Listener
	k *killable
}

func (l trackLn) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.k.mu.Lock()
		l.k.conns = append(l.k.conns, c)
		l.k.mu.Unlock()
	}
	return c, err
}

func startKillable(t *testing.T) *killable {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	k := &killable{url: "http://" + ln.Addr().String(), ln: ln, s: server.New(newLocal(t))}
	k.hs = &http.Server{Handler: k.s}
	go k.hs.Serve(trackLn{ln, k})
	t.Cleanup(func() {
		k.kill()
		_ = k.s.Shutdown(context.Background())
	})
	return k
}

// kill closes the listener and every connection without a word.
func (k *killable) kill() {
	k.ln.Close()
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, c := range k.conns {
		c.Close()
	}
	k.conns = nil
}

// within fails the test if fn does not return within d.
func within(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s: still blocked after %v", what, d)
	}
}

func TestRemoteServerKilledMidStream(t *testing.T) {
	k := startKillable(t)
	r := mustRemote(t, k.url)
	ctx := context.Background() // no deadline: the client must notice on its own
	if err := r.CreateSession(ctx, client.SessionOptions{ID: "s"}); err != nil {
		t.Fatal(err)
	}
	res, err := r.ExecSession(ctx, "s", client.SessionExecRequest{Command: "while :; do echo tick; sleep 0.05; done", Async: true})
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.StreamCommandLogs(ctx, "s", res.CmdID, client.LogOptions{Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Recv(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreatePTY(ctx, client.PTYOptions{ID: "p"}); err != nil {
		t.Fatal(err)
	}
	h, err := r.ConnectPTY(ctx, "p", client.PTYConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.CreateSession(ctx, client.SessionOptions{ID: "sync"}); err != nil {
		t.Fatal(err)
	}
	syncErr := make(chan error, 1)
	go func() {
		_, err := r.ExecSession(ctx, "sync", client.SessionExecRequest{Command: "sleep 30"})
		syncErr <- err
	}()
	waitErr := make(chan error, 1)
	go func() { _, err := r.WaitCommand(ctx, "s", res.CmdID); waitErr <- err }()
	time.Sleep(200 * time.Millisecond)

	k.kill()

	within(t, 5*time.Second, "log Recv", func() {
		for {
			_, err := st.Recv()
			if err == nil {
				continue
			}
			if !errors.Is(err, client.ErrUnavailable) {
				t.Errorf("Recv after server death: %v", err)
			}
			return
		}
	})
	within(t, 5*time.Second, "PTY Read", func() {
		if _, err := io.ReadAll(h); err == nil {
			t.Error("PTY read ended without an error")
		}
	})
	within(t, 5*time.Second, "PTY Wait", func() {
		if _, err := h.Wait(ctx); !errors.Is(err, client.ErrUnavailable) {
			t.Errorf("PTY Wait: %v", err)
		}
	})
	within(t, 5*time.Second, "sync exec", func() {
		if err := <-syncErr; !errors.Is(err, client.ErrUnavailable) {
			t.Errorf("sync exec: %v", err)
		}
	})
	within(t, 5*time.Second, "wait command", func() {
		if err := <-waitErr; !errors.Is(err, client.ErrUnavailable) {
			t.Errorf("WaitCommand: %v", err)
		}
	})
	if _, err := r.ListSessions(ctx); !errors.Is(err, client.ErrUnavailable) {
		t.Errorf("after death: %v", err)
	}
}

// A server that accepts and then says nothing: every call ends with its
// context.
func TestRemoteHungServerBoundedByContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	})
	r := mustRemote(t, "http://"+ln.Addr().String())
	calls := map[string]func(ctx context.Context) error{
		"exec": func(ctx context.Context) error {
			_, err := r.Exec(ctx, client.ExecRequest{Command: "true"})
			return err
		},
		"stream": func(ctx context.Context) error {
			_, err := r.StreamCommandLogs(ctx, "s", "c", client.LogOptions{Follow: true})
			return err
		},
		"connect pty": func(ctx context.Context) error {
			_, err := r.ConnectPTY(ctx, "p", client.PTYConnectOptions{})
			return err
		},
		"wait": func(ctx context.Context) error { _, err := r.WaitCommand(ctx, "s", "c"); return err },
	}
	for name, call := range calls {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		within(t, 3*time.Second, name, func() {
			if err := call(ctx); !errors.Is(err, client.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s: %v", name, err)
			}
		})
		cancel()
	}
}

// A stream blocked in Recv ends when its context is cancelled or the
// client is closed.
func TestRemoteRecvUnblocks(t *testing.T) {
	url, stop := startServer(t)
	defer stop()
	r := mustRemote(t, url)
	ctx := ctxT(t)
	if err := r.CreateSession(ctx, client.SessionOptions{ID: "s"}); err != nil {
		t.Fatal(err)
	}
	res, err := r.ExecSession(ctx, "s", client.SessionExecRequest{Command: "sleep 20", Async: true})
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	st, err := r.StreamCommandLogs(sctx, "s", res.CmdID, client.LogOptions{Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(100*time.Millisecond, cancel)
	within(t, 3*time.Second, "Recv after cancel", func() {
		if _, err := st.Recv(); !errors.Is(err, context.Canceled) {
			t.Errorf("Recv: %v", err)
		}
	})
	st2, err := r.StreamCommandLogs(ctx, "s", res.CmdID, client.LogOptions{Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(100*time.Millisecond, func() { st2.Close() })
	within(t, 3*time.Second, "Recv after Close", func() {
		if _, err := st2.Recv(); !errors.Is(err, client.ErrClosed) {
			t.Errorf("Recv: %v", err)
		}
	})
}
