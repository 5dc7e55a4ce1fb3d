//go:build linux

package remote_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/remote"
)

var (
	serveBinOnce sync.Once
	serveBin     string
	serveBinErr  error
)

// TestMain removes the procsh binary procshBinary built (18 MB in the
// temporary directory per run otherwise).
func TestMain(m *testing.M) {
	code := m.Run()
	if serveBin != "" {
		os.RemoveAll(filepath.Dir(serveBin))
	}
	os.Exit(code)
}

// procshBinary builds cmd/procsh once per test binary.
func procshBinary(t *testing.T) string {
	t.Helper()
	serveBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "procsh-remote-test-")
		if err != nil {
			serveBinErr = err
			return
		}
		serveBin = filepath.Join(dir, "procsh")
		out, err := exec.Command("go", "build", "-o", serveBin, "../../cmd/procsh").CombinedOutput()
		if err != nil {
			serveBinErr = errors.New(string(out))
		}
	})
	if serveBinErr != nil {
		t.Fatalf("build procsh: %v", serveBinErr)
	}
	return serveBin
}

var serveLine = regexp.MustCompile(`serving on (http://\S+)`)

// startServe runs `procsh serve` on 127.0.0.1:0 as a child process and
// returns its URL. The process is resumed and killed when the test ends.
func startServe(t *testing.T) (string, *os.Process) {
	t.Helper()
	cmd := exec.Command(procshBinary(t), "serve", "--listen", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := serveLine.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	select {
	case u := <-urls:
		return u, cmd.Process
	case <-time.After(30 * time.Second):
		t.Fatal("procsh serve did not start")
	}
	return "", nil
}

// A stopped (SIGSTOP) server: a sync exec, a followed log and a PTY read in
// flight each fail with ErrUnavailable within about the liveness bound.
func TestLivenessHungServer(t *testing.T) {
	const live = time.Second
	u, proc := startServe(t)
	r, err := remote.New(u, remote.WithLiveness(live))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := r.CreateSession(ctx, client.SessionOptions{ID: "live"}); err != nil {
		t.Fatal(err)
	}
	cmd, err := r.ExecSession(ctx, "live", client.SessionExecRequest{Command: "sleep 300", Async: true})
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.StreamCommandLogs(ctx, "live", cmd.CmdID, client.LogOptions{Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pty, err := r.CreateConnectPTY(ctx, client.PTYOptions{ID: "livepty"}, client.PTYConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer pty.Close()

	type res struct {
		what string
		err  error
		took time.Duration
	}
	out := make(chan res, 3)
	if err := proc.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	go func() {
		_, err := r.Exec(ctx, client.ExecRequest{Command: "true"})
		out <- res{"exec", err, time.Since(start)}
	}()
	go func() {
		var err error
		for err == nil {
			_, err = st.Recv()
		}
		out <- res{"follow", err, time.Since(start)}
	}()
	go func() {
		buf := make([]byte, 4096)
		var err error
		for err == nil {
			_, err = pty.Read(buf)
		}
		out <- res{"pty", err, time.Since(start)}
	}()
	for range 3 {
		select {
		case x := <-out:
			t.Logf("%s: hung server reported after %v: %v", x.what, x.took.Round(time.Millisecond), x.err)
			if !errors.Is(x.err, client.ErrUnavailable) {
				t.Errorf("%s: want ErrUnavailable, got %v", x.what, x.err)
			}
			if x.took > 3*live {
				t.Errorf("%s: took %v, bound %v", x.what, x.took, live)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("a call stayed blocked on the hung server")
		}
	}
	_ = proc.Signal(syscall.SIGCONT)
	_ = r.Close()
}

// A busy server that answers probes keeps long calls alive well past the
// liveness bound: a sync exec of a long command and a quiet followed log.
func TestLivenessLongLegitimateWaits(t *testing.T) {
	const live = 600 * time.Millisecond
	u, _ := startServe(t)
	r, err := remote.New(u, remote.WithLiveness(live))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := r.Exec(ctx, client.ExecRequest{Command: "sleep 2; echo done"})
	if err != nil || string(res.Result) != "done\n" {
		t.Fatalf("long exec: %v %+v", err, res)
	}
	if err := r.CreateSession(ctx, client.SessionOptions{ID: "quiet"}); err != nil {
		t.Fatal(err)
	}
	cmd, err := r.ExecSession(ctx, "quiet", client.SessionExecRequest{Command: "sleep 2; echo late", Async: true})
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.StreamCommandLogs(ctx, "quiet", cmd.CmdID, client.LogOptions{Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var got []byte
	for {
		c, err := st.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("quiet follow: %v", err)
		}
		got = append(got, c.Data...)
	}
	if string(got) != "late\n" {
		t.Fatalf("quiet follow got %q", got)
	}
	if _, err := r.WaitCommand(ctx, "quiet", cmd.CmdID); err != nil {
		t.Fatal(err)
	}
}
