//go:build linux

package local

import (
	"context"
	"os/exec"
	"runtime"
	"testing"

	"github.com/procsh/procsh/client"
)

// BenchmarkStreamOrder measures how often Exec's combined result is out of
// write order for `echo out; echo err >&2` (two writes microseconds apart)
// while every core is kept busy by spinning processes: the misorder rate of
// split streams (two pipes, read in arrival order), against the floor of
// merge = true (one pipe), which must be 0. It reports both rates.
func BenchmarkStreamOrder(b *testing.B) {
	be, err := New()
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	// Load: one busy loop per core, ended with the benchmark.
	var hogs []*exec.Cmd
	for i := 0; i < runtime.NumCPU(); i++ {
		c := exec.Command("sh", "-c", "while :; do :; done")
		if err := c.Start(); err != nil {
			b.Fatal(err)
		}
		hogs = append(hogs, c)
	}
	defer func() {
		for _, c := range hogs {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	}()
	const cmd = "echo out; echo err >&2"
	const want = "out\nerr\n"
	ctx := context.Background()
	rate := func(merge bool, n int) float64 {
		bad := 0
		for i := 0; i < n; i++ {
			r, err := be.Exec(ctx, client.ExecRequest{Command: cmd, Merge: merge})
			if err != nil {
				b.Fatal(err)
			}
			if r.Result != want {
				bad++
			}
		}
		return float64(bad) / float64(n)
	}
	b.ResetTimer()
	var split, merged float64
	for i := 0; i < b.N; i++ {
		split = rate(false, 200)
		merged = rate(true, 200)
	}
	b.ReportMetric(split, "misorder-split")
	b.ReportMetric(merged, "misorder-merge-floor")
	if merged != 0 {
		b.Errorf("merge = true gave %.3f out of order; one pipe must keep write order", merged)
	}
}
