package clienttest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
)

func runExec(t *testing.T, nb NewFunc) {
	t.Run("Results", func(t *testing.T) { t.Parallel(); execResults(t, nb) })
	t.Run("InvalidArguments", func(t *testing.T) { t.Parallel(); execInvalid(t, nb) })
	t.Run("HugeTimeoutIsNone", func(t *testing.T) { t.Parallel(); execHugeTimeout(t, nb) })
	t.Run("StartFailure", func(t *testing.T) { t.Parallel(); execStartFailure(t, nb) })
	t.Run("TimeoutKillsTree", func(t *testing.T) { t.Parallel(); execTimeout(t, nb) })
	t.Run("TimeoutIgnoredTERM", func(t *testing.T) { t.Parallel(); execTimeoutIgnoredTERM(t, nb) })
	t.Run("BackgroundJobDoesNotHang", func(t *testing.T) { t.Parallel(); execBackground(t, nb) })
	t.Run("Detach", func(t *testing.T) { t.Parallel(); execDetach(t, nb) })
	t.Run("Merge", func(t *testing.T) { t.Parallel(); execMerge(t, nb) })
	t.Run("EndlessBackgroundWriter", func(t *testing.T) { t.Parallel(); execEndlessBackground(t, nb) })
	t.Run("ContextCancel", func(t *testing.T) { t.Parallel(); execCancel(t, nb) })
	t.Run("OnOutput", func(t *testing.T) { t.Parallel(); execOnOutput(t, nb) })
	t.Run("Concurrent", func(t *testing.T) { t.Parallel(); execConcurrent(t, nb) })
	t.Run("CodeRun", func(t *testing.T) { t.Parallel(); codeRun(t, nb) })
	t.Run("CodeRunStdin", func(t *testing.T) { t.Parallel(); codeRunStdin(t, nb) })
	t.Run("CodeRunErrors", func(t *testing.T) { t.Parallel(); codeRunErrors(t, nb) })
	t.Run("CodeRunTimeout", func(t *testing.T) { t.Parallel(); codeRunTimeout(t, nb) })
}

