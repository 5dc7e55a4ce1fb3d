//go:build linux

package local

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
)

// TestBusySessionsBig runs 5000 sessions, each busy with a command, and
// checks that the backend still serves: no OS thread per session (Go aborts
// a program at 10 000 threads), a synchronous command in a fresh session
// answers, and Close ends them all. It needs several GiB of memory and a
// minute, so it runs only with PROCSH_BIG=1 (PROCSH_BIG_N=n runs n sessions
// instead). Each busy session holds descriptors in this process, so
// RLIMIT_NOFILE must allow about seven per session (6.5 measured: the
// shell's control socket, pidfd and lifeline, the running command's three
// FIFOs, and every tenth session's exec with its pipes).
func TestBusySessionsBig(t *testing.T) {
	if os.Getenv("PROCSH_BIG") != "1" {
		t.Skip("set PROCSH_BIG=1 to run 5000 busy sessions")
	}
	n := 5000
	if v, err := strconv.Atoi(os.Getenv("PROCSH_BIG_N")); err == nil && v > 0 {
		n = v
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < uint64(7*n) {
		t.Fatalf("RLIMIT_NOFILE is %d: %d busy sessions need about %d descriptors (6.5 each, measured); raise it or set PROCSH_BIG_N", lim.Cur, n, 7*n)
	}
	be, err := New(WithKillGrace(500 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	startBusy(t, be, n, "big")
	t.Logf("%d busy sessions started in %v", n, time.Since(start).Round(time.Millisecond))
	fds, _ := os.ReadDir("/proc/self/fd")
	t.Logf("%d open descriptors (%.1f per session)", len(fds), float64(len(fds))/float64(n))
	if th := osThreads(t); th > 100 {
		t.Errorf("%d OS threads with %d busy sessions", th, n)
	} else {
		t.Logf("%d OS threads with %d busy sessions", th, n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := be.CreateSession(ctx, client.SessionOptions{ID: "probe"}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	r, err := be.ExecSession(ctx, "probe", client.SessionExecRequest{Command: "echo alive"})
	if err != nil || r.Output != "alive\n" {
		t.Fatalf("probe: %+v %v", r, err)
	}
	t.Logf("a synchronous command beside them: %v", time.Since(t0).Round(time.Microsecond))
	t0 = time.Now()
	if err := be.DeleteSession(ctx, fmt.Sprintf("big-%d", n/2)); err != nil {
		t.Fatal(err)
	}
	t.Logf("DELETE of a busy session beside them: %v", time.Since(t0).Round(time.Microsecond))
	t0 = time.Now()
	be.Close()
	t.Logf("Close: %v", time.Since(t0).Round(time.Millisecond))
}
