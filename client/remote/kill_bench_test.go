package remote_test

import (
	"context"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
)

// BenchmarkKillLatency: kill → wait returns, for a multi-step session
// command (`for …; do sleep; done`, killed during its first step), through
// the local backend and through the remote client, alternated in the same
// run. The floor is killing a plain `sleep` child with os/exec (Kill, then
// Wait). A kill of a session command costs the interrupt, the shell's
// state save and the tree sweep; the next command then starts a fresh
// shell, which is outside the measured span.
func BenchmarkKillLatency(b *testing.B) {
	loc, rem := benchPair(b)
	ctx := context.Background()
	for _, c := range []client.Client{loc, rem} {
		if err := c.CreateSession(ctx, client.SessionOptions{ID: "killbench"}); err != nil {
			b.Fatal(err)
		}
	}
	kill := func(c client.Client) time.Duration {
		r, err := c.ExecSession(ctx, "killbench", client.SessionExecRequest{
			Command: "echo go; for h in a b c; do sleep 30; done; echo STILL", Async: true})
		if err != nil {
			b.Fatal(err)
		}
		// Wait for the first step to be under way.
		for {
			l, err := c.GetCommandLogs(ctx, "killbench", r.CmdID)
			if err != nil {
				b.Fatal(err)
			}
			if l.Output != "" {
				break
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(5 * time.Millisecond)
		start := time.Now()
		if err := c.KillCommand(ctx, "killbench", r.CmdID, syscall.SIGTERM); err != nil {
			b.Fatal(err)
		}
		ci, err := c.WaitCommand(ctx, "killbench", r.CmdID)
		d := time.Since(start)
		if err != nil || *ci.ExitCode != 143 {
			b.Fatalf("killed command: %+v %v", ci, err)
		}
		return d
	}
	floor := func() time.Duration {
		cmd := exec.Command("sleep", "30")
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		start := time.Now()
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		return time.Since(start)
	}
	var ld, rd, fd []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fd = append(fd, floor())
		ld = append(ld, kill(loc))
		rd = append(rd, kill(rem))
	}
	b.ReportMetric(float64(median(ld).Microseconds())/1000, "local-kill-ms")
	b.ReportMetric(float64(median(rd).Microseconds())/1000, "remote-kill-ms")
	b.ReportMetric(float64(median(fd).Microseconds())/1000, "floor-plain-kill-ms")
	b.ReportMetric(float64(median(ld))/float64(median(fd)), "local/floor")
	b.ReportMetric(float64(median(rd))/float64(median(fd)), "remote/floor")
}
