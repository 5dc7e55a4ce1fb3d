//go:build linux

package local

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
)

func median(d []time.Duration) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

// BenchmarkPTYEcho: one byte written to cat in a raw PTY and read back,
// against the same round trip through a pair of plain pipes to cat, and
// through a bare pty whose master is used directly.
func BenchmarkPTYEcho(b *testing.B) {
	be, _ := New()
	defer be.Close()
	ctx := context.Background()
	if _, err := be.CreatePTY(ctx, client.PTYOptions{ID: "echo", LazyStart: true,
		Command: []string{"sh", "-c", "stty raw -echo; echo R; exec cat"}}); err != nil {
		b.Fatal(err)
	}
	h, err := be.ConnectPTY(ctx, "echo", client.PTYConnectOptions{})
	if err != nil {
		b.Fatal(err)
	}
	// Wait for the raw mode, reading byte by byte so nothing is buffered.
	for got := ""; !strings.HasSuffix(got, "R\n"); {
		p := make([]byte, 1)
		if _, err := h.Read(p); err != nil {
			b.Fatal(err)
		}
		got += string(p)
	}
	cmd := exec.Command("cat")
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { in.Close(); _ = cmd.Wait() }()
	// The kernel's share: cat on a bare pty, its master read and written
	// directly, without the backend's reader goroutine and fan-out.
	master, slave, err := openPTY(80, 24)
	if err != nil {
		b.Fatal(err)
	}
	bare := exec.Command("sh", "-c", "stty raw -echo; echo R; exec cat")
	bare.Stdin, bare.Stdout, bare.Stderr = slave, slave, slave
	bare.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := bare.Start(); err != nil {
		b.Fatal(err)
	}
	slave.Close()
	defer func() { _ = bare.Process.Kill(); _ = bare.Wait(); master.Close() }()
	for got := ""; !strings.HasSuffix(got, "R\n"); {
		p := make([]byte, 1)
		if _, err := master.Read(p); err != nil {
			b.Fatal(err)
		}
		got += string(p)
	}

	roundTrip := func(w io.Writer, r io.Reader) time.Duration {
		p := []byte{'x'}
		t0 := time.Now()
		if _, err := w.Write(p); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(r, p); err != nil || p[0] != 'x' {
			b.Fatalf("read back %q, %v", p, err)
		}
		return time.Since(t0)
	}
	ptyT := make([]time.Duration, 0, b.N)
	pipeT := make([]time.Duration, 0, b.N)
	bareT := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ptyT = append(ptyT, roundTrip(h, h))
		pipeT = append(pipeT, roundTrip(in, out))
		bareT = append(bareT, roundTrip(master, master))
	}
	b.StopTimer()
	mp, mq, mb := median(ptyT), median(pipeT), median(bareT)
	b.ReportMetric(float64(mp.Microseconds()), "pty-µs/median")
	b.ReportMetric(float64(mq.Microseconds()), "pipe-µs/median")
	b.ReportMetric(float64(mb.Microseconds()), "bare-pty-µs/median")
	b.ReportMetric(float64(mp)/float64(mq), "pty/pipe")
	b.ReportMetric(float64(mp)/float64(mb), "pty/bare")
}

// BenchmarkPTYThroughput: 100 MB written by a program inside a raw PTY to an
// attached handle, against the same program writing to a plain pipe, and to
// a bare pty read directly (the kernel's share of the cost).
func BenchmarkPTYThroughput(b *testing.B) {
	const size = 100_000_000
	be, _ := New()
	defer be.Close()
	ctx := context.Background()
	buf := make([]byte, 64<<10)
	var ptyD, rawD, pipeD time.Duration
	for i := 0; i < b.N; i++ {
		id := "tp" + strconv.Itoa(i)
		if _, err := be.CreatePTY(ctx, client.PTYOptions{ID: id, LazyStart: true,
			Command: []string{"sh", "-c", fmt.Sprintf("stty raw -echo; head -c %d /dev/zero", size)}}); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		h, err := be.ConnectPTY(ctx, id, client.PTYConnectOptions{})
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.CopyBuffer(io.Discard, h, buf)
		ptyD += time.Since(t0)
		if err != nil || n != size {
			b.Fatalf("pty: %d bytes, %v", n, err)
		}
		h.Close()

		// The kernel's own pty cost: the same program on a bare pty read in
		// a loop, without the backend's fan-out.
		t0 = time.Now()
		master, slave, err := openPTY(80, 24)
		if err != nil {
			b.Fatal(err)
		}
		raw := exec.Command("sh", "-c", fmt.Sprintf("stty raw -echo; head -c %d /dev/zero", size))
		raw.Stdin, raw.Stdout, raw.Stderr = slave, slave, slave
		raw.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
		if err := raw.Start(); err != nil {
			b.Fatal(err)
		}
		slave.Close()
		n, _ = io.CopyBuffer(io.Discard, master, buf) // ends with EIO
		_ = raw.Wait()
		master.Close()
		rawD += time.Since(t0)
		if n != size {
			b.Fatalf("bare pty: %d bytes", n)
		}

		t0 = time.Now()
		cmd := exec.Command("sh", "-c", fmt.Sprintf("head -c %d /dev/zero", size))
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		n, err = io.CopyBuffer(io.Discard, out, buf)
		_ = cmd.Wait()
		pipeD += time.Since(t0)
		if err != nil || n != size {
			b.Fatalf("pipe: %d bytes, %v", n, err)
		}
	}
	mb := float64(size) / 1e6 * float64(b.N)
	b.ReportMetric(mb/ptyD.Seconds(), "pty-MB/s")
	b.ReportMetric(mb/rawD.Seconds(), "bare-pty-MB/s")
	b.ReportMetric(rawD.Seconds()/ptyD.Seconds(), "pty/bare-speed")
	b.ReportMetric(mb/pipeD.Seconds(), "pipe-MB/s")
	b.ReportMetric(pipeD.Seconds()/ptyD.Seconds(), "pty/pipe-speed")
}

