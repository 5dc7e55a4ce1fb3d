package luatest_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/luabind"
	"github.com/procsh/procsh/luatest"
)

// BenchmarkIsolation measures what per-test isolation costs: a file of 200
// trivial tests run by the runner (each test its own nested run, before
// and after /proc stray scans when watch is on) against the floor of the
// same 200 functions called in a loop in one script, in the same run.
// Metrics: µs per test of each and the ratios to the floor.
func BenchmarkIsolation(b *testing.B) {
	const n = 200
	dir := b.TempDir()
	var spec strings.Builder
	for i := range n {
		fmt.Fprintf(&spec, "it(%q, function() assert.equal(%d, %d) end)\n", fmt.Sprint("t", i), i, i)
	}
	file := filepath.Join(dir, "bench_spec.lua")
	if err := os.WriteFile(file, []byte(spec.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	floorSrc := fmt.Sprintf(`
		local fns = {}
		for i = 1, %d do fns[i] = function() assert(i == i) end end
		for _, f in ipairs(fns) do local ok = pcall(f) end`, n)
	backend, err := local.New()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = backend.Close() })
	newHost := func(stdout, stderr io.Writer, extra ...luabind.Option) (*luabind.Host, error) {
		return luabind.New(backend, append(extra, luabind.WithStdout(stdout), luabind.WithStderr(stderr))...)
	}
	watch, err := luatest.NewWatch("PROCSH_LUATEST_BENCH")
	if err != nil {
		b.Fatal(err)
	}
	var floor, isolated, watched time.Duration
	for b.Loop() {
		h, err := newHost(io.Discard, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := h.RunString(context.Background(), "floor", floorSrc); err != nil {
			b.Fatal(err)
		}
		floor += time.Since(start)
		_ = h.Close()
		for _, w := range []*luatest.Watch{nil, watch} {
			start = time.Now()
			sum, err := luatest.Run(context.Background(), []string{file}, luatest.Config{NewHost: newHost, Watch: w})
			if err != nil || sum.Passed != n {
				b.Fatalf("%v %+v", err, sum)
			}
			if w == nil {
				isolated += time.Since(start)
			} else {
				watched += time.Since(start)
			}
		}
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N) / n }
	b.ReportMetric(per(floor), "µs/plain-call")
	b.ReportMetric(per(isolated), "µs/isolated-test")
	b.ReportMetric(per(watched), "µs/watched-test")
	b.ReportMetric(float64(isolated)/float64(floor), "isolated/floor")
	b.ReportMetric(float64(watched)/float64(floor), "watched/floor")
}
