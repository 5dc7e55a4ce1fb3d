//go:build linux

package local

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
)

// medianDur returns the median of ds.
func medianDur(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// BenchmarkExecTrue compares Exec of `true` with the floor: os/exec of
// `sh -c true`, interleaved in the same run (target ratio ≤ 1.3). The
// toolbox rule picks bash on most machines, and bash alone starts markedly
// slower than dash, so a second floor runs the backend's own shell with -c:
// ratio-same-shell is the overhead procsh adds. The "sh" case configures
// WithShell("sh") to compare like with like.
func BenchmarkExecTrue(b *testing.B) {
	for _, shell := range []string{"", "sh"} {
		name := "toolbox-shell"
		if shell != "" {
			name = "shell=" + shell
		}
		b.Run(name, func(b *testing.B) {
			var opts []Option
			if shell != "" {
				opts = append(opts, WithShell(lookShell(shell)))
			}
			be, err := New(opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer be.Close()
			ctx := context.Background()
			var ours, floor, same []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if err := exec.Command("sh", "-c", "true").Run(); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				r, err := be.Exec(ctx, client.ExecRequest{Command: "true"})
				if err != nil || r.ExitCode != 0 {
					b.Fatal(r, err)
				}
				t2 := time.Now()
				if err := exec.Command(be.shell, "-c", "true").Run(); err != nil {
					b.Fatal(err)
				}
				t3 := time.Now()
				floor = append(floor, t1.Sub(t0))
				ours = append(ours, t2.Sub(t1))
				same = append(same, t3.Sub(t2))
			}
			mo, mf, ms := medianDur(ours), medianDur(floor), medianDur(same)
			b.ReportMetric(float64(mo.Microseconds()), "exec-median-us")
			b.ReportMetric(float64(mf.Microseconds()), "floor-sh-c-true-us")
			b.ReportMetric(float64(mo)/float64(mf), "ratio")
			b.ReportMetric(float64(mo)/float64(ms), "ratio-same-shell")
		})
	}
}

// BenchmarkSessionTrue measures the round trip of a sync session command
// `true` (target: median ≤ 2 ms). The floor is the bare cost of asking a
// shell that reads commands from a pipe to run `true` and answer on
// another pipe, with no FIFOs, files or bookkeeping.
func BenchmarkSessionTrue(b *testing.B) {
	be, err := New()
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	ctx := context.Background()
	if err := be.CreateSession(ctx, client.SessionOptions{ID: "bench"}); err != nil {
		b.Fatal(err)
	}
	sh := exec.Command(be.sessShell)
	in, _ := sh.StdinPipe()
	outp, _ := sh.StdoutPipe()
	if err := sh.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { in.Close(); _ = sh.Wait() }()
	rd := bufio.NewReader(outp)
	var ours, floor []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := io.WriteString(in, "true; echo $?\n"); err != nil {
			b.Fatal(err)
		}
		if _, err := rd.ReadString('\n'); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		r, err := be.ExecSession(ctx, "bench", client.SessionExecRequest{Command: "true"})
		if err != nil || *r.ExitCode != 0 {
			b.Fatal(r, err)
		}
		t2 := time.Now()
		floor = append(floor, t1.Sub(t0))
		ours = append(ours, t2.Sub(t1))
	}
	mo, mf := medianDur(ours), medianDur(floor)
	b.ReportMetric(float64(mo.Microseconds())/1000, "session-median-ms")
	b.ReportMetric(float64(mf.Microseconds())/1000, "floor-bare-shell-median-ms")
	b.ReportMetric(float64(mo)/float64(mf), "ratio")
}