func vmRSS(pid string) int64 {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkPTYMemory: 100 PTYs running the default shell, each with a handle
// attached that has read the shell's answer to one command. Reports the backend's own memory per
// PTY (growth of this process's RSS and Go heap) next to the RSS of one
// shell process.
func BenchmarkPTYMemory(b *testing.B) {
	const n = 100
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		runtime.GC()
		debug.FreeOSMemory()
		var ms0 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		rss0 := vmRSS("self")
		b.StartTimer()

		be, _ := New()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		var pids []int
		re := regexp.MustCompile(`P=(\d+)\r\n`)
		for j := 0; j < n; j++ {
			id := "m" + strconv.Itoa(j)
			if _, err := be.CreatePTY(ctx, client.PTYOptions{ID: id, LazyStart: true}); err != nil {
				b.Fatal(err)
			}
			h, err := be.ConnectPTY(ctx, id, client.PTYConnectOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := h.Write([]byte("echo P=$$\n")); err != nil {
				b.Fatal(err)
			}
			// Read until the shell has answered, then leave the handle
			// attached and idle (no reader of ours holds memory).
			var got []byte
			p := make([]byte, 4096)
			for re.Find(got) == nil {
				k, err := h.Read(p)
				if err != nil {
					b.Fatalf("pty %d: %v after %q", j, err, got)
				}
				got = append(got, p[:k]...)
			}
			pid, _ := strconv.Atoi(string(re.FindSubmatch(got)[1]))
			pids = append(pids, pid)
		}
		b.StopTimer()
		runtime.GC()
		debug.FreeOSMemory()
		var ms1 runtime.MemStats
		runtime.ReadMemStats(&ms1)
		rss1 := vmRSS("self")
		var shellRSS int64
		for _, p := range pids {
			shellRSS += vmRSS(strconv.Itoa(p))
		}
		b.ReportMetric(float64(rss1-rss0)/n/1024, "backend-RSS-KiB/pty")
		b.ReportMetric(float64(int64(ms1.HeapInuse+ms1.StackInuse)-int64(ms0.HeapInuse+ms0.StackInuse))/n/1024, "backend-heap-KiB/pty")
		b.ReportMetric(float64(shellRSS)/n/1024, "shell-RSS-KiB/pty")
		b.ReportMetric(float64(rss1-rss0)/float64(shellRSS), "backend/shell")
		be.Close()
		cancel()
	}
}

// BenchmarkPTYCloseMany: Backend.Close with 100 running PTYs (each with a
// background job), against killing and reaping 100 plain child processes.
func BenchmarkPTYCloseMany(b *testing.B) {
	const n = 100
	var closeD, plainD time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		be, _ := New()
		ctx := context.Background()
		for j := 0; j < n; j++ {
			if _, err := be.CreatePTY(ctx, client.PTYOptions{ID: strconv.Itoa(j), Command: []string{"sh", "-c", "sleep 300 & sleep 300"}}); err != nil {
				b.Fatal(err)
			}
		}
		cmds := make([]*exec.Cmd, n)
		for j := range cmds {
			cmds[j] = exec.Command("sleep", "300")
			if err := cmds[j].Start(); err != nil {
				b.Fatal(err)
			}
		}
		time.Sleep(100 * time.Millisecond) // let the shells start their jobs
		b.StartTimer()
		t0 := time.Now()
		_ = be.Close()
		closeD += time.Since(t0)
		t0 = time.Now()
		for _, c := range cmds {
			_ = c.Process.Kill()
		}
		for _, c := range cmds {
			_ = c.Wait()
		}
		plainD += time.Since(t0)
	}
	b.ReportMetric(float64(closeD.Milliseconds())/float64(b.N), "close-ms/100pty")
	b.ReportMetric(float64(plainD.Milliseconds())/float64(b.N), "plain-kill-ms/100proc")
	b.ReportMetric(closeD.Seconds()/plainD.Seconds(), "close/plain")
}