func execResults(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	big := strings.Repeat("x", 3<<20) // a 3 MiB script: beyond ARG_MAX and MAX_ARG_STRLEN
	tests := []struct {
		name       string
		req        client.ExecRequest
		exit       int
		result     string
		stdout     *string
		stderr     *string
		signal     string
		resultPart string
	}{
		{name: "exit 3", req: client.ExecRequest{Command: "exit 3"}, exit: 3, result: ""},
		// Two pipes: cross-stream order holds for writes further apart
		// than the reader's scheduling latency, which under -race on a
		// loaded 2-core machine can reach tens of milliseconds.
		{name: "combined in write order", req: client.ExecRequest{Command: "echo a; sleep 0.2; echo b >&2; sleep 0.2; echo c"},
			result: "a\nb\nc\n", stdout: ptr("a\nc\n"), stderr: ptr("b\n")},
		{name: "multi-line script", req: client.ExecRequest{Command: "x=1\nif [ $x = 1 ]; then\n  echo one\nfi\nfor i in 1 2; do echo $i; done\n"}, result: "one\n1\n2\n"},
		{name: "cwd", req: client.ExecRequest{Command: "pwd", Cwd: "/tmp"}, result: "/tmp\n"},
		{name: "env", req: client.ExecRequest{Command: `echo "$FOO|$_x9"`, Env: map[string]string{"FOO": "bar baz", "_x9": "ok"}}, result: "bar baz|ok\n"},
		{name: "binary output", req: client.ExecRequest{Command: `printf 'a\000b\377\376\n'; sleep 0.05; printf '\000' >&2`},
			result: "a\x00b\xff\xfe\n\x00", stdout: ptr("a\x00b\xff\xfe\n"), stderr: ptr("\x00")},
		{name: "no newline added", req: client.ExecRequest{Command: "printf nonl"}, result: "nonl"},
		{name: "larger than ARG_MAX", req: client.ExecRequest{Command: "x='" + big + "'\necho ${#x}"}, result: fmt.Sprintf("%d\n", len(big))},
		{name: "killed by signal", req: client.ExecRequest{Command: "echo pre; kill -9 $$"}, exit: 137, result: "pre\n", signal: "KILL"},
		{name: "read gets EOF, not the script", req: client.ExecRequest{Command: "read x\necho got:$x\necho after"}, exit: 0, result: "got:\nafter\n"},
		{name: "large output", req: client.ExecRequest{Command: "seq 1 200000"}, result: seq(200000)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := c.Exec(ctxFor(t, 30*time.Second), tc.req)
			if err != nil {
				t.Fatalf("Exec: %v", err)
			}
			if r.ExitCode != tc.exit {
				t.Errorf("exit code %d, want %d (result %s)", r.ExitCode, tc.exit, q(r.Result))
			}
			if r.Result != tc.result {
				t.Errorf("result %s, want %s", q(r.Result), q(tc.result))
			}
			if r.Artifacts.Stdout != r.Result {
				t.Errorf("artifacts.stdout %s differs from result %s", q(r.Artifacts.Stdout), q(r.Result))
			}
			if r.TimedOut {
				t.Errorf("TimedOut set without a timeout")
			}
			if r.HasStreams {
				if tc.stdout != nil && r.Stdout != *tc.stdout {
					t.Errorf("stdout %s, want %s", q(r.Stdout), q(*tc.stdout))
				}
				if tc.stderr != nil && r.Stderr != *tc.stderr {
					t.Errorf("stderr %s, want %s", q(r.Stderr), q(*tc.stderr))
				}
				if len(r.Stdout)+len(r.Stderr) != len(r.Result) {
					t.Errorf("stdout (%d) + stderr (%d) bytes != result (%d)", len(r.Stdout), len(r.Stderr), len(r.Result))
				}
			}
			if tc.signal != "" && r.Signal != "" && r.Signal != tc.signal {
				t.Errorf("signal %q, want %q", r.Signal, tc.signal)
			}
		})
	}
}

// execHugeTimeout: a timeout longer than any run (Lua's math.huge becomes
// the longest Duration) is no timeout on every backend, not an error about
// what the wire can carry.
func execHugeTimeout(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	r, err := c.Exec(ctxFor(t, 30*time.Second), client.ExecRequest{Command: "echo ok", Timeout: time.Duration(math.MaxInt64)})
	if err != nil || r.Result != "ok\n" || r.TimedOut {
		t.Fatalf("Exec with the longest timeout: %+v, %v", r, err)
	}
}

func execInvalid(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	ctx := ctxFor(t, 30*time.Second)
	for _, req := range []client.ExecRequest{
		{Command: ""},
		{Command: " \t\n "},
		{Command: "echo", Env: map[string]string{"1BAD": "x"}},
		{Command: "echo", Env: map[string]string{"A-B": "x"}},
		{Command: "echo", Env: map[string]string{"": "x"}},
		{Command: "echo", Timeout: -time.Second},
		{Command: "echo a\x00b"},
	} {
		_, err := c.Exec(ctx, req)
		wantKind(t, err, client.ErrInvalidArgument, fmt.Sprintf("Exec(%q, env %v, timeout %v)", req.Command, req.Env, req.Timeout))
	}
	_, err := c.Exec(ctx, client.ExecRequest{Command: "echo", Env: map[string]string{"1BAD": "x"}})
	if err != nil && !strings.Contains(err.Error(), "1BAD") {
		t.Errorf("error %q does not name the bad key", err)
	}
}

// execStartFailure: a missing working directory is a bad argument, as for
// sessions and PTYs, not a result.
func execStartFailure(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	for _, dir := range []string{"/nonexistent/procsh/dir", "/etc/passwd"} {
		r, err := c.Exec(ctxFor(t, 30*time.Second), client.ExecRequest{Command: "echo hi", Cwd: dir})
		wantKind(t, err, client.ErrInvalidArgument, "Exec with cwd "+dir)
		if r != nil {
			t.Errorf("Exec with cwd %s: got a result %+v as well", dir, r)
		}
	}
}

