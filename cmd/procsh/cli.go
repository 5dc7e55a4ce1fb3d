package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/daytona"
	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/client/remote"
	clientssh "github.com/procsh/procsh/client/ssh"
	"github.com/procsh/procsh/luabind"
	"github.com/procsh/procsh/luadoc"
	"github.com/procsh/procsh/repl"
)

// Exit statuses other than the script's own.
const (
	exitOK      = 0
	exitError   = 1
	exitUsage   = 2
	exitTimeout = 124 // as timeout(1)
	exitSIGINT  = 130 // 128 + SIGINT, as shells report it
	exitSIGTERM = 143
)

// options are the command-line settings of a run.
type options struct {
	exprs   []string
	server  string
	token   string
	sandbox bool // --restricted (old name --sandbox)
	timeout time.Duration
	// SSH settings for --server ssh://…
	identity, knownHosts, sshMode string
	sandboxID                     string // --sandbox-id
	version                       bool
	trace                         bool // --trace, PROCSH_TRACE=1
}

// exprFlag collects every -e, run in order as lua.c does.
type exprFlag struct{ list *[]string }

func (f exprFlag) String() string { return "" }
func (f exprFlag) Set(s string) error {
	*f.list = append(*f.list, s)
	return nil
}

// durationFlag accepts a Go duration ("1m30s") or plain seconds ("2.5").
type durationFlag struct{ d *time.Duration }

func (f durationFlag) String() string {
	if f.d == nil || *f.d == 0 {
		return ""
	}
	return f.d.String()
}

func (f durationFlag) Set(s string) error {
	d, err := parseDuration(s)
	if err != nil {
		return err
	}
	*f.d = d
	return nil
}

func parseDuration(s string) (time.Duration, error) {
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		if secs < 0 {
			return 0, fmt.Errorf("negative duration %q", s)
		}
		return time.Duration(secs * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("not a duration (use e.g. 30s, 5m or a number of seconds): %q", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("negative duration %q", s)
	}
	return d, nil
}

const usageText = `procsh — process automation, scriptable in Lua

Usage:
  procsh [flags] script.lua [args...]    run a script (args are arg[1..n] and ...)
  procsh [flags] run script.lua [args...]
  procsh [flags] -e 'code'               run code from the command line
  procsh [flags] - | < script.lua        run a script read from standard input
  procsh [flags]                         interactive REPL (when stdin is a terminal)
  procsh serve [--listen addr] [--token-file f] [--allow-origin o]
                                         serve the process API over HTTP/WebSocket
  procsh [flags] test [--filter P] [--format text|tap|junit] [paths...]
                                         run the *_test.lua / *_spec.lua tests
  procsh init [--force] [dir]            write editor type stubs and .luarc.json

Flags (before the script name; everything after it goes to the script):
`

const usageTail = `
Environment: PROCSH_SERVER and PROCSH_TOKEN are the defaults of --server and
--token; PROCSH_TRACE=1 turns on --trace; --sandbox-id reads DAYTONA_API_KEY
and DAYTONA_API_URL; --server ssh://… follows ~/.ssh/config and known_hosts
and uses SSH_AUTH_SOCK.

Exit status: 0 success; 1 script error (file:line: message and a traceback
on stderr); n when the script calls os.exit(n); 124 --timeout expired;
130 interrupted (Ctrl-C); 143 terminated (SIGTERM); 129 hung up (SIGHUP,
handled like SIGTERM); 2 usage error.
`

func newFlagSet(opts *options, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("procsh", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(exprFlag{&opts.exprs}, "e", "run `code` (may be repeated; runs before a script)")
	fs.StringVar(&opts.server, "server", os.Getenv("PROCSH_SERVER"), "run processes on the procsh/Daytona toolbox server at `URL` (http[s]://…), or on an SSH host (ssh://[user@]host[:port]), instead of this machine")
	fs.StringVar(&opts.identity, "identity", "", "SSH private key `file` for --server ssh://… (besides ~/.ssh/config, the agent and ~/.ssh/id_*)")
	fs.StringVar(&opts.knownHosts, "known-hosts", "", "known_hosts `file` for --server ssh://… (default ~/.ssh/known_hosts)")
	fs.StringVar(&opts.sshMode, "ssh-mode", "", "`mode` for --server ssh://…: agent (upload procsh, full API) or raw (plain SSH channels); default agent on Linux amd64/arm64 hosts")
	fs.StringVar(&opts.token, "token", os.Getenv("PROCSH_TOKEN"), "bearer `token` for --server")
	fs.StringVar(&opts.sandboxID, "sandbox-id", "", "run processes in the Daytona sandbox with this `id` (or name), reached through the Daytona API ($DAYTONA_API_KEY, $DAYTONA_API_URL)")
	fs.BoolVar(&opts.sandbox, "restricted", false, "restricted (sandboxed) library profile: no os, io or file access in Lua")
	fs.BoolVar(&opts.sandbox, "sandbox", false, "old name of --restricted")
	fs.Var(durationFlag{&opts.timeout}, "timeout", "bound the whole run of a script (`duration` such as 30s, 5m, or seconds)")
	fs.BoolVar(&opts.version, "version", false, "print the version and exit")
	fs.BoolVar(&opts.trace, "trace", os.Getenv("PROCSH_TRACE") == "1", "print every command the script runs, with a timestamp, its target, exit status and duration, to stderr")
	return fs
}

func printUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, usageText)
	out := fs.Output()
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(out)
	fmt.Fprint(w, usageTail)
}

