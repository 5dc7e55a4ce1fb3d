package tests

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/procsh/procsh/internal/proctable"
)

// The CLI tests drive the real binary, built once per test run. There is no
// TestMain here because other files of this package may need their own; the
// binary goes to a fixed per-user path that is replaced atomically, so
// concurrent test runs never see a half-written file and nothing piles up
// in the temp directory.
var (
	cliBuildOnce sync.Once
	cliBinPath   string
	cliBuildErr  error
)

// cliBinary returns the path of a freshly built procsh binary.
func cliBinary(t testing.TB) string {
	t.Helper()
	cliBuildOnce.Do(func() {
		dir := filepath.Join(os.TempDir(), fmt.Sprintf("procsh-cli-test-%d", os.Getuid()))
		if cliBuildErr = os.MkdirAll(dir, 0o755); cliBuildErr != nil {
			return
		}
		tmp := filepath.Join(dir, fmt.Sprintf("procsh.%d.tmp", os.Getpid()))
		cmd := exec.Command("go", "build", "-o", tmp, "./cmd/procsh")
		cmd.Dir = ".."
		out, err := cmd.CombinedOutput()
		if err != nil {
			cliBuildErr = fmt.Errorf("go build ./cmd/procsh: %v\n%s", err, out)
			return
		}
		cliBinPath = filepath.Join(dir, fmt.Sprintf("procsh-%d", os.Getpid()))
		cliBuildErr = os.Rename(tmp, cliBinPath)
		// Remove the binary of this process when the package's tests are
		// done is not possible without TestMain; remove older ones instead.
		old, _ := filepath.Glob(filepath.Join(dir, "procsh-*"))
		for _, p := range old {
			if p != cliBinPath && !cliPIDAlive(p) {
				_ = os.Remove(p)
			}
		}
	})
	if cliBuildErr != nil {
		t.Fatal(cliBuildErr)
	}
	return cliBinPath
}

// cliPIDAlive reports whether the test process that built path still runs.
func cliPIDAlive(path string) bool {
	pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(path), "procsh-"))
	if err != nil {
		return false
	}
	return syscall.Kill(pid, 0) == nil
}

// cliMarker returns a fresh value for the PROCSH_CLI_MARK environment
// variable. Every process procsh starts inherits it, which is how the tests
// find leftovers in /proc without confusing them with other tests' sleeps.
func cliMarker(t testing.TB) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "cli-" + hex.EncodeToString(b[:])
}

// cliProcsWithMarker lists the pids (other than the procsh process itself,
// given as self) whose environment carries marker, with their command line.
func cliProcsWithMarker(marker string, self int) map[int]string {
	pids, err := proctable.WithEnv("PROCSH_CLI_MARK=" + marker)
	if err != nil {
		panic(err)
	}
	found := map[int]string{}
	for _, pid := range pids {
		if pid == self {
			continue
		}
		argv, _ := proctable.Cmdline(pid)
		found[pid] = strings.Join(argv, " ")
	}
	return found
}

