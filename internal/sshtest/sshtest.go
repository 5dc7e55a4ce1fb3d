// Package sshtest starts a real OpenSSH server for tests: sshd on
// 127.0.0.1 at a free port, with a generated host key and user key in the
// test's temp directory, logging in as the user running the tests.
//
// Tests fail (not skip) when sshd is missing, so a machine without
// openssh-server cannot pass silently; set PROCSH_SKIP_SSH=1 to skip them
// instead (tools/deps/openssh.sh installs it).
package sshtest

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Server is a running sshd.
type Server struct {
	Dir        string // the temp directory holding keys and config
	Host       string // "127.0.0.1"
	Port       int
	User       string // the login user (the current user)
	Home       string // the HOME sessions get (a fresh directory)
	CacheDir   string // XDG_CACHE_HOME sessions get
	KeyFile    string // the user's private key (unencrypted, OpenSSH format)
	KnownHosts string // a known_hosts file that lists this server's host key
	HostKey    ssh.PublicKey
	Signer     ssh.Signer // the user's key

	cmd  *exec.Cmd
	logs *syncBuffer
}

// Addr is "127.0.0.1:port".
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// URL is "ssh://user@127.0.0.1:port".
func (s *Server) URL() string { return "ssh://" + s.User + "@" + s.Addr() }

// Logs returns what sshd has logged so far.
func (s *Server) Logs() string { return s.logs.String() }

// SshdPath is where Debian's openssh-server puts sshd.
const SshdPath = "/usr/sbin/sshd"

// Require fails the test when sshd is missing, or skips it when
// PROCSH_SKIP_SSH=1.
func Require(t testing.TB) {
	t.Helper()
	if os.Getenv("PROCSH_SKIP_SSH") == "1" {
		t.Skip("PROCSH_SKIP_SSH=1")
	}
	if _, err := os.Stat(SshdPath); err != nil {
		t.Fatalf("sshd is required for SSH tests (%v): install openssh-server (tools/deps/openssh.sh) or set PROCSH_SKIP_SSH=1", err)
	}
}

// Options adjust the server.
type Options struct {
	// Extra lines appended to sshd_config.
	Config []string
	// Env is set in every session with sshd's SetEnv (on top of HOME and
	// XDG_CACHE_HOME).
	Env map[string]string
	// KeyFile, when set, is the user key (an unencrypted private key file)
	// instead of a generated one, so several servers accept one key.
	KeyFile string
}

// Start starts sshd and stops it when the test ends.
func Start(t testing.TB, opts ...Options) *Server {
	t.Helper()
	Require(t)
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	dir := t.TempDir()
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Dir: dir, Host: "127.0.0.1", User: u.Username, logs: &syncBuffer{}}
	s.Home = filepath.Join(dir, "home")
	s.CacheDir = filepath.Join(dir, "cache")
	for _, d := range []string{s.Home, s.CacheDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	hostSigner := writeKey(t, filepath.Join(dir, "host_ed25519"))
	s.HostKey = hostSigner.PublicKey()
	if o.KeyFile != "" {
		pemBytes, err := os.ReadFile(o.KeyFile)
		if err != nil {
			t.Fatal(err)
		}
		if s.Signer, err = ssh.ParsePrivateKey(pemBytes); err != nil {
			t.Fatal(err)
		}
		s.KeyFile = o.KeyFile
	} else {
		s.KeyFile = filepath.Join(dir, "id_ed25519")
		s.Signer = writeKey(t, s.KeyFile)
	}
	auth := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(auth, ssh.MarshalAuthorizedKey(s.Signer.PublicKey()), 0o600); err != nil {
		t.Fatal(err)
	}
	// sshd refuses to start without its privilege separation directory.
	if os.Geteuid() == 0 {
		_ = os.MkdirAll("/run/sshd", 0o755)
	}
	env := map[string]string{"HOME": s.Home, "XDG_CACHE_HOME": s.CacheDir}
	for k, v := range o.Env {
		env[k] = v
	}
	var setenv []string
	for k, v := range env {
		setenv = append(setenv, k+"="+v)
	}

	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		s.Port = port
		cfg := []string{
			"ListenAddress 127.0.0.1:" + strconv.Itoa(port),
			"HostKey " + filepath.Join(dir, "host_ed25519"),
			"PidFile none",
			"AuthorizedKeysFile " + auth,
			"StrictModes no",
			"UsePAM no",
			"PermitRootLogin yes",
			"PasswordAuthentication no",
			"KbdInteractiveAuthentication no",
			"PubkeyAuthentication yes",
			"AllowStreamLocalForwarding yes",
			"AllowTcpForwarding yes",
			"MaxSessions 100",
			"MaxStartups 200",
			"LogLevel ERROR",
			"SetEnv " + strings.Join(setenv, " "),
		}
		cfg = append(cfg, o.Config...)
		cfgPath := filepath.Join(dir, "sshd_config")
		if err := os.WriteFile(cfgPath, []byte(strings.Join(cfg, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		s.logs = &syncBuffer{}
		cmd := exec.Command(SshdPath, "-D", "-e", "-f", cfgPath)
		cmd.Stdout = s.logs
		cmd.Stderr = s.logs
		dieWithParent(cmd)
		if err := cmd.Start(); err != nil {
			t.Fatalf("start sshd: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		if err := waitBanner(s.Addr(), exited); err != nil {
			_ = cmd.Process.Kill()
			<-exited
			lastErr = fmt.Errorf("%v; sshd logged: %s", err, s.logs.String())
			continue
		}
		s.cmd = cmd
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			<-exited
		})
		line := knownhosts.Line([]string{knownhosts.Normalize(s.Addr())}, s.HostKey)
		s.KnownHosts = filepath.Join(dir, "known_hosts")
		if err := os.WriteFile(s.KnownHosts, []byte(line+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return s
	}
	t.Fatalf("sshd did not start: %v", lastErr)
	return nil
}

// ClientConfig is a config that logs in with the user key and checks the
// host key.
func (s *Server) ClientConfig() *ssh.ClientConfig {
	return &ssh.ClientConfig{
		User:            s.User,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(s.Signer)},
		HostKeyCallback: ssh.FixedHostKey(s.HostKey),
		Timeout:         10 * time.Second,
	}
}

func writeKey(t testing.TB, path string) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	blk, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(blk), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o600); err != nil {
		t.Fatal(err)
	}
	return signer
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitBanner waits until the server at addr sends its SSH banner.
func waitBanner(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("sshd exited")
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
			line, rerr := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if rerr == nil && strings.HasPrefix(line, "SSH-") {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("no SSH banner from %s", addr)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