// Main runs procsh with the given arguments (without the program name) and
// returns the exit status.
func Main(args []string, stdin *os.File, stdout, stderr io.Writer) int {
	var opts options
	fs := newFlagSet(&opts, stderr)
	// flag prints the error itself; the full usage goes to stdout on
	// --help only, not after every mistake.
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout, fs)
			return exitOK
		}
		fmt.Fprintln(stderr, "Run 'procsh --help' for usage.")
		return exitUsage
	}
	if opts.version {
		fmt.Fprintln(stdout, versionString())
		return exitOK
	}
	rest := fs.Args()
	if len(rest) > 0 {
		switch rest[0] {
		case "serve":
			if len(opts.exprs) > 0 {
				fmt.Fprintln(stderr, "procsh serve: -e does not apply to serve")
				return exitUsage
			}
			return serveMain(rest[1:], stdout, stderr)
		case "test":
			return (&app{opts: opts, stdin: stdin, stdout: stdout, stderr: stderr}).testMain(rest[1:])
		case "init":
			return (&app{opts: opts, stdin: stdin, stdout: stdout, stderr: stderr}).initMain(rest[1:])
		case "run":
			if len(rest) < 2 {
				fmt.Fprintln(stderr, "procsh run: missing script name")
				return exitUsage
			}
			rest = rest[1:]
		case "help":
			printUsage(stdout, fs)
			return exitOK
		}
	}

	a := &app{opts: opts, stdin: stdin, stdout: stdout, stderr: stderr}
	switch {
	case len(opts.exprs) > 0 || len(rest) > 0:
		return a.runScripts(rest)
	case isTerminal(stdin):
		return a.runREPL()
	default:
		return a.runScripts([]string{"-"})
	}
}

// app is one run of procsh: a backend, a Lua host, and how they end.
type app struct {
	opts           options
	stdin          *os.File
	stdout, stderr io.Writer
	status         *statusLine
	// backend is set once created, for the second-signal path.
	backend atomic.Pointer[client.Client]
}

// errTimeout is the cause of a run context that --timeout ended.
var errTimeout = errors.New("timeout")

// signalError is the cause of a run context that a signal ended.
type signalError struct{ sig os.Signal }

func (e *signalError) Error() string { return "interrupted by " + e.sig.String() }

// newBackend returns the local backend, or a remote one when --server is
// set, checked with one request so that a wrong URL or token is reported
// before the script starts rather than as its first failure.
func (a *app) newBackend(ctx context.Context) (client.Client, error) {
	if a.opts.sandboxID != "" {
		if a.opts.server != "" {
			return nil, fmt.Errorf("--sandbox-id and --server exclude each other")
		}
		dc, err := daytona.New(daytona.Options{})
		if err != nil {
			return nil, fmt.Errorf("sandbox %s: %w", a.opts.sandboxID, err)
		}
		r, err := dc.Connect(ctx, a.opts.sandboxID)
		if err != nil {
			return nil, fmt.Errorf("sandbox %s: %w", a.opts.sandboxID, err)
		}
		return r, nil
	}
	if a.opts.server == "" {
		b, err := local.New()
		if err != nil {
			return nil, fmt.Errorf("local backend: %w", err)
		}
		return b, nil
	}
	if strings.HasPrefix(a.opts.server, "ssh://") {
		c, err := clientssh.Dial(ctx, a.opts.server, clientssh.Options{
			Identity: a.opts.identity, KnownHosts: a.opts.knownHosts, Mode: clientssh.Mode(a.opts.sshMode),
		})
		if err != nil {
			return nil, fmt.Errorf("server %s: %w", a.opts.server, err)
		}
		return c, nil
	}
	return connectRemote(ctx, a.opts.server, a.opts.token, "--token or PROCSH_TOKEN")
}

