package tests

import (
	"os/exec"
	"slices"
	"testing"
	"time"
)

// cliMedian returns the median of ds.
func cliMedian(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func cliTime(b *testing.B, name string, args ...string) time.Duration {
	b.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = cliEnv()
	start := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(start)
	if err != nil || string(out) != "1\n" {
		b.Fatalf("%s %q: %v, output %q", name, args, err, out)
	}
	return d
}

// BenchmarkCLIColdStart compares the wall time of `procsh -e 'print(1)'`
// with `python3 -c 'print(1)'`, alternating the two in the same run. The
// target is a ratio of at most 1.
func BenchmarkCLIColdStart(b *testing.B) {
	bin := cliBinary(b)
	if _, err := exec.LookPath("python3"); err != nil {
		b.Fatal("python3 is needed for the floor of this benchmark")
	}
	// One warm-up each so the page cache holds both binaries.
	cliTime(b, bin, "-e", "print(1)")
	cliTime(b, "python3", "-c", "print(1)")
	var procsh, python []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		procsh = append(procsh, cliTime(b, bin, "-e", "print(1)"))
		python = append(python, cliTime(b, "python3", "-c", "print(1)"))
	}
	b.StopTimer()
	mp, mq := cliMedian(procsh), cliMedian(python)
	b.ReportMetric(float64(mp.Microseconds())/1000, "procsh-ms")
	b.ReportMetric(float64(mq.Microseconds())/1000, "python3-ms")
	b.ReportMetric(float64(mp)/float64(mq), "x-python3")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkCLIExec1000 runs a script doing 1000 process.exec("true") and
// compares its wall time with the Go-level floor measured in the same
// iteration: 1000 × os/exec of `sh -c true`. The local backend runs
// commands with bash (the toolbox rule picks it from /etc/shells), so 1000 ×
// `bash -c true` is reported too, to show how much of the gap is the shell.
func BenchmarkCLIExec1000(b *testing.B) {
	bin := cliBinary(b)
	const n = 1000
	script := `for i = 1, 1000 do local r = process.exec("true") if not r.ok then error("exec failed") end end print(1)`
	var procsh, floor, floorBash []time.Duration
	execN := func(shell string) time.Duration {
		start := time.Now()
		for j := 0; j < n; j++ {
			if err := exec.Command(shell, "-c", "true").Run(); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		procsh = append(procsh, cliTime(b, bin, "-e", script))
		floor = append(floor, execN("sh"))
		floorBash = append(floorBash, execN("bash"))
	}
	b.StopTimer()
	mp, mf := cliMedian(procsh), cliMedian(floor)
	b.ReportMetric(mp.Seconds(), "procsh-s")
	b.ReportMetric(mf.Seconds(), "floor-s")
	mb := cliMedian(floorBash)
	b.ReportMetric(mb.Seconds(), "floor-bash-s")
	b.ReportMetric(float64(mp)/float64(mb), "x-floor-bash")
	b.ReportMetric(float64(mp)/float64(mf), "x-floor")
	b.ReportMetric(float64(mp.Microseconds())/n, "procsh-us/exec")
	b.ReportMetric(0, "ns/op")
}
