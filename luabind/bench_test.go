package luabind_test

import (
	"context"
	"errors"
	"io"
	"os/exec"
	"sync"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/luabind"
)

func benchHost(b *testing.B, opts ...luabind.Option) (*luabind.Host, client.Client) {
	b.Helper()
	backend, err := local.New()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = backend.Close() })
	h, err := luabind.New(backend, append([]luabind.Option{luabind.WithStdout(io.Discard), luabind.WithStderr(io.Discard)}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = h.Close() })
	return h, backend
}

func benchRun(b *testing.B, h *luabind.Host, src string) time.Duration {
	b.Helper()
	start := time.Now()
	if err := h.RunString(context.Background(), "bench.lua", src); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// BenchmarkBoundCall compares, per call from Lua, a built-in gopher-lua
// function (math.abs), a bound method that does not block (task:done) and
// the full blocking-call path (process.sleep(0): context checks, releasing
// and re-taking the GIL). Each loop is timed inside one script with a
// monotonic clock, the fastest of five rounds is kept, and the empty loop's
// time is subtracted. Metrics: ns per call of each and the ratios.
func BenchmarkBoundCall(b *testing.B) {
	start := time.Now()
	h, _ := benchHost(b, luabind.WithModule("clock", func(L *lua.LState) int {
		L.Push(L.NewFunction(func(L *lua.LState) int {
			L.Push(lua.LNumber(time.Since(start).Seconds()))
			return 1
		}))
		return 1
	}))
	const n = 200000
	var builtin, method, blocking float64
	for b.Loop() {
		err := h.RunString(context.Background(), "bench.lua", `
			local now = require("clock")
			local tk = process.spawn(function() end); tk:wait()
			local abs, sleep = math.abs, process.sleep
			local N = `+itoa(n)+`
			local function best(f)
				local min = math.huge
				for _ = 1, 5 do
					local t0 = now(); f(); local d = now() - t0
					if d < min then min = d end
				end
				return min
			end
			local empty = best(function() for i = 1, N do end end)
			local b = best(function() for i = 1, N do abs(1) end end) - empty
			local m = best(function() for i = 1, N do tk:done() end end) - empty
			local s = best(function() for i = 1, N do sleep(0) end end) - empty
			result = {b / N * 1e9, m / N * 1e9, s / N * 1e9}`)
		if err != nil {
			b.Fatal(err)
		}
		_ = h.Do(func(L *lua.LState) error {
			t := L.GetGlobal("result").(*lua.LTable)
			builtin += float64(t.RawGetInt(1).(lua.LNumber))
			method += float64(t.RawGetInt(2).(lua.LNumber))
			blocking += float64(t.RawGetInt(3).(lua.LNumber))
			return nil
		})
	}
	per := func(v float64) float64 { return v / float64(b.N) }
	b.ReportMetric(per(builtin), "ns/builtin")
	b.ReportMetric(per(method), "ns/method")
	b.ReportMetric(per(blocking), "ns/blocking")
	b.ReportMetric(method/builtin, "method/builtin")
	b.ReportMetric(blocking/builtin, "blocking/builtin")
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

// BenchmarkSleepTasks: 10,000 tasks each calling process.sleep(0.2); the
// metric x-floor is the total time over the 0.2 s floor (target ≤ 2).
func BenchmarkSleepTasks(b *testing.B) {
	h, _ := benchHost(b)
	var total time.Duration
	for b.Loop() {
		total += benchRun(b, h, `
			local tasks = {}
			for i = 1, 10000 do tasks[i] = process.spawn(function() process.sleep(0.2) end) end
			process.wait_all(tasks)`)
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/run")
	b.ReportMetric(total.Seconds()/float64(b.N)/0.2, "x-floor")
}

// BenchmarkSessionTasks: 100 tasks each running `sleep 0.5` in its own
// session, against one such command measured in the same iteration
// (target ≤ 3×).
func BenchmarkSessionTasks(b *testing.B) {
	h, _ := benchHost(b)
	var one, many time.Duration
	for b.Loop() {
		one += benchRun(b, h, `process.session():run("sleep 0.5")`)
		many += benchRun(b, h, `
			local tasks = {}
			for i = 1, 100 do
				tasks[i] = process.spawn(function() return process.session():run("sleep 0.5").exit_code end)
			end
			for i, c in ipairs(process.wait_all(tasks)) do assert(c == 0) end`)
	}
	b.ReportMetric(one.Seconds()/float64(b.N), "s/one")
	b.ReportMetric(many.Seconds()/float64(b.N), "s/100")
	b.ReportMetric(float64(many)/float64(one), "x-one")
}

// producer writes 100 MB of 100-byte lines (99 characters and a newline).
const producer = `yes 012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678 | head -c 100000000`

// BenchmarkCallbackThroughput: MB/s of a 100 MB stream delivered line by
// line to an on_stdout callback, against the Go-level StreamCommandLogs
// figure for the same command in the same iteration.
func BenchmarkCallbackThroughput(b *testing.B) {
	h, backend := benchHost(b)
	const mb = 100.0
	var goLevel, lua time.Duration
	ctx := context.Background()
	for b.Loop() {
		// Go level: start the command, stream its log, count bytes.
		if err := backend.CreateSession(ctx, client.SessionOptions{ID: "bench-go"}); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		res, err := backend.ExecSession(ctx, "bench-go", client.SessionExecRequest{Command: producer, Async: true})
		if err != nil {
			b.Fatal(err)
		}
		st, err := backend.StreamCommandLogs(ctx, "bench-go", res.CmdID, client.LogOptions{Follow: true})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			ch, err := st.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n += len(ch.Data)
		}
		st.Close()
		goLevel += time.Since(start)
		_ = backend.DeleteSession(ctx, "bench-go")
		if n != 100000000 {
			b.Fatalf("go level got %d bytes", n)
		}
		lua += benchRun(b, h, `
			local n = 0
			local c = process.session():start([[`+producer+`]], {on_stdout = function(line) n = n + #line + 1 end})
			c:wait()
			assert(n == 100000000, tostring(n))`)
	}
	goMBs := mb * float64(b.N) / goLevel.Seconds()
	luaMBs := mb * float64(b.N) / lua.Seconds()
	b.ReportMetric(goMBs, "MB/s-go")
	b.ReportMetric(luaMBs, "MB/s-callback")
	b.ReportMetric(luaMBs/goMBs, "callback/go")
}

// BenchmarkDataThroughput: MB/s of a 100 MB stream delivered chunk by
// chunk to an on_data callback, against two floors measured in the same
// iteration: the same producer read from a plain pipe (os/exec) and the
// Go-level StreamCommandLogs of the same command.
func BenchmarkDataThroughput(b *testing.B) {
	h, backend := benchHost(b)
	const mb = 100.0
	var pipe, goLevel, lua time.Duration
	ctx := context.Background()
	buf := make([]byte, 64<<10)
	for b.Loop() {
		start := time.Now()
		cmd := exec.Command("sh", "-c", producer)
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			k, err := out.Read(buf)
			n += k
			if err != nil {
				break
			}
		}
		_ = cmd.Wait()
		pipe += time.Since(start)
		if n != 100000000 {
			b.Fatalf("pipe got %d bytes", n)
		}
		if err := backend.CreateSession(ctx, client.SessionOptions{ID: "bench-go"}); err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		res, err := backend.ExecSession(ctx, "bench-go", client.SessionExecRequest{Command: producer, Async: true})
		if err != nil {
			b.Fatal(err)
		}
		st, err := backend.StreamCommandLogs(ctx, "bench-go", res.CmdID, client.LogOptions{Follow: true})
		if err != nil {
			b.Fatal(err)
		}
		n = 0
		for {
			ch, err := st.Recv()
			if err != nil {
				break
			}
			n += len(ch.Data)
		}
		st.Close()
		goLevel += time.Since(start)
		_ = backend.DeleteSession(ctx, "bench-go")
		lua += benchRun(b, h, `
			local n = 0
			local c = process.session():start([[`+producer+`]], {on_data = function(d) n = n + #d end})
			c:wait()
			assert(n == 100000000, tostring(n))`)
	}
	mbs := func(d time.Duration) float64 { return mb * float64(b.N) / d.Seconds() }
	b.ReportMetric(mbs(pipe), "MB/s-pipe")
	b.ReportMetric(mbs(goLevel), "MB/s-go")
	b.ReportMetric(mbs(lua), "MB/s-on_data")
	b.ReportMetric(mbs(lua)/mbs(pipe), "on_data/pipe")
	b.ReportMetric(mbs(lua)/mbs(goLevel), "on_data/go")
}

// BenchmarkSessionTasksGo is the Go-level floor of BenchmarkSessionTasks:
// the same work (create a session, run `sleep 0.5`, delete the session)
// from 100 goroutines on the backend directly, against one.
func BenchmarkSessionTasksGo(b *testing.B) {
	_, backend := benchHost(b)
	ctx := context.Background()
	work := func(id string) {
		if err := backend.CreateSession(ctx, client.SessionOptions{ID: id}); err != nil {
			b.Error(err)
			return
		}
		if _, err := backend.ExecSession(ctx, id, client.SessionExecRequest{Command: "sleep 0.5"}); err != nil {
			b.Error(err)
		}
		_ = backend.DeleteSession(ctx, id)
	}
	var one, many time.Duration
	for b.Loop() {
		start := time.Now()
		work("go-one")
		one += time.Since(start)
		start = time.Now()
		var wg sync.WaitGroup
		for i := range 100 {
			wg.Add(1)
			go func() { defer wg.Done(); work("go-" + itoa(i)) }()
		}
		wg.Wait()
		many += time.Since(start)
	}
	b.ReportMetric(one.Seconds()/float64(b.N), "s/one")
	b.ReportMetric(many.Seconds()/float64(b.N), "s/100")
	b.ReportMetric(float64(many)/float64(one), "x-one")
}

// BenchmarkExecOverhead: 1000 × process.exec("true") from Lua against 1000
// × Exec through the Go client in the same iteration, interleaved in rounds
// of 100 so that load changes on a shared machine hit both alike; the ratio
// is the binding's cost per command (target ≤ 1.1).
func BenchmarkExecOverhead(b *testing.B) {
	h, backend := benchHost(b)
	ctx := context.Background()
	var goLevel, lua time.Duration
	for b.Loop() {
		for range 10 {
			start := time.Now()
			for range 100 {
				if _, err := backend.Exec(ctx, client.ExecRequest{Command: "true"}); err != nil {
					b.Fatal(err)
				}
			}
			goLevel += time.Since(start)
			lua += benchRun(b, h, `for _ = 1, 100 do process.exec("true") end`)
		}
	}
	b.ReportMetric(float64(goLevel.Microseconds())/float64(b.N)/1000, "µs/exec-go")
	b.ReportMetric(float64(lua.Microseconds())/float64(b.N)/1000, "µs/exec-lua")
	b.ReportMetric(float64(lua)/float64(goLevel), "lua/go")
}
