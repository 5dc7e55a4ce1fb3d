//go:build linux

package local

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// deleteLatency creates n busy sessions named prefix-i and returns the
// median time DeleteSession takes for them.
func deleteLatency(b *testing.B, be *Backend, n int, prefix string) time.Duration {
	startBusy(b, be, n, prefix)
	time.Sleep(100 * time.Millisecond)
	var ds []time.Duration
	for i := 0; i < n; i++ {
		start := time.Now()
		if err := be.DeleteSession(context.Background(), fmt.Sprintf("%s-%d", prefix, i)); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(start))
	}
	return medianDur(ds)
}

// BenchmarkBusySessions1000 runs 1000 busy sessions (each running a sleep,
// plus 100 execs in flight) and reports:
//   - OS threads with them, against the floor of the threads before
//     (target: flat, ratio ≈ 1; two threads per session before pidfd waits);
//   - DELETE latency (median of 20 busy sessions) with the 1000 alive,
//     against the same with none alive (target: flat);
//   - Close time with the 1000 (what `procsh serve` shutdown waits for;
//     target ≤ 2 s), against the floor of killing and reaping 1000 plain
//     sleep processes with os/exec in parallel.
func BenchmarkBusySessions1000(b *testing.B) {
	const n, probe = 1000, 20
	for i := 0; i < b.N; i++ {
		be, err := New(WithKillGrace(500 * time.Millisecond))
		if err != nil {
			b.Fatal(err)
		}
		threads0 := osThreads(b)
		del0 := deleteLatency(b, be, probe, "empty")
		fds0 := openDescriptors(b)
		startBusy(b, be, n, "busy")
		time.Sleep(500 * time.Millisecond)
		threads := osThreads(b)
		fdsPer := float64(openDescriptors(b)-fds0) / n
		del1000 := deleteLatency(b, be, probe, "full")
		start := time.Now()
		be.Close()
		closeTime := time.Since(start)

		cmds := make([]*exec.Cmd, n)
		for j := range cmds {
			cmds[j] = exec.Command("sleep", "600")
			if err := cmds[j].Start(); err != nil {
				b.Fatal(err)
			}
		}
		start = time.Now()
		var wg sync.WaitGroup
		for _, c := range cmds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = c.Process.Kill()
				_ = c.Wait()
			}()
		}
		wg.Wait()
		floorKill := time.Since(start)

		// A busy session's descriptors bound how many fit under
		// RLIMIT_NOFILE (the floor would be its command's three streams).
		b.ReportMetric(fdsPer, "fds-per-busy-session")
		b.ReportMetric(float64(threads), "threads-1000-busy")
		b.ReportMetric(float64(threads0), "floor-threads-idle")
		b.ReportMetric(float64(threads)/float64(threads0), "threads-ratio")
		b.ReportMetric(float64(del0.Microseconds())/1000, "delete-ms-at-0")
		b.ReportMetric(float64(del1000.Microseconds())/1000, "delete-ms-at-1000")
		b.ReportMetric(float64(del1000)/float64(del0), "delete-ratio")
		b.ReportMetric(closeTime.Seconds(), "close-s-1000-busy")
		b.ReportMetric(floorKill.Seconds(), "floor-kill-s-1000-plain")
		b.ReportMetric(closeTime.Seconds()/floorKill.Seconds(), "close-ratio")
	}
}

// openDescriptors counts this process's open descriptors.
func openDescriptors(tb testing.TB) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		tb.Fatal(err)
	}
	return len(ents)
}