// BenchmarkStream100MB streams 100 MB of stdout from a session command to
// a StreamCommandLogs follower, against the floor of reading the same
// bytes from a plain os/exec pipe (target ≥ 50% of the floor's
// throughput).
func BenchmarkStream100MB(b *testing.B) {
	const size = 100_000_000
	be, err := New()
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	ctx := context.Background()
	buf := make([]byte, 64*1024)
	var ours, floor []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		cmd := exec.Command("head", "-c", strconv.Itoa(size), "/dev/zero")
		p, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			k, err := p.Read(buf)
			n += k
			if err != nil {
				break
			}
		}
		_ = cmd.Wait()
		t1 := time.Now()
		if n != size {
			b.Fatalf("floor read %d bytes", n)
		}
		id := fmt.Sprintf("stream-%d", i)
		if err := be.CreateSession(ctx, client.SessionOptions{ID: id}); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		r, err := be.ExecSession(ctx, id, client.SessionExecRequest{Command: "head -c " + strconv.Itoa(size) + " /dev/zero", Async: true})
		if err != nil {
			b.Fatal(err)
		}
		s, err := be.StreamCommandLogs(ctx, id, r.CmdID, client.LogOptions{Follow: true})
		if err != nil {
			b.Fatal(err)
		}
		n = 0
		for {
			ch, err := s.Recv()
			if err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
			n += len(ch.Data)
		}
		t3 := time.Now()
		if n != size {
			b.Fatalf("stream delivered %d bytes", n)
		}
		_ = be.DeleteSession(ctx, id)
		floor = append(floor, t1.Sub(t0))
		ours = append(ours, t3.Sub(t2))
	}
	mo, mf := medianDur(ours), medianDur(floor)
	b.ReportMetric(size/mo.Seconds()/1e6, "stream-MB/s")
	b.ReportMetric(size/mf.Seconds()/1e6, "floor-pipe-MB/s")
	b.ReportMetric(mf.Seconds()/mo.Seconds(), "ratio")
}

// rssKB returns VmRSS of a process in KiB.
func rssKB(pid string) int {
	data, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			if len(f) >= 2 {
				v, _ := strconv.Atoi(f[1])
				return v
			}
		}
	}
	return 0
}

// BenchmarkIdleSessions200 creates 200 idle sessions and reports the
// memory each costs: the session shell's RSS, our own process's RSS growth
// per session (the cost beyond the shell), and as the floor the RSS of a
// bare idle shell started with os/exec.
func BenchmarkIdleSessions200(b *testing.B) {
	const n = 200
	for i := 0; i < b.N; i++ {
		be, err := New()
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		bare := exec.Command(be.sessShell)
		in, _ := bare.StdinPipe()
		if err := bare.Start(); err != nil {
			b.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		floorKB := rssKB(strconv.Itoa(bare.Process.Pid))
		in.Close()
		_ = bare.Wait()

		debug.FreeOSMemory()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		selfBefore := rssKB("self")
		for j := 0; j < n; j++ {
			id := fmt.Sprintf("idle-%d", j)
			if err := be.CreateSession(ctx, client.SessionOptions{ID: id}); err != nil {
				b.Fatal(err)
			}
			// One command each, so the shell has run our wrapper once.
			if _, err := be.ExecSession(ctx, id, client.SessionExecRequest{Command: "true"}); err != nil {
				b.Fatal(err)
			}
		}
		time.Sleep(50 * time.Millisecond)
		debug.FreeOSMemory()
		runtime.ReadMemStats(&m1)
		selfAfter := rssKB("self")
		shellKB := 0
		be.mu.Lock()
		for _, s := range be.sessions {
			s.mu.Lock()
			if s.sh != nil {
				shellKB += rssKB(strconv.Itoa(s.sh.pid))
			}
			s.mu.Unlock()
		}
		be.mu.Unlock()
		b.ReportMetric(float64(shellKB)/n, "shell-KiB/session")
		b.ReportMetric(float64(selfAfter-selfBefore)/n, "go-side-KiB/session")
		b.ReportMetric(float64(int64(m1.HeapInuse)-int64(m0.HeapInuse))/1024/n, "go-heap-KiB/session")
		b.ReportMetric(float64(floorKB), "floor-bare-shell-KiB")
		b.ReportMetric((float64(shellKB)/n+float64(selfAfter-selfBefore)/n)/float64(floorKB), "ratio")
		be.Close()
	}
}
