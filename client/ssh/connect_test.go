package ssh_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/ssh"
	"github.com/procsh/procsh/internal/sshtest"
)

func goarch() string { return runtime.GOARCH }

func newKeyFile(t *testing.T) (string, gossh.PublicKey) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	blk, err := gossh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(p, pem.EncodeToMemory(blk), 0o600); err != nil {
		t.Fatal(err)
	}
	s, _ := gossh.NewSignerFromKey(priv)
	return p, s.PublicKey()
}

// TestConnectRefusals: every way a connection is refused is a typed error
// with a message naming the cause, and leaves no connection behind.
func TestConnectRefusals(t *testing.T) {
	srv := sshtest.Start(t)
	wrongKey, otherPub := newKeyFile(t)
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty_known_hosts")
	os.WriteFile(empty, nil, 0o600)
	changed := filepath.Join(dir, "changed_known_hosts")
	os.WriteFile(changed, []byte(knownhosts.Line([]string{knownhosts.Normalize(srv.Addr())}, otherPub)+"\n"), 0o600)
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := closed.Addr().String()
	closed.Close()

	cases := []struct {
		name   string
		target string
		mod    func(*ssh.Options)
		kind   error
		msg    string
	}{
		{"bad target", "ssh://", nil, client.ErrInvalidArgument, "bad target"},
		{"password in URL", "ssh://u:pw@127.0.0.1", nil, client.ErrInvalidArgument, "password"},
		{"bad mode", srv.URL(), func(o *ssh.Options) { o.Mode = "fast" }, client.ErrInvalidArgument, "mode"},
		{"unreachable", "ssh://" + srv.User + "@" + deadAddr, nil, client.ErrUnavailable, "cannot reach"},
		{"unknown host key", srv.URL(), func(o *ssh.Options) { o.KnownHosts = empty }, client.ErrUnauthorized, "unknown host"},
		{"changed host key", srv.URL(), func(o *ssh.Options) { o.KnownHosts = changed }, client.ErrUnauthorized, "CHANGED"},
		{"no known_hosts", srv.URL(), func(o *ssh.Options) { o.KnownHosts = filepath.Join(dir, "missing") }, client.ErrUnauthorized, "cannot verify"},
		{"wrong key", srv.URL(), func(o *ssh.Options) { o.Identity = wrongKey }, client.ErrUnauthorized, "refused our credentials"},
		{"wrong password", srv.URL(), func(o *ssh.Options) { o.Identity = ""; o.Password = "nope" }, client.ErrUnauthorized, "refused our credentials"},
		{"missing identity", srv.URL(), func(o *ssh.Options) { o.Identity = filepath.Join(dir, "nokey") }, client.ErrInvalidArgument, "identity"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := opts(srv, ssh.ModeRaw)
			if tc.mod != nil {
				tc.mod(&o)
			}
			before := runtime.NumGoroutine()
			c, err := ssh.Dial(ctxT(t, 20*time.Second), tc.target, o)
			if err == nil {
				c.Close()
				t.Fatal("connected")
			}
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v (kind %v), want kind %v mentioning %q", err, client.KindOf(err), tc.kind, tc.msg)
			}
			if !eventually(2*time.Second, func() bool { return runtime.NumGoroutine() <= before }) {
				t.Errorf("goroutines: %d before, %d after", before, runtime.NumGoroutine())
			}
		})
	}
}

