//go:build linux

package local

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/proctable"
)

// osThreads returns the number of OS threads of this process.
func osThreads(t testing.TB) int {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	t.Fatal("no Threads line in /proc/self/status")
	return 0
}

// busySleep is the busy sessions' command argument, unique to this test
// process so that the process table can be checked for it.
var busySleep = fmt.Sprintf("600.%d", os.Getpid())

// startBusy creates n sessions, each running `sleep` asynchronously, and
// one exec in flight per ten sessions.
func startBusy(t testing.TB, be *Backend, n int, prefix string) {
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			id := fmt.Sprintf("%s-%d", prefix, i)
			if err := be.CreateSession(ctx, client.SessionOptions{ID: id}); err != nil {
				errs <- err
				return
			}
			if _, err := be.ExecSession(ctx, id, client.SessionExecRequest{Command: "sleep " + busySleep, Async: true}); err != nil {
				errs <- err
			}
			if i%10 == 0 {
				go func() { _, _ = be.Exec(ctx, client.ExecRequest{Command: "sleep " + busySleep}) }()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestNoThreadPerSession: busy sessions and running execs wait in Go's
// poller, so the number of OS threads does not grow with them (it grew by
// two per busy session when each shell's wait and each command's poll
// held a thread).
func TestNoThreadPerSession(t *testing.T) {
	be, err := New(WithKillGrace(200 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	before := osThreads(t)
	const n = 200
	startBusy(t, be, n, "busy")
	time.Sleep(200 * time.Millisecond) // every shell has reached its sleep
	after := osThreads(t)
	t.Logf("OS threads: %d before, %d with %d busy sessions and %d execs", before, after, n, n/10)
	if after-before > 20 {
		t.Errorf("OS threads grew from %d to %d with %d busy sessions", before, after, n)
	}
	start := time.Now()
	be.Close()
	t.Logf("Close with %d busy sessions and %d execs: %v", n, n/10, time.Since(start))
	// Close ended the in-flight execs as well as the sessions.
	if pids, _ := proctable.WithArg(busySleep); len(pids) > 0 {
		t.Errorf("after Close, %d busy sleeps still run: %v", len(pids), pids)
	}
}