func execTimeout(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	m1, m2, m3 := marker(30), marker(30), marker(30)
	start := time.Now()
	// One child in the group, one in the foreground, and one daemon that
	// left the group with setsid: none may survive.
	r, err := c.Exec(ctxFor(t, 30*time.Second), client.ExecRequest{
		Command: fmt.Sprintf("echo before; sleep %s & setsid sleep %s & sleep %s", m1, m2, m3),
		Timeout: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("Exec: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("timed-out Exec took %v", d)
	}
	if !r.TimedOut {
		t.Errorf("TimedOut not set: %+v", r)
	}
	if r.Result != "before\n" {
		t.Errorf("partial output %s, want %q", q(r.Result), "before\n")
	}
	if r.ExitCode == 0 {
		t.Errorf("exit code 0 after a timeout")
	}
	noProcs(t, m1)
	noProcs(t, m2)
	noProcs(t, m3)
}

func execTimeoutIgnoredTERM(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	m := marker(30)
	r, err := c.Exec(ctxFor(t, 30*time.Second), client.ExecRequest{
		Command: fmt.Sprintf(`trap '' TERM; sh -c 'trap "" TERM; exec sleep %s' & wait`, m),
		Timeout: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("Exec: %v", err)
	}
	if !r.TimedOut {
		t.Errorf("TimedOut not set")
	}
	if r.Signal != "" && r.Signal != "KILL" {
		t.Errorf("signal %q, want KILL (TERM was ignored)", r.Signal)
	}
	noProcs(t, m)
}

func execBackground(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	m1, m2, m3 := marker(30), marker(30), marker(30)
	t.Cleanup(func() { killProcs(m1); killProcs(m2); killProcs(m3) })
	start := time.Now()
	// A job holding stdout, one with its output elsewhere, and a daemon
	// that left the group: Exec returns at once and ends all three.
	r, err := c.Exec(ctxFor(t, 30*time.Second), client.ExecRequest{Command: "sleep " + m1 + " & sleep " + m2 + " >/dev/null 2>&1 & setsid sleep " + m3 + " >/dev/null 2>&1 & echo hi"})
	if err != nil {
		t.Fatalf("Exec: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Exec waited %v for a background job holding stdout", d)
	}
	if r.Result != "hi\n" || r.ExitCode != 0 {
		t.Errorf("got %d %s, want 0 \"hi\\n\"", r.ExitCode, q(r.Result))
	}
	for _, m := range []string{m1, m2, m3} {
		noProcs(t, m)
	}
}

// execDetach: with Detach, background jobs outlive the Exec.
func execDetach(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	m := marker(30)
	t.Cleanup(func() { killProcs(m) })
	r, err := c.Exec(ctxFor(t, 30*time.Second), client.ExecRequest{Command: "sleep " + m + " >/dev/null 2>&1 & echo hi", Detach: true})
	if err != nil || r.ExitCode != 0 {
		t.Fatalf("Exec: %+v %v", r, err)
	}
	// The job may still be a forked shell about to exec sleep.
	waitFor(t, 5*time.Second, "the detached job to run on", func() bool { return len(procsWith(m)) == 1 })
}

// execMerge: Merge gives one stream in exact write order, even when the
// writes alternate between stdout and stderr faster than any reader.
func execMerge(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	const n = 40
	for i := 0; i < n; i++ {
		r, err := c.Exec(ctxFor(t, 30*time.Second), client.ExecRequest{Command: "echo hi; echo err >&2; echo again", Merge: true})
		if err != nil {
			t.Fatal(err)
		}
		if r.Result != "hi\nerr\nagain\n" {
			t.Fatalf("try %d: merged result %s, want exact write order", i, q(r.Result))
		}
		if r.HasStreams && (r.Stdout != r.Result || r.Stderr != "") {
			t.Fatalf("try %d: merged streams stdout %s stderr %s", i, q(r.Stdout), q(r.Stderr))
		}
	}
}

// execEndlessBackground: a background job that never stops writing must
// not keep Exec from returning once the shell has exited.
func execEndlessBackground(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	m := marker(0)
	t.Cleanup(func() { killProcs(m) })
	done := make(chan struct{})
	var r *client.ExecResult
	var err error
	go func() {
		defer close(done)
		r, err = c.Exec(ctxFor(t, 30*time.Second), client.ExecRequest{
			// A line a millisecond: a writer at full speed would fill the
			// result's MaxOutput before the last line.
			Command: "yes " + m + " | while read -r l; do printf '%s\\n' \"$l\"; sleep 0.001; done & sleep 0.1; echo hi"})
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		killProcs(m)
		t.Fatal("Exec did not return while a background job kept writing")
	}
	if err != nil || r.ExitCode != 0 || !strings.Contains(r.Result, "hi\n") {
		t.Errorf("got %v exit %d, result has hi: %v", err, r.ExitCode, strings.Contains(r.Result, "hi\n"))
	}
}

func execCancel(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	m := marker(30)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Exec(ctx, client.ExecRequest{Command: "sleep " + m + " & sleep " + m})
	if err == nil {
		t.Fatalf("Exec with an expired context returned no error")
	}
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, client.ErrTimeout) {
		t.Errorf("error %v is neither context.DeadlineExceeded nor ErrTimeout", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("cancelled Exec took %v", d)
	}
	noProcs(t, m)
}

func execOnOutput(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	var mu sync.Mutex
	var got []byte
	var next int64
	r, err := c.Exec(ctxFor(t, 30*time.Second), client.ExecRequest{
		Command: "for i in $(seq 1 500); do echo out$i; echo err$i >&2; done",
		OnOutput: func(ch client.Chunk) {
			mu.Lock()
			defer mu.Unlock()
			if ch.Offset != next {
				t.Errorf("chunk offset %d, want %d", ch.Offset, next)
			}
			next = ch.Offset + int64(len(ch.Data))
			got = append(got, ch.Data...)
		},
	})
	if err != nil {
		t.Fatalf("Exec: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if string(got) != r.Result {
		t.Errorf("OnOutput delivered %d bytes, result has %d", len(got), len(r.Result))
	}
	if len(r.Result) != len(seqWith("out", 500))+len(seqWith("err", 500)) {
		t.Errorf("result has %d bytes", len(r.Result))
	}
}

func execConcurrent(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := c.Exec(context.Background(), client.ExecRequest{Command: fmt.Sprintf("echo %d", i)})
			if err != nil || r.Result != fmt.Sprintf("%d\n", i) {
				t.Errorf("Exec %d: %v %+v", i, err, r)
			}
		}()
	}
	wg.Wait()
}

func codeRun(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	chart := `dtn_artifact_k39fd2:{"type":"chart","value":{"type":"line","title":"t","elements":[{"label":"a","points":[[1,2]]}]}}`
	tests := []struct {
		name   string
		req    client.CodeRunRequest
		exit   int
		result string
		charts int
	}{
		{name: "python print", req: client.CodeRunRequest{Code: "print(1)", Language: client.Python}, result: "1\n"},
		{name: "python default language", req: client.CodeRunRequest{Code: "print('d')"}, result: "d\n"},
		{name: "python argv not re-split", req: client.CodeRunRequest{Code: "import sys, json; print(json.dumps(sys.argv))", Argv: []string{"x y", "--z", "$HOME", "'q'"}},
			result: `["-", "x y", "--z", "$HOME", "'q'"]` + "\n"},
		{name: "python env", req: client.CodeRunRequest{Code: "import os; print(os.environ['FOO'])", Env: map[string]string{"FOO": "bar baz"}}, result: "bar baz\n"},
		{name: "python exit", req: client.CodeRunRequest{Code: "import sys; sys.exit(2)"}, exit: 2},
		{name: "python stdin is EOF", req: client.CodeRunRequest{Code: "import sys; print(repr(sys.stdin.read()))"}, result: "''\n"},
		{name: "python binary", req: client.CodeRunRequest{Code: "import sys; sys.stdout.buffer.write(b'\\x00\\xff')"}, result: "\x00\xff"},
		{name: "javascript argv", req: client.CodeRunRequest{Code: "console.log(JSON.stringify(process.argv.slice(1)))", Language: client.JavaScript, Argv: []string{"a b", "c"}},
			result: `["a b","c"]` + "\n"},
		{name: "javascript exit", req: client.CodeRunRequest{Code: "process.exit(4)", Language: client.JavaScript}, exit: 4},
		{name: "chart artifact", req: client.CodeRunRequest{Code: "print('before')\nprint('" + chart + "')\nprint('after')"},
			result: "before\nafter\n", charts: 1},
		{name: "python merge keeps write order", req: client.CodeRunRequest{Code: "import sys\nfor i in range(20):\n    print('o%d' % i, flush=True)\n    print('e%d' % i, file=sys.stderr, flush=True)", Merge: true},
			result: mergedLines(20)},
		{name: "bad artifact dropped", req: client.CodeRunRequest{Code: "print('dtn_artifact_k39fd2:{nope')\nprint('x')"}, result: "x\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := c.CodeRun(ctxFor(t, 30*time.Second), tc.req)
			if err != nil {
				t.Fatalf("CodeRun: %v", err)
			}
			if r.ExitCode != tc.exit || r.Result != tc.result {
				t.Errorf("got exit %d result %s, want %d %s", r.ExitCode, q(r.Result), tc.exit, q(tc.result))
			}
			if r.Artifacts.Stdout != r.Result {
				t.Errorf("artifacts.stdout %s != result %s", q(r.Artifacts.Stdout), q(r.Result))
			}
			if len(r.Artifacts.Charts) != tc.charts {
				t.Fatalf("%d charts, want %d", len(r.Artifacts.Charts), tc.charts)
			}
			if tc.charts > 0 {
				ch := r.Artifacts.Charts[0]
				b, _ := json.Marshal(ch.Elements)
				if ch.Type != "line" || ch.Title != "t" || string(b) != `[{"label":"a","points":[[1,2]]}]` {
					t.Errorf("chart %+v", ch)
				}
			}
		})
	}
	t.Run("typescript", func(t *testing.T) {
		t.Parallel()
		r, err := c.CodeRun(ctxFor(t, 60*time.Second), client.CodeRunRequest{Code: "const n: number = 1; console.log(n, process.argv.slice(1))", Language: client.TypeScript, Argv: []string{"a"}})
		if err != nil {
			wantKind(t, err, client.ErrUnsupported, "typescript without a runner")
			if !strings.Contains(strings.ToLower(err.Error()), "typescript") {
				t.Errorf("error %q does not say what is missing", err)
			}
			return
		}
		if r.ExitCode != 0 || r.Result != "1 [ 'a' ]\n" {
			t.Errorf("got %d %s", r.ExitCode, q(r.Result))
		}
	})
}

// codeRunStdin checks CodeRunRequest.Stdin: every byte arrives, then EOF,
// and the program otherwise runs as it does without input (argv[0], the
// names in __main__, tracebacks).
func codeRunStdin(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	big := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB: more than a pipe holds
	tests := []struct {
		name     string
		req      client.CodeRunRequest
		exit     int
		result   string
		contains []string // instead of result
	}{
		{name: "python bytes then EOF", req: client.CodeRunRequest{Code: "import sys; d = sys.stdin.buffer.read(); print(repr(d)); print(repr(sys.stdin.buffer.read()))",
			Stdin: "a\x00b\n'$(x)\xff"}, result: "b\"a\\x00b\\n'$(x)\\xff\"\nb''\n"},
		{name: "python input()", req: client.CodeRunRequest{Code: "print(input() + '!')\ntry:\n    input()\nexcept EOFError:\n    print('eof')", Stdin: "hi\n"},
			result: "hi!\neof\n"},
		{name: "python runs as from stdin", req: client.CodeRunRequest{
			Code:  "import sys\nprint(sys.argv, __name__, sorted(k for k in globals() if not k.startswith('__') or k in ('__c', '__f')))",
			Argv:  []string{"x y"},
			Stdin: "z"}, result: "['-', 'x y'] __main__ ['sys']\n"},
		{name: "python traceback names stdin", req: client.CodeRunRequest{Code: "import sys\nraise ValueError(sys.stdin.read())", Stdin: "boom"},
			exit: 1, contains: []string{`File "<stdin>", line 2, in <module>`, "ValueError: boom\n"}},
		{name: "python large", req: client.CodeRunRequest{Code: "import sys; print(len(sys.stdin.buffer.read()))", Stdin: big}, result: "1048576\n"},
		{name: "javascript", req: client.CodeRunRequest{Language: client.JavaScript, Argv: []string{"a"},
			Code:  "let d = ''; process.stdin.on('data', c => d += c); process.stdin.on('end', () => console.log(JSON.stringify([d, process.argv.slice(1)])))",
			Stdin: "x\ny"}, result: `["x\ny",["a"]]` + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := c.CodeRun(ctxFor(t, 30*time.Second), tc.req)
			if err != nil {
				t.Fatalf("CodeRun: %v", err)
			}
			if tc.contains != nil {
				for _, want := range tc.contains {
					if r.ExitCode != tc.exit || !strings.Contains(r.Result, want) {
						t.Errorf("got exit %d result %s, want %d and %s in it", r.ExitCode, q(r.Result), tc.exit, q(want))
					}
				}
				return
			}
			if r.ExitCode != tc.exit || r.Result != tc.result {
				t.Errorf("got exit %d result %s, want %d %s", r.ExitCode, q(r.Result), tc.exit, q(tc.result))
			}
		})
	}
	t.Run("typescript", func(t *testing.T) {
		t.Parallel()
		r, err := c.CodeRun(ctxFor(t, 60*time.Second), client.CodeRunRequest{Language: client.TypeScript, Stdin: "ts-in",
			Code: "import * as fs from 'fs'; const s: string = fs.readFileSync(0, 'utf8'); console.log(s + '!')"})
		if err != nil {
			wantKind(t, err, client.ErrUnsupported, "typescript without a runner")
			return
		}
		if r.ExitCode != 0 || r.Result != "ts-in!\n" {
			t.Errorf("got %d %s", r.ExitCode, q(r.Result))
		}
	})
}

