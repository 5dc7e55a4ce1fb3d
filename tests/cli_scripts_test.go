package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The example scripts in scripts/ are part of the product: each one runs
// here, through the real binary, and its outcome is checked.

// cliScript runs scripts/name with args from the repository root (as the
// README shows) and returns the result; it also checks that the script left
// no process behind.
func cliScript(t *testing.T, c cliCmd, name string, args ...string) cliResult {
	t.Helper()
	mark := cliMarker(t)
	c.args = append(append(c.args, filepath.Join("scripts", name)), args...)
	c.dir = ".."
	c.env = append(c.env, "PROCSH_CLI_MARK="+mark)
	res := cliRun(t, c)
	cliAssertNoLeftovers(t, mark, -1)
	return res
}

func cliWantLines(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestCLIScriptPipeline(t *testing.T) {
	res := cliScript(t, cliCmd{}, "pipeline.lua")
	if res.code != 0 {
		t.Fatalf("pipeline.lua: exit %d\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
	}
	cliWantLines(t, res.stdout,
		"[build] checking src/greet.sh\n", "[build] checking src/math.sh\n", "[build] bundled dist/lib.sh (4 lines)\n",
		"[test:greet] ok 1 - greet a name\n", "[test:greet] ok 3 - shout\n", "[test:greet] 1..3\n",
		"[test:math] ok 2 - mul\n", "[test:math] 1..3\n",
		"3 passed, 0 failed", "pipeline PASSED")
	// Build output streams before the tests start, in order.
	if b, tst := strings.Index(res.stdout, "[build] bundled"), strings.Index(res.stdout, "[test:"); b < 0 || tst < b {
		t.Errorf("build log not before test log:\n%s", res.stdout)
	}
	// The workspace is cleaned up.
	if m := regexp.MustCompile(`workspace (\S+)`).FindStringSubmatch(res.stdout); m == nil {
		t.Errorf("no workspace line")
	} else if _, err := os.Stat(m[1]); !os.IsNotExist(err) {
		t.Errorf("workspace %s left behind (%v)", m[1], err)
	}

	// A failing test fails the pipeline, with the failure in the log.
	res = cliScript(t, cliCmd{}, "pipeline.lua", "--break")
	if res.code != 1 {
		t.Errorf("pipeline.lua --break: exit %d, want 1\nstderr: %s", res.code, res.stderr)
	}
	cliWantLines(t, res.stdout, "[test:math] not ok 4 - deliberately broken: got '2', want '3'", "3 passed, 1 failed", "pipeline FAILED")

	// It needs nothing outside the sandboxed profile.
	res = cliScript(t, cliCmd{args: []string{"--restricted"}}, "pipeline.lua")
	if res.code != 0 || !strings.Contains(res.stdout, "pipeline PASSED") {
		t.Errorf("pipeline.lua --restricted: exit %d\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
	}
}

func TestCLIScriptFanout(t *testing.T) {
	res := cliScript(t, cliCmd{}, "fanout.lua", "4")
	if res.code != 0 {
		t.Fatalf("fanout.lua: exit %d\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
	}
	for i := 1; i <= 4; i++ {
		re := regexp.MustCompile(`(?m)^job ` + strconv.Itoa(i) + `: +` + strconv.Itoa(i*1000) + ` lines  sha256 [0-9a-f]{12} .*\(job ` + strconv.Itoa(i) + ` in /tmp/procsh-fanout\.`)
		if !re.MatchString(res.stdout) {
			t.Errorf("no result line for job %d:\n%s", i, res.stdout)
		}
	}
	// Four one-second jobs run side by side: sequentially they would take
	// at least four seconds. The bound is loose on purpose (a loaded CI
	// machine); it only has to tell parallel from sequential.
	m := regexp.MustCompile(`fanout: 4 jobs finished in ([0-9.]+)s wall`).FindStringSubmatch(res.stdout)
	if m == nil {
		t.Fatalf("no summary line:\n%s", res.stdout)
	}
	if wall, _ := strconv.ParseFloat(m[1], 64); wall >= 3.5 {
		t.Errorf("4 parallel 1s jobs took %.2fs: not parallel", wall)
	}
}

func TestCLIScriptInteractive(t *testing.T) {
	res := cliScript(t, cliCmd{}, "interactive.lua")
	if res.code != 0 {
		t.Fatalf("interactive.lua: exit %d\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
	}
	want := "installer: project demo, defaults y, 3 items [api worker docs], exit 0\n" +
		"shell: 6*7 = 42, Ctrl-C gave status 130, shell exit 7\n" +
		"interactive: all dialogues completed\n"
	if res.stdout != want {
		t.Errorf("interactive.lua stdout:\n%s\nwant:\n%s", res.stdout, want)
	}
}

func TestCLIScriptRemote(t *testing.T) {
	srv := cliStartServer(t, "remote-demo-token")
	check := func(res cliResult) {
		t.Helper()
		if res.code != 0 {
			t.Fatalf("remote.lua: exit %d\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
		}
		cliWantLines(t, res.stdout, "local : ", "remote: ", "remote session: 42 /tmp\n",
			"remote stream: tick 1\n", "remote stream: tick 3\n", "remote: 3 ticks streamed, exit 0, 1 session(s) were open; counter 42 /tmp\n")
	}
	check(cliScript(t, cliCmd{}, "remote.lua", srv.url, srv.token))
	check(cliScript(t, cliCmd{env: []string{"PROCSH_SERVER=" + srv.url, "PROCSH_TOKEN=" + srv.token}}, "remote.lua"))

	res := cliScript(t, cliCmd{}, "remote.lua", srv.url, "not-the-token")
	if res.code != 1 || !strings.Contains(res.stdout, "refused the token") {
		t.Errorf("remote.lua with a wrong token: exit %d\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
	}
	res = cliScript(t, cliCmd{}, "remote.lua")
	if res.code != 2 || !strings.Contains(res.stderr, "usage: procsh scripts/remote.lua URL") {
		t.Errorf("remote.lua without a URL: exit %d\nstderr: %s", res.code, res.stderr)
	}
}

func TestCLIScriptCodeRun(t *testing.T) {
	res := cliScript(t, cliCmd{timeout: 90 * time.Second}, "coderun.lua", "40")
	if res.code != 0 {
		t.Fatalf("coderun.lua: exit %d\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
	}
	cliWantLines(t, res.stdout,
		`python     fib_sum(40) = 165580140, 6 words, first "procsh"`,
		`javascript fib_sum(40) = 165580140, 6 words, first "procsh"`,
		"coderun: 2 of 2 languages agree with Lua (fib_sum(40) = 165580140)")
}

// The same scripts run unchanged against a server: --server swaps the
// backend of the default process module (sessions, streamed logs and PTYs
// then travel over HTTP and WebSocket).
func TestCLIScriptsOverServer(t *testing.T) {
	srv := cliStartServer(t, "scripts-over-server")
	flags := []string{"--server", srv.url, "--token", srv.token}
	for _, tt := range []struct {
		script string
		want   string
	}{
		{"pipeline.lua", "pipeline PASSED"},
		{"fanout.lua", "fanout: 4 jobs finished"},
		{"interactive.lua", "interactive: all dialogues completed"},
	} {
		res := cliScript(t, cliCmd{args: flags}, tt.script)
		if res.code != 0 || !strings.Contains(res.stdout, tt.want) {
			t.Errorf("%s over --server: exit %d\nstdout: %s\nstderr: %s", tt.script, res.code, res.stdout, res.stderr)
		}
	}
	// The processes ran on the server's side: they carried its marker, and
	// stopping it (in cleanup) checks none is left.
}