// cliWaitForProc waits until a process carrying marker whose command line
// contains substr exists.
func cliWaitForProc(t testing.TB, marker, substr string, self int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		for _, cmd := range cliProcsWithMarker(marker, self) {
			if strings.Contains(cmd, substr) {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no process %q with marker %s appeared within %v", substr, marker, within)
}

// cliAssertNoLeftovers fails if any process carrying marker is still
// running after a short grace for the kernel to reap.
func cliAssertNoLeftovers(t testing.TB, marker string, self int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	var left map[int]string
	for {
		left = cliProcsWithMarker(marker, self)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for pid := range left {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	t.Fatalf("processes left behind: %v", left)
}

// cliCmd describes one run of the binary.
type cliCmd struct {
	args  []string
	stdin string
	env   []string // added to a clean copy of the test's environment
	dir   string
	// timeout bounds the run so that a hang fails instead of blocking.
	timeout time.Duration
}

type cliResult struct {
	stdout, stderr string
	code           int
	elapsed        time.Duration
}

// cliEnv is the test's environment without the variables that would change
// what procsh talks to, plus extra.
func cliEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PROCSH_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// cliRun runs procsh and returns its output and exit status.
func cliRun(t testing.TB, c cliCmd) cliResult {
	t.Helper()
	if c.timeout == 0 {
		c.timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, cliBinary(t), c.args...)
	cmd.Env = cliEnv(c.env...)
	cmd.Dir = c.dir
	cmd.Stdin = strings.NewReader(c.stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := cliResult{stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start)}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("procsh %q did not finish within %v\nstdout: %s\nstderr: %s", c.args, c.timeout, res.stdout, res.stderr)
	case errors.As(err, &exitErr):
		res.code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("procsh %q: %v", c.args, err)
	}
	return res
}

// cliWriteFile writes a file under dir and returns its path.
func cliWriteFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// cliServer is a `procsh serve` process started by a test.
type cliServer struct {
	url   string
	token string
	cmd   *exec.Cmd
	mark  string

	stopOnce sync.Once
	stopCode int
}

// stop ends the server gracefully (SIGTERM), checks that it exits in time
// and that every process it started is gone, and returns its exit status.
func (s *cliServer) stop(t testing.TB) int {
	t.Helper()
	s.stopOnce.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- s.cmd.Wait() }()
		select {
		case err := <-done:
			var exitErr *exec.ExitError
			if errors.As(err, &exitErr) {
				s.stopCode = exitErr.ExitCode()
			}
		case <-time.After(15 * time.Second):
			_ = s.cmd.Process.Kill()
			<-done
			t.Errorf("procsh serve did not stop within 15s of SIGTERM")
		}
		cliAssertNoLeftovers(t, s.mark, -1)
	})
	return s.stopCode
}

var cliServeLine = regexp.MustCompile(`serving on (http://\S+)`)

// cliStartServer starts `procsh serve` on a free loopback port with token
// and returns once it accepts requests. The server is stopped (SIGTERM,
// graceful) when the test ends.
func cliStartServer(t testing.TB, token string) *cliServer {
	t.Helper()
	return cliStartServerWith(t, token, []string{"--token", token}, nil)
}

// cliStartServerWith starts `procsh serve --listen 127.0.0.1:0` with extra
// arguments and environment; token is what clients must send.
func cliStartServerWith(t testing.TB, token string, args, env []string) *cliServer {
	t.Helper()
	mark := cliMarker(t)
	cmd := exec.Command(cliBinary(t), append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = cliEnv(append(env, "PROCSH_CLI_MARK="+mark)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &cliServer{token: token, cmd: cmd, mark: mark}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		close(lines)
	}()
	t.Cleanup(func() { s.stop(t) })
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("procsh serve exited before serving")
			}
			if m := cliServeLine.FindStringSubmatch(line); m != nil {
				s.url = m[1]
				return s
			}
		case <-timeout:
			t.Fatal("procsh serve did not report its address within 30s")
		}
	}
}

// cliStarted is a procsh process started in the background.
type cliStarted struct {
	*exec.Cmd
	stdout, stderr *cliBuffer
}

// cliBuffer is a bytes.Buffer safe for a writer and readers on other
// goroutines.
type cliBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *cliBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *cliBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// cliStart starts procsh with args and PROCSH_CLI_MARK=mark; the process is
// killed at the end of the test if it is still running.
func cliStart(t testing.TB, mark string, args ...string) *cliStarted {
	t.Helper()
	cmd := exec.Command(cliBinary(t), args...)
	cmd.Env = cliEnv("PROCSH_CLI_MARK=" + mark)
	c := &cliStarted{Cmd: cmd, stdout: &cliBuffer{}, stderr: &cliBuffer{}}
	cmd.Stdout, cmd.Stderr = c.stdout, c.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return c
}

// cliWait waits for a started procsh and returns its exit status and stderr.
func cliWait(t testing.TB, c *cliStarted, within time.Duration) (int, string) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case err := <-done:
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return exitErr.ExitCode(), c.stderr.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, c.stderr.String()
	case <-time.After(within):
		_ = c.Process.Kill()
		<-done
		t.Fatalf("procsh did not exit within %v; stderr: %s", within, c.stderr.String())
		return 0, ""
	}
}
