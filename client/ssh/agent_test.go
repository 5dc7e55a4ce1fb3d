package ssh_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/clienttest"
	"github.com/procsh/procsh/client/ssh"
	"github.com/procsh/procsh/internal/sshtest"
)

// TestAgentConformance runs the conformance suite unchanged against the SSH
// backend in agent mode.
func TestAgentConformance(t *testing.T) {
	srv := sshtest.Start(t)
	clienttest.Run(t, func(t *testing.T) client.Client {
		return dial(t, srv, opts(srv, ssh.ModeAgent))
	})
}

// cached lists the binaries in the server's cache directory.
func cached(t *testing.T, srv *sshtest.Server) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(srv.CacheDir, "procsh", "bin", "*"))
	return m
}

// TestAgentUploadCache: the first connection uploads the binary under its
// hash; the next reuses it; a corrupted copy is replaced.
func TestAgentUploadCache(t *testing.T) {
	srv := sshtest.Start(t)
	c := dial(t, srv, opts(srv, ssh.ModeAgent))
	if c.Mode() != ssh.ModeAgent {
		t.Fatalf("mode %q", c.Mode())
	}
	files := cached(t, srv)
	if len(files) != 1 || !strings.HasPrefix(filepath.Base(files[0]), "procsh-") {
		t.Fatalf("cache holds %v", files)
	}
	st1, _ := os.Stat(files[0])
	if st1.Mode().Perm() != 0o700 {
		t.Errorf("binary mode %v", st1.Mode())
	}
	c.Close()
	time.Sleep(10 * time.Millisecond)

	c2 := dial(t, srv, opts(srv, ssh.ModeAgent))
	st2, _ := os.Stat(files[0])
	if !st2.ModTime().Equal(st1.ModTime()) || len(cached(t, srv)) != 1 {
		t.Fatalf("binary rewritten on reuse")
	}
	c2.Close()

	// Corrupt it (same size): the hash check notices and uploads again.
	b, _ := os.ReadFile(files[0])
	b[len(b)/2] ^= 0xff
	os.WriteFile(files[0], b, 0o700)
	c3 := dial(t, srv, opts(srv, ssh.ModeAgent))
	res, err := c3.Exec(ctxT(t, 10*time.Second), client.ExecRequest{Command: "echo ok"})
	if err != nil || res.Result != "ok\n" {
		t.Fatalf("%+v %v", res, err)
	}
	if got := cached(t, srv); len(got) != 1 {
		t.Fatalf("cache holds %v (temp files left?)", got)
	}
}

// TestAgentUnsupportedArch: asking for agent mode on a host we have no
// binary for is ErrUnsupported; auto mode falls back to raw.
func TestAgentUnsupportedArch(t *testing.T) {
	srv := sshtest.Start(t)
	o := opts(srv, ssh.ModeAgent)
	o.Binaries = map[string]string{"riscv64": procshBin}
	_, err := ssh.Dial(ctxT(t, 20*time.Second), srv.URL(), o)
	if !errors.Is(err, client.ErrUnsupported) || !strings.Contains(err.Error(), "architecture") {
		t.Fatalf("err = %v", err)
	}
	if got := cached(t, srv); len(got) != 0 {
		t.Fatalf("uploaded %v", got)
	}
	o.Mode = ssh.ModeAuto
	c := dial(t, srv, o)
	if c.Mode() != ssh.ModeRaw {
		t.Fatalf("mode %q", c.Mode())
	}
}