// connectRemote opens a remote backend and checks that the server answers
// and accepts the token; tokenHint says where the token came from.
func connectRemote(ctx context.Context, url, token, tokenHint string) (client.Client, error) {
	opts := []remote.Option{remote.WithToken(token)}
	if remote.IsDetached(ctx) { // process.connect(url, {detach = true})
		opts = append(opts, remote.WithDetached())
	}
	r, err := remote.New(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("server %s: %w", url, err)
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, err := r.ListSessions(pctx); err != nil {
		_ = r.Close()
		return nil, describeRemoteError(url, token, tokenHint, err)
	}
	return r, nil
}

// describeRemoteError turns the failure of the first request to a server
// into a message that says what to fix.
func describeRemoteError(url, token, tokenHint string, err error) error {
	switch {
	case errors.Is(err, client.ErrUnauthorized):
		if token == "" {
			return fmt.Errorf("the server at %s requires a token: pass it with %s (%w)", url, tokenHint, err)
		}
		return fmt.Errorf("the server at %s refused the token: check %s (%w)", url, tokenHint, err)
	case errors.Is(err, client.ErrUnavailable):
		return fmt.Errorf("cannot reach the server at %s (%w)", url, err)
	}
	return fmt.Errorf("server %s: %w", url, err)
}

// newHost creates the Lua host, its output going through the status line
// (which clears itself before script output) and, for the REPL, through
// switchable writers.
func (a *app) newHost(backend client.Client, stdout, stderr io.Writer, extra ...luabind.Option) (*luabind.Host, error) {
	profile := luabind.ProfileFull
	if a.opts.sandbox {
		profile = luabind.ProfileSandbox
	}
	hopts := []luabind.Option{
		luabind.WithStdout(stdout),
		luabind.WithStderr(stderr),
		luabind.WithProfile(profile),
		// process.connect gets the same checked connection as --server, so a
		// wrong URL or token fails with the same clear message.
		luabind.WithConnector(func(ctx context.Context, url, token string) (client.Client, error) {
			return connectRemote(ctx, url, token, "the token option of process.connect")
		}),
	}
	if a.status != nil {
		hopts = append(hopts, luabind.WithWaitObserver(a.status.Observe))
	}
	if a.opts.trace {
		target := "local"
		switch {
		case a.opts.server != "":
			target = a.opts.server
		case a.opts.sandboxID != "":
			target = "daytona:" + a.opts.sandboxID
		}
		hopts = append(hopts, luabind.WithTrace(stderr, target))
	}
	return luabind.New(backend, append(hopts, extra...)...)
}

// runContext is the context of a whole run: cancelled by SIGINT/SIGTERM
// (cause *signalError) and by --timeout (cause errTimeout). A second signal
// while the run is being torn down does not wait for the Lua host: it
// closes the backend (which kills every process tree it started) and exits.
func (a *app) runContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	var stopTimeout context.CancelFunc = func() {}
	if a.opts.timeout > 0 {
		ctx, stopTimeout = context.WithTimeoutCause(ctx, a.opts.timeout, errTimeout)
	}
	sigc := make(chan os.Signal, 2)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigc:
			cancel(&signalError{sig})
		case <-done:
			return
		}
		select {
		case sig := <-sigc:
			fmt.Fprintln(a.stderr, "procsh: second signal, killing what the run started and exiting")
			if b := a.backend.Load(); b != nil {
				closed := make(chan struct{})
				go func() { _ = (*b).Close(); close(closed) }()
				select {
				case <-closed:
				case <-time.After(5 * time.Second):
				}
			}
			os.Exit(exitCodeForSignal(sig))
		case <-done:
		}
	}()
	return ctx, func() {
		close(done)
		signal.Stop(sigc)
		stopTimeout()
		cancel(nil)
	}
}

func exitCodeForSignal(sig os.Signal) int {
	switch sig {
	case syscall.SIGTERM:
		return exitSIGTERM
	case syscall.SIGHUP: // terminal closed, ssh dropped: like SIGTERM
		return 128 + int(syscall.SIGHUP)
	}
	return exitSIGINT
}