func codeRunErrors(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	ctx := ctxFor(t, 30*time.Second)
	_, err := c.CodeRun(ctx, client.CodeRunRequest{Code: "puts 1", Language: "ruby"})
	wantKind(t, err, client.ErrInvalidArgument, "unknown language")
	if err != nil && !strings.Contains(err.Error(), "ruby") {
		t.Errorf("error %q does not name the language", err)
	}
	_, err = c.CodeRun(ctx, client.CodeRunRequest{Code: "print(1)", Env: map[string]string{"A-B": "1"}})
	wantKind(t, err, client.ErrInvalidArgument, "bad env key")
}

func codeRunTimeout(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	m := marker(30)
	r, err := c.CodeRun(ctxFor(t, 30*time.Second), client.CodeRunRequest{
		Code:    "import subprocess, time\nprint('started', flush=True)\nsubprocess.Popen(['sleep', '" + m + "'])\ntime.sleep(30)",
		Timeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatalf("CodeRun: %v", err)
	}
	if !r.TimedOut || r.Result != "started\n" {
		t.Errorf("got timedOut=%v result %s", r.TimedOut, q(r.Result))
	}
	noProcs(t, m)
}

func ptr(s string) *string { return &s }

func seq(n int) string { return seqWith("", n) }

func seqWith(prefix string, n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "%s%d\n", prefix, i)
	}
	return b.String()
}

// mergedLines is o0 e0 o1 e1 ... as lines: what the merge case writes.
func mergedLines(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "o%d\ne%d\n", i, i)
	}
	return b.String()
}
