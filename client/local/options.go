package local

import "time"

// options configures a Backend. Fields are shared by exec, sessions and PTYs.
type options struct {
	shell     string        // "" = chosen as the toolbox spec says (see shell.go)
	dir       string        // default working directory; "" = the process cwd
	env       []string      // base environment; nil = os.Environ()
	killGrace time.Duration // TERM → KILL grace period
	tmp       string        // where scripts, FIFOs and session state live; "" = pickTmp
	ptyBuf    int           // per-handle unread PTY output limit; 0 = the default
	logs      logConfig     // command log retention (logs.go)
}

// Option configures a Backend.
type Option func(*options)

// WithShell sets the shell used for exec, sessions and PTYs, overriding the
// toolbox rule (first of zsh/bash listed in /etc/shells, then $SHELL, then sh).
func WithShell(path string) Option { return func(o *options) { o.shell = path } }

// WithDir sets the default working directory.
func WithDir(dir string) Option { return func(o *options) { o.dir = dir } }

// WithEnv sets the base environment ("KEY=VALUE" entries) instead of the
// host process's environment.
func WithEnv(env []string) Option { return func(o *options) { o.env = env } }

// WithKillGrace sets how long a process tree gets between SIGTERM and SIGKILL
// when a timeout, kill or delete ends it. The default is 2 seconds.
func WithKillGrace(d time.Duration) Option { return func(o *options) { o.killGrace = d } }

// WithTempDir sets the directory where the backend keeps exec scripts,
// session FIFOs and saved session state. The default is $TMPDIR when set,
// else /dev/shm when writable, else the system temp directory.
func WithTempDir(dir string) Option { return func(o *options) { o.tmp = dir } }

// WithPTYHandleBuffer sets how many bytes of unread output a PTY handle may
// hold before it is disconnected as a slow consumer (default 4 MiB). A
// server whose clients sit behind a slower link than the PTY's producer
// (the SSH backend's agent) raises it, so that a client reading as fast as
// its link allows is not cut off.
func WithPTYHandleBuffer(n int) Option { return func(o *options) { o.ptyBuf = n } }

func defaultOptions() options { return options{killGrace: 2 * time.Second} }
