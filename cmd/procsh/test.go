package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/procsh/procsh/luabind"
	"github.com/procsh/procsh/luatest"
)

// testWatchVar marks every process a `procsh test` run starts, so the
// runner finds the ones a test left behind.
const testWatchVar = "PROCSH_TEST_RUN"

const testUsage = `Usage: procsh [flags] test [--filter PATTERN] [--format text|tap|junit] [--timeout D] [paths...]

Runs the busted-style tests in *_test.lua and *_spec.lua files (paths:
files, or directories searched recursively; default the current
directory). Exit status 0 when every test passed, 1 when one failed, 2 on
a usage error. The global flags (--server, --token, --sandbox) come
before "test".

`

// testMain is `procsh test`.
func (a *app) testMain(args []string) int {
	fs := flag.NewFlagSet("procsh test", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	filter := fs.String("filter", "", "run only the tests whose full name (describe names and test name) matches the Lua `pattern`")
	format := fs.String("format", "text", "report `format`: text, tap or junit")
	var timeout time.Duration
	fs.Var(durationFlag{&timeout}, "timeout", "bound each test (with its hooks) to `duration` (30s, 2m, or seconds); default none")
	// The usage goes to stdout on --help only, as for procsh itself.
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fmt.Fprint(a.stdout, testUsage)
			fs.SetOutput(a.stdout)
			fs.PrintDefaults()
			return exitOK
		}
		fmt.Fprintln(a.stderr, "Run 'procsh test --help' for usage.")
		return exitUsage
	}
	f, err := luatest.ParseFormat(*format)
	if err != nil {
		fmt.Fprintf(a.stderr, "procsh test: %v\n", err)
		return exitUsage
	}
	files, err := luatest.Find(fs.Args())
	if err != nil {
		fmt.Fprintln(a.stderr, err)
		return exitUsage
	}
	if len(files) == 0 {
		fmt.Fprintln(a.stderr, "procsh test: no *_test.lua or *_spec.lua files found")
		return exitError
	}

	ctx, stop := a.runContext()
	defer stop()
	// The marker must be in the environment before the backend copies it.
	watch, err := luatest.NewWatch(testWatchVar)
	if err != nil {
		fmt.Fprintf(a.stderr, "procsh test: %v\n", err)
		return exitError
	}
	backend, err := a.newBackend(ctx)
	if err != nil {
		return a.finish(ctx, err)
	}
	a.backend.Store(&backend)
	defer backend.Close()
	cfg := luatest.Config{
		NewHost: func(stdout, stderr io.Writer, extra ...luabind.Option) (*luabind.Host, error) {
			return a.newHost(backend, stdout, stderr, extra...)
		},
		Filter:  *filter,
		Format:  f,
		Timeout: timeout,
		Stdout:  a.stdout,
		Stderr:  a.stderr,
	}
	if a.opts.server == "" {
		cfg.Watch = watch
	}
	sum, err := luatest.Run(ctx, files, cfg)
	_ = backend.Close()
	if err != nil {
		if ctx.Err() != nil {
			return a.finish(ctx, err)
		}
		fmt.Fprintln(a.stderr, err)
		return exitError
	}
	if !sum.OK() {
		return exitError
	}
	return exitOK
}