// runScripts runs every -e chunk, then the script rest[0] ("-" = stdin)
// with rest[1:] as its arguments.
func (a *app) runScripts(rest []string) int {
	if isTerminal(os.Stderr) {
		a.status = newStatusLine(os.Stderr)
		defer a.status.Stop()
	}
	stdout, stderr := a.stdout, a.stderr
	if a.status != nil {
		stdout, stderr = a.status.Wrap(stdout), a.status.Wrap(stderr)
	}

	ctx, stop := a.runContext()
	defer stop()

	var src []byte
	if len(rest) > 0 && rest[0] == "-" {
		var err error
		if src, err = io.ReadAll(a.stdin); err != nil {
			fmt.Fprintf(a.stderr, "procsh: reading the script from stdin: %v\n", err)
			return exitError
		}
	} else if len(rest) > 0 {
		if _, err := os.Stat(rest[0]); err != nil {
			fmt.Fprintf(a.stderr, "procsh: cannot open %s: %v\n", rest[0], errors.Unwrap(err))
			return exitError
		}
	}

	backend, err := a.newBackend(ctx)
	if err != nil {
		return a.finish(ctx, err)
	}
	a.backend.Store(&backend)
	defer backend.Close()
	host, err := a.newHost(backend, stdout, stderr)
	if err != nil {
		return a.finish(ctx, err)
	}
	defer host.Close()

	err = func() error {
		for _, e := range a.opts.exprs {
			if err := host.RunString(ctx, "(command line)", e); err != nil {
				return err
			}
		}
		switch {
		case len(rest) == 0:
			return nil
		case rest[0] == "-":
			return host.RunString(ctx, "stdin", string(src))
		default:
			return host.RunFile(ctx, rest[0], rest[1:]...)
		}
	}()
	// End everything before reporting: the status line must be gone and
	// every process dead before procsh says how the run ended.
	if a.status != nil {
		a.status.Stop()
	}
	_ = host.Close()
	_ = backend.Close()
	return a.finish(ctx, err)
}

// finish reports how a run ended and returns the exit status.
func (a *app) finish(ctx context.Context, err error) int {
	var sigErr *signalError
	if errors.As(context.Cause(ctx), &sigErr) {
		fmt.Fprintln(a.stderr, "procsh: interrupted")
		return exitCodeForSignal(sigErr.sig)
	}
	var exitErr *luabind.ExitError
	if errors.As(err, &exitErr) {
		return exitErr.Code
	}
	if err == nil {
		return exitOK
	}
	if errors.Is(context.Cause(ctx), errTimeout) {
		fmt.Fprintf(a.stderr, "procsh: timed out after %v\n", a.opts.timeout)
		return exitTimeout
	}
	var scriptErr *luabind.ScriptError
	if errors.As(err, &scriptErr) {
		fmt.Fprintln(a.stderr, strings.TrimRight(scriptErr.Error(), "\n"))
		return exitError
	}
	fmt.Fprintf(a.stderr, "procsh: %v\n", err)
	return exitError
}

// runREPL opens the interactive prompt on the terminal.
func (a *app) runREPL() int {
	if isTerminal(os.Stderr) {
		a.status = newStatusLine(os.Stderr)
		a.status.SetEnabled(false)
		defer a.status.Stop()
	}
	hostOut := repl.NewSwitchWriter(a.stdout)
	hostErr := repl.NewSwitchWriter(a.stderr)
	var stdout, stderr io.Writer = hostOut, hostErr
	if a.status != nil {
		stdout, stderr = a.status.Wrap(hostOut), a.status.Wrap(hostErr)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// SIGINT belongs to the REPL (it cancels the running line); SIGTERM
	// ends the session after killing everything it started.
	termc := make(chan os.Signal, 1)
	signal.Notify(termc, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(termc)

	backend, err := a.newBackend(ctx)
	if err != nil {
		return a.finish(ctx, err)
	}
	defer backend.Close()
	// help(x) prints the doc of any procsh function, method or module.
	host, err := a.newHost(backend, stdout, stderr, luabind.WithGlobal("help", luadoc.HelpFunc(stdout)))
	if err != nil {
		return a.finish(ctx, err)
	}
	go func() {
		if sig, ok := <-termc; ok {
			_ = backend.Close()
			os.Exit(exitCodeForSignal(sig))
		}
	}()

	cfg := repl.Config{
		Stdin:        a.stdin,
		Stdout:       a.stdout,
		Stderr:       a.stderr,
		HostStdout:   hostOut,
		HostStderr:   hostErr,
		IsIncomplete: func(err error) bool { return errors.Is(err, luabind.ErrIncomplete) },
		IsExit: func(err error) bool {
			var e *luabind.ExitError
			return errors.As(err, &e)
		},
		Banner: versionString() + " — Lua REPL. help() for docs; Ctrl-C cancels, Ctrl-D exits.",
	}
	if a.status != nil {
		cfg.BeforeEval = func() { a.status.SetEnabled(true) }
		cfg.AfterEval = func() { a.status.SetEnabled(false) }
	}
	err = repl.Run(ctx, host, cfg)
	_ = host.Close()
	_ = backend.Close()
	return a.finish(ctx, err)
}