// TestAgentRefusedUpload: a cache directory that cannot be written is a
// typed error and leaves nothing behind.
func TestAgentRefusedUpload(t *testing.T) {
	srv := sshtest.Start(t)
	o := opts(srv, ssh.ModeAgent)
	ro := filepath.Join(t.TempDir(), "ro")
	os.Mkdir(ro, 0o500)
	// Root ignores permission bits, so as root a path under a regular
	// file stands in for the read-only home.
	o.CacheDir = filepath.Join(ro, "cache")
	if os.Geteuid() == 0 {
		f := filepath.Join(ro, "file")
		os.WriteFile(f, nil, 0o600)
		o.CacheDir = filepath.Join(f, "cache")
	}
	_, err := ssh.Dial(ctxT(t, 20*time.Second), srv.URL(), o)
	if !errors.Is(err, client.ErrUnavailable) || !strings.Contains(err.Error(), "upload") {
		t.Fatalf("err = %v", err)
	}
	ents, _ := os.ReadDir(ro)
	for _, e := range ents {
		if e.Name() != "file" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// TestAgentEndsWithConnection: when the SSH connection drops (no orderly
// close), the remote server ends everything it started and removes its
// socket directory.
func TestAgentEndsWithConnection(t *testing.T) {
	srv := sshtest.Start(t)
	c := dial(t, srv, opts(srv, ssh.ModeAgent))
	ctx := ctxT(t, 30*time.Second)
	m := "41.3" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	if err := c.CreateSession(ctx, client.SessionOptions{ID: "s1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecSession(ctx, "s1", client.SessionExecRequest{Command: "sleep " + m, Async: true}); err != nil {
		t.Fatal(err)
	}
	if !eventually(5*time.Second, func() bool { return len(procsWith(m)) == 1 }) {
		t.Fatal("command did not start")
	}
	socks, _ := filepath.Glob(filepath.Join(os.TempDir(), "procsh-agent-*", "sock"))
	var mine []string
	for _, s := range socks {
		if st, err := os.Stat(filepath.Dir(s)); err == nil && st.Mode().Perm() == 0o700 {
			mine = append(mine, s)
		}
	}
	if len(mine) == 0 {
		t.Fatal("no private agent socket found")
	}
	// Drop the transport under the SSH client.
	_ = c.SSH().Conn.(gossh.Conn).Close()
	if !eventually(10*time.Second, func() bool { return len(procsWith(m)) == 0 }) {
		t.Fatalf("session command outlived the connection: %v", procsWith(m))
	}
	if !eventually(5*time.Second, func() bool { return len(procsWith(filepath.Base(cached(t, srv)[0]))) == 0 }) {
		t.Fatal("procsh serve outlived the connection")
	}
	if _, err := c.Exec(ctx, client.ExecRequest{Command: "true"}); !errors.Is(err, client.ErrUnavailable) && !errors.Is(err, client.ErrClosed) {
		t.Fatalf("exec after drop: %v", err)
	}
}

// TestAgentNoSecretsOnCommandLine: the token appears in no process's
// command line on the host.
func TestAgentNoSecretsOnCommandLine(t *testing.T) {
	srv := sshtest.Start(t)
	c := dial(t, srv, opts(srv, ssh.ModeAgent))
	bin := filepath.Base(cached(t, srv)[0])
	pids := procsWith("serve")
	found := false
	for _, p := range pids {
		cl, _ := os.ReadFile("/proc/" + itoa(p) + "/cmdline")
		if strings.Contains(string(cl), bin) {
			found = true
			args := strings.Split(strings.TrimRight(string(cl), "\x00"), "\x00")
			for _, a := range args[1:] {
				if a != "serve" && !strings.HasPrefix(a, "--") && !strings.HasSuffix(a, "ms") {
					t.Errorf("unexpected argument %q in %q", a, args)
				}
			}
		}
	}
	if !found {
		t.Fatal("procsh serve not found on the host")
	}
	_ = c
}

// TestAgentChattyLoginShell: agent mode works when the login shell's rc
// file prints (its output precedes the probe's and the server's).
func TestAgentChattyLoginShell(t *testing.T) {
	srv := sshtest.Start(t)
	if err := os.WriteFile(filepath.Join(srv.Home, ".bashrc"), []byte("echo rc-says-hi\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := dial(t, srv, opts(srv, ssh.ModeAgent))
	if c.Mode() != ssh.ModeAgent {
		t.Fatalf("mode %q", c.Mode())
	}
	res, err := c.Exec(ctxT(t, 10*time.Second), client.ExecRequest{Command: "echo ok"})
	if err != nil || res.Result != "ok\n" {
		t.Fatalf("%+v %v", res, err)
	}
}