// TestSSHConfig: an alias in ssh_config supplies HostName, Port, User and
// IdentityFile.
func TestSSHConfig(t *testing.T) {
	srv := sshtest.Start(t)
	cfg := filepath.Join(t.TempDir(), "config")
	text := "Host webby\n  HostName 127.0.0.1\n  Port " + strings.Split(srv.Addr(), ":")[1] +
		"\n  User " + srv.User + "\n  IdentityFile " + srv.KeyFile + "\n"
	os.WriteFile(cfg, []byte(text), 0o600)
	o := opts(srv, ssh.ModeRaw)
	o.Identity, o.ConfigFile = "", cfg
	c, err := ssh.Dial(ctxT(t, 20*time.Second), "webby", o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Exec(ctxT(t, 10*time.Second), client.ExecRequest{Command: "id -un"})
	if err != nil || strings.TrimSpace(res.Stdout) != srv.User {
		t.Fatalf("res %+v err %v", res, err)
	}
}

// TestProxyJump reaches the host through a jump host (the same sshd).
func TestProxyJump(t *testing.T) {
	srv := sshtest.Start(t)
	port := strings.Split(srv.Addr(), ":")[1]
	cfg := filepath.Join(t.TempDir(), "config")
	text := "Host jump\n  HostName 127.0.0.1\n  Port " + port + "\n" +
		"Host inner\n  HostName 127.0.0.1\n  Port " + port + "\n  ProxyJump jump\n"
	os.WriteFile(cfg, []byte(text), 0o600)
	o := opts(srv, ssh.ModeRaw)
	o.ConfigFile, o.User = cfg, srv.User
	c, err := ssh.Dial(ctxT(t, 20*time.Second), "inner", o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Exec(ctxT(t, 10*time.Second), client.ExecRequest{Command: "echo $SSH_CLIENT"})
	if err != nil || !strings.HasPrefix(res.Stdout, "127.0.0.1 ") {
		t.Fatalf("res %+v err %v", res, err)
	}
}

// TestConnectCancelled: a cancelled context ends the dial with ErrTimeout.
func TestConnectCancelled(t *testing.T) {
	// A listener that accepts and never speaks: the handshake hangs.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	srv := sshtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	o := opts(srv, ssh.ModeRaw)
	_, err = ssh.Dial(ctx, "ssh://x@"+ln.Addr().String(), o)
	if !errors.Is(err, client.ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
}

// TestSSHAgentAuth logs in with a key held only by a real ssh-agent
// (SSH_AUTH_SOCK), and is refused once the agent is turned off.
func TestSSHAgentAuth(t *testing.T) {
	srv := sshtest.Start(t)
	sock := filepath.Join(t.TempDir(), "agent.sock")
	ag := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := ag.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ag.Process.Kill(); _ = ag.Wait() }()
	if !eventually(5*time.Second, func() bool { _, err := os.Stat(sock); return err == nil }) {
		t.Fatal("ssh-agent socket did not appear")
	}
	add := exec.Command("ssh-add", srv.KeyFile)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v %s", err, out)
	}
	t.Setenv("SSH_AUTH_SOCK", sock)
	t.Setenv("HOME", t.TempDir()) // no ~/.ssh/id_* to fall back on
	o := opts(srv, ssh.ModeRaw)
	o.Identity, o.NoAgent = "", false
	c, err := ssh.Dial(ctxT(t, 20*time.Second), srv.URL(), o)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Exec(ctxT(t, 10*time.Second), client.ExecRequest{Command: "echo via-agent"})
	c.Close()
	if err != nil || res.Stdout != "via-agent\n" {
		t.Fatalf("%+v %v", res, err)
	}
	o.NoAgent = true
	if _, err := ssh.Dial(ctxT(t, 20*time.Second), srv.URL(), o); !errors.Is(err, client.ErrUnauthorized) {
		t.Fatalf("without the agent: %v", err)
	}
}

// freezeProxy forwards TCP to addr until freeze is called; then it keeps
// the sockets open but moves no more bytes, as a link that dropped silently.
func freezeProxy(t *testing.T, addr string) (string, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	frozen := make(chan struct{})
	var conns []net.Conn
	var mu sync.Mutex
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	pipe := func(dst, src net.Conn) {
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			select {
			case <-frozen:
				<-make(chan struct{}) // hold on; Cleanup closes the sockets
			default:
			}
			if n > 0 {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", addr)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, u)
			mu.Unlock()
			go pipe(u, c)
			go pipe(c, u)
		}
	}()
	var once sync.Once
	return ln.Addr().String(), func() { once.Do(func() { close(frozen) }) }
}

// TestKeepAliveDetectsSilentDrop: when the link stops moving bytes without
// closing, keepalive probes notice and calls fail with ErrUnavailable
// instead of hanging.
func TestKeepAliveDetectsSilentDrop(t *testing.T) {
	srv := sshtest.Start(t)
	addr, freeze := freezeProxy(t, srv.Addr())
	// The proxy's address is another host:port: list the key under it too.
	kh := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(kh, []byte(knownhosts.Line([]string{knownhosts.Normalize(addr)}, srv.HostKey)+"\n"), 0o600)
	o := opts(srv, ssh.ModeRaw)
	o.KnownHosts, o.KeepAlive = kh, 100*time.Millisecond
	c, err := ssh.Dial(ctxT(t, 20*time.Second), "ssh://"+srv.User+"@"+addr, o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Exec(ctxT(t, 10*time.Second), client.ExecRequest{Command: "true"}); err != nil {
		t.Fatal(err)
	}
	freeze()
	// Without keepalives this would hang until the context's ErrTimeout.
	_, err = c.Exec(ctxT(t, 20*time.Second), client.ExecRequest{Command: "sleep 5"})
	if !errors.Is(err, client.ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
}
