package ssh_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/client/ssh"
	"github.com/procsh/procsh/internal/proctable"
	"github.com/procsh/procsh/internal/sshtest"
)

// procshBin is procsh built once for the package's tests: the binary agent
// mode uploads (the test binary itself cannot serve).
var procshBin string

func TestMain(m *testing.M) {
	// One directory per user; a binary per test process, named by its pid,
	// so that binaries of runs killed by -timeout are removed by the next.
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("procsh-sshtest-bin-%d", os.Getuid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "procsh-*"))
	for _, p := range old {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(p), "procsh-"))
		if err != nil || syscall.Kill(pid, 0) != nil {
			_ = os.Remove(p)
		}
	}
	procshBin = filepath.Join(dir, fmt.Sprintf("procsh-%d", os.Getpid()))
	cmd := exec.Command("go", "build", "-o", procshBin, "github.com/procsh/procsh/cmd/procsh")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build procsh: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.Remove(procshBin)
	os.Exit(code)
}

// opts are the options that reach srv with its generated keys and nothing
// from the machine's own ~/.ssh.
func opts(srv *sshtest.Server, mode ssh.Mode) ssh.Options {
	return ssh.Options{
		Identity:   srv.KeyFile,
		KnownHosts: srv.KnownHosts,
		ConfigFile: "none",
		NoAgent:    true,
		Mode:       mode,
		Binaries:   map[string]string{goarch(): procshBin},
		KillGrace:  200 * time.Millisecond,
	}
}

func dial(t testing.TB, srv *sshtest.Server, o ssh.Options) *ssh.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := ssh.Dial(ctx, srv.URL(), o)
	if err != nil {
		t.Fatalf("dial: %v\nsshd: %s", err, srv.Logs())
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// procsWith lists live processes whose command line has word as one
// argument (the sshd runs on this machine, so its processes are ours to
// see).
func procsWith(word string) []int {
	pids, err := proctable.WithArg(word)
	if err != nil {
		panic(err)
	}
	return pids
}

// eventually polls cond for up to d.
func eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cond()
}

func itoa(n int) string { return strconv.Itoa(n) }

func localBackend(t testing.TB) *local.Backend {
	b, err := local.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}
