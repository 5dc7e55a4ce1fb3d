package remote_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/clienttest"
	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/client/remote"
	"github.com/procsh/procsh/server"
)

// startServer serves server.New(local backend) on a loopback listener and
// returns its base URL and a stop function.
func startServer(t testing.TB, opts ...server.Option) (string, func()) {
	t.Helper()
	b := newLocal(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := server.New(b, opts...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, ln, s) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil && err != http.ErrServerClosed {
			t.Errorf("serve: %v", err)
		}
	}
	return "http://" + ln.Addr().String(), stop
}

// newRemote is the conformance factory: a remote client talking to our
// server over loopback, with bearer auth on.
func newRemote(t *testing.T) client.Client {
	t.Helper()
	url, stop := startServer(t, server.WithToken("conformance-token"))
	r, err := remote.New(url, remote.WithToken("conformance-token"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return r
}

func TestRemoteConformance(t *testing.T) {
	clienttest.Run(t, newRemote)
}

func newLocal(t testing.TB) *local.Backend {
	t.Helper()
	b, err := local.New(local.WithKillGrace(200*time.Millisecond), local.WithEnv(isolatedEnv(t)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

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
