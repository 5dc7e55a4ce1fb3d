package luabind

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
	luar "layeh.com/gopher-luar"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/remote"
	"github.com/procsh/procsh/luabind/lua51"
)

// Profile selects which standard libraries a Host opens.
type Profile int

const (
	// ProfileFull opens base, package, table, string, math, coroutine, io,
	// os (with a host-safe os.exit) and debug, plus the procsh stdlib
	// including fs. Scripts may require Lua files from package.path.
	ProfileFull Profile = iota
	// ProfileSandbox opens base (without dofile and loadfile), table,
	// string, math, coroutine and package (require finds preloaded modules
	// only), plus a safe os subset: time, clock, date, difftime and a
	// host-safe exit. There is no io, no debug, no os.getenv/execute/remove
	// and no fs module: a sandboxed script reaches the machine only through
	// the process module's backend.
	ProfileSandbox
)

// String returns "full" or "sandbox".
func (p Profile) String() string {
	if p == ProfileSandbox {
		return "sandbox"
	}
	return "full"
}

type config struct {
	stdout, stderr io.Writer
	profile        Profile
	modules        []namedLoader
	globals        []namedValue
	connector      func(ctx context.Context, url, token string) (client.Client, error)
	waitObserver   func(what string) (done func())
	maxString      int       // lua51.Options.MaxStringSize; see WithMaxStringSize
	trace          io.Writer // nil: no tracing (WithTrace)
	traceTarget    string
}

type namedLoader struct {
	name   string
	loader lua.LGFunction
}

type namedValue struct {
	name string
	v    any
}

// Option configures a Host.
type Option func(*config)

// WithStdout sets where print, io.write, tee'd command output and the log
// module write. The default is os.Stdout.
func WithStdout(w io.Writer) Option { return func(c *config) { c.stdout = w } }

// WithStderr sets where errors reported in the background (failed
// callbacks, failed tasks nobody waited for) and tee'd stderr go. The
// default is os.Stderr.
func WithStderr(w io.Writer) Option { return func(c *config) { c.stderr = w } }

// WithProfile chooses the standard libraries; the default is ProfileFull.
func WithProfile(p Profile) Option { return func(c *config) { c.profile = p } }

// WithModule preloads a module, so that require(name) calls loader. It
// works in both profiles. The module's Go functions run with the Lua state
// locked; one that waits must wait through Host.Block, or every task of the
// script stalls meanwhile.
func WithModule(name string, loader lua.LGFunction) Option {
	return func(c *config) { c.modules = append(c.modules, namedLoader{name, loader}) }
}

// WithGlobal exposes an embedder's Go value as the global name, converted
// with layeh.com/gopher-luar (structs, maps, slices and functions become
// userdata whose methods keep their Go names). Functions so exposed run with
// the Lua state locked: one that waits must wait through Host.Block.
func WithGlobal(name string, v any) Option {
	return func(c *config) { c.globals = append(c.globals, namedValue{name, v}) }
}

// WithConnector sets how process.connect reaches a remote server. The
// default is remote.New(url, remote.WithToken(token)).
func WithConnector(fn func(ctx context.Context, url, token string) (client.Client, error)) Option {
	return func(c *config) { c.connector = fn }
}

// WithWaitObserver registers fn, called whenever a script starts a blocking
// wait, with a short description such as "exec: make test". The function it
// returns is called when the wait ends. The CLI uses it to show a status
// line for long waits. fn is called without the Lua state locked, possibly
// from several goroutines at once.
func WithWaitObserver(fn func(what string) (done func())) Option {
	return func(c *config) { c.waitObserver = fn }
}

// WithTrace makes the host write one line to w for every command a script
// runs (exec, code_run, session:run, session:start, process.pty): a
// timestamp, the target (target for the host's own backend, such as
// "local" or a server URL; the URL for process.connect modules), what ran,
// and its exit status and duration. procsh --trace and PROCSH_TRACE=1 use
// it with the standard error. w receives whole lines, possibly from several
// goroutines.
func WithTrace(w io.Writer, target string) Option {
	return func(c *config) {
		if w != nil {
			c.trace = newSyncWriter(w)
		}
		c.traceTarget = target
	}
}

// ErrIncomplete is returned (wrapped) by Eval when the input is an
// unfinished chunk, so a REPL can read another line.
var ErrIncomplete = errors.New("luabind: incomplete chunk")

// ErrClosed is returned by the methods of a closed Host.
var ErrClosed = errors.New("luabind: host closed")

// ScriptError is a Lua error that ended a script, a callback or a task.
type ScriptError struct {
	// Message is the error message, normally "file:line: message".
	Message string
	// Traceback is the Lua stack traceback ("stack traceback:\n\t...").
	Traceback string
}

// Error returns the message followed by the traceback.
func (e *ScriptError) Error() string {
	if e.Traceback == "" {
		return e.Message
	}
	return e.Message + "\n" + e.Traceback
}

// ExitError reports that a script called os.exit(code).
type ExitError struct{ Code int }

// Error returns "exit status N".
func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// Host runs Lua scripts against a process backend. See the package
// documentation for the threading contract.
type Host struct {
	backend client.Client
	cfg     config
	stdout  io.Writer // synchronised wrappers of cfg.stdout/stderr
	stderr  io.Writer

	L         *lua.LState
	scheduler // the lock, the thread pool and the wait bookkeeping (sched.go)

	ctx    context.Context // the host's lifetime; cancelled by Close
	cancel context.CancelFunc

	runMu sync.Mutex // serialises RunString, RunFile, Eval and Close

	// Guarded by the GIL.
	cur    *run // the run whose bindings are executing
	repl   *run // the persistent run used by Eval
	closed bool

	process *lua.LTable // the default process module

	markerEOF, markerTimeout *lua.LUserData // process.EOF, process.TIMEOUT
	mapImpl                  lua.LValue     // process.map's Lua side, compiled on first use

	scoped map[*lua.LState][]*defaults // guarded by the GIL: process.with defaults by thread
}

// New creates a host whose process module drives backend. The host owns the
// Lua state but not the backend: Close does not close backend.
func New(backend client.Client, opts ...Option) (*Host, error) {
	if backend == nil {
		return nil, fmt.Errorf("luabind.New: nil backend: %w", client.ErrInvalidArgument)
	}
	cfg := config{stdout: os.Stdout, stderr: os.Stderr, connector: remoteConnector}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.profile != ProfileFull && cfg.profile != ProfileSandbox {
		return nil, fmt.Errorf("luabind.New: unknown profile %d: %w", cfg.profile, client.ErrInvalidArgument)
	}
	h := &Host{backend: backend, cfg: cfg, stdout: newSyncWriter(cfg.stdout), stderr: newSyncWriter(cfg.stderr), scoped: map[*lua.LState][]*defaults{}}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.L = lua.NewState(lua.Options{
		SkipOpenLibs: true,
		// Every task and callback dispatcher has its own thread; small
		// growable stacks keep 10,000 of them cheap.
		RegistrySize:        128,  // gopher-lua's minimum
		CallStackSize:       1024, // Lua call depth; segments are allocated as needed
		RegistryMaxSize:     1 << 20,
		RegistryGrowStep:    256,
		MinimizeStackMemory: true,
	})
	h.scheduler = newScheduler(h.L)
	h.repl = h.newRun(h.ctx, true)
	h.cur = h.repl
	if err := h.openLibs(); err != nil {
		h.L.Close()
		h.cancel()
		return nil, err
	}
	return h, nil
}

func remoteConnector(ctx context.Context, url, token string) (client.Client, error) {
	var opts []remote.Option
	if token != "" {
		opts = append(opts, remote.WithToken(token))
	}
	if remote.IsDetached(ctx) {
		opts = append(opts, remote.WithDetached())
	}
	return remote.New(url, opts...)
}

func (h *Host) openLibs() error {
	L := h.L
	if err := openStandard(L, h); err != nil {
		return err
	}
	openLua51(L, h)
	h.process = h.newProcessModule(L, &api{h: h, c: h.backend, name: "process", target: h.cfg.traceTarget})
	L.PreloadModule("process", func(L *lua.LState) int { L.Push(h.process); return 1 })
	L.SetGlobal("process", h.process)
	if err := openStdlib(L, h); err != nil {
		return err
	}
	for _, m := range h.cfg.modules {
		L.PreloadModule(m.name, m.loader)
	}
	openGoIterators(L)
	for _, g := range h.cfg.globals {
		L.SetGlobal(g.name, luar.New(L, g.v))
	}
	return nil
}

// compile parses src without touching the Lua state.
func compile(name, src string) (*lua.FunctionProto, error) {
	return compileLua51(name, src)
}

func syntaxError(err error) error {
	var pe *parse.Error
	if errors.As(err, &pe) {
		msg := strings.TrimSpace(pe.Message)
		if pe.Pos.Line == parse.EOF {
			return &ScriptError{Message: fmt.Sprintf("%s: %s near <eof>", pe.Pos.Source, msg)}
		}
		return &ScriptError{Message: fmt.Sprintf("%s:%d: %s near '%s'", pe.Pos.Source, pe.Pos.Line, msg, pe.Token)}
	}
	return &ScriptError{Message: err.Error()}
}

// RunString runs src as a script named name (used in error positions) and
// waits until the main chunk has returned and nothing is pending: no task
// still running and no command with callbacks still running (unless
// detached). Then it ends everything the script started and did not detach:
// running commands are killed, sessions deleted, PTYs killed, tasks
// cancelled, remote connections closed.
//
// Cancelling ctx stops the script promptly, also while it waits in a
// blocking call, and the error then matches ctx.Err(). A Lua error (in the
// main chunk, or a failed callback or unobserved task) is a *ScriptError;
// os.exit(code) yields an *ExitError, even for code 0.
func (h *Host) RunString(ctx context.Context, name, src string) error {
	proto, err := compile(name, src)
	if err != nil {
		return syntaxError(err)
	}
	return h.runProto(ctx, proto, nil)
}

// RunFile runs the script at path as RunString does. As lua.c does, it sets
// the global arg table (arg[0] = path, arg[1..n] = args) and passes args to
// the chunk as ... . A first line starting with "#" (a shebang) is skipped.
// In the full profile the script's directory is put first on package.path,
// so require finds modules that sit next to the script.
func (h *Host) RunFile(ctx context.Context, path string, args ...string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("luabind: %w", err)
	}
	src := string(b)
	if strings.HasPrefix(src, "#") {
		// Keep the line count so error positions stay right.
		if i := strings.IndexByte(src, '\n'); i >= 0 {
			src = "--" + src[i:]
		} else {
			src = ""
		}
	}
	proto, err := compile(path, src)
	if err != nil {
		return syntaxError(err)
	}
	return h.runProto(ctx, proto, func(L *lua.LState) []lua.LValue {
		if h.cfg.profile == ProfileFull {
			if pkg, ok := L.GetGlobal("package").(*lua.LTable); ok {
				dir := filepath.Dir(path)
				cur := lua.LVAsString(pkg.RawGetString("path"))
				add := filepath.Join(dir, "?.lua") + ";" + filepath.Join(dir, "?", "init.lua")
				if !strings.Contains(cur, add) {
					pkg.RawSetString("path", lua.LString(add+";"+cur))
				}
			}
		}
		argt := L.NewTable()
		argt.RawSetInt(0, lua.LString(path))
		vals := make([]lua.LValue, len(args))
		for i, a := range args {
			argt.RawSetInt(i+1, lua.LString(a))
			vals[i] = lua.LString(a)
		}
		L.SetGlobal("arg", argt)
		return vals
	})
}

func (h *Host) runProto(ctx context.Context, proto *lua.FunctionProto, setup func(L *lua.LState) []lua.LValue) error {
	return h.runProtoResults(ctx, proto, setup, nil)
}

// runProtoResults is runProto that, when results is set, stores there what
// the main chunk returned.
func (h *Host) runProtoResults(ctx context.Context, proto *lua.FunctionProto, setup func(L *lua.LState) []lua.LValue, results *[]lua.LValue) error {
	h.runMu.Lock()
	defer h.runMu.Unlock()
	if err := h.gil.LockContext(ctx, h.L); err != nil {
		return fmt.Errorf("luabind: script not started: %w", err)
	}
	if h.closed {
		h.gil.Unlock()
		return ErrClosed
	}
	r := h.newRun(ctx, false)
	prev := h.cur
	h.cur = r
	var args []lua.LValue
	if setup != nil {
		args = setup(h.L)
	}
	fn := h.L.NewFunctionFromProto(proto)
	th, release := h.newThread(r.ctx)
	th.Push(fn)
	for _, a := range args {
		th.Push(a)
	}
	nret := 0
	if results != nil {
		nret = lua.MultRet
	}
	err := lua51.Translate(th, th.PCall(len(args), nret, nil))
	if err == nil && results != nil {
		n := th.GetTop()
		*results = make([]lua.LValue, n)
		for i := range n {
			(*results)[i] = th.Get(i + 1)
		}
		th.Pop(n)
	}
	release()
	if err == nil {
		// The main chunk is done (its thread already recycled); let tasks
		// and callbacks finish.
		h.gil.Block(h.L, func() {
			select {
			case <-r.pending.Idle():
			case <-r.ctx.Done():
			}
		})
	}
	h.gil.Unlock()
	r.end()
	h.gil.Lock(h.L)
	h.cur = prev
	h.gil.Unlock()
	return r.result(ctx, err)
}

// Eval evaluates one REPL input. Like lua.c it first tries "return "+src
// (a leading "=" also means return) and falls back to src as a statement. It
// returns the values produced and sets the global _ to the first. Input
// that is an unfinished chunk returns an error matching ErrIncomplete.
//
// Unlike RunString, Eval neither waits for tasks nor cleans up: sessions,
// commands and tasks it starts live on until Close. Cancelling ctx (Ctrl-C)
// interrupts the blocking calls this Eval makes and kills what they run
// (exec, session:run).
func (h *Host) Eval(ctx context.Context, src string) ([]lua.LValue, error) {
	if strings.HasPrefix(src, "=") {
		src = "return " + src[1:]
	}
	proto, err := compile("stdin", "return "+src)
	if err != nil {
		var err2 error
		proto, err2 = compile("stdin", src)
		if err2 != nil {
			var pe *parse.Error
			if errors.As(err2, &pe) && pe.Pos.Line == parse.EOF {
				return nil, fmt.Errorf("%w: %s", ErrIncomplete, strings.TrimSpace(pe.Message))
			}
			return nil, syntaxError(err2)
		}
	}
	h.runMu.Lock()
	defer h.runMu.Unlock()
	// A background task that never blocks holds the lock; Ctrl-C must still
	// get the REPL back.
	if err := h.gil.LockContext(ctx, h.L); err != nil {
		return nil, fmt.Errorf("luabind: eval interrupted while a background task held the interpreter: %w", err)
	}
	defer h.gil.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	r := h.repl
	h.cur = r
	if code, ok := r.takeExit(); ok {
		// A background task called os.exit since the last Eval.
		return nil, &ExitError{Code: code}
	}
	ectx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(h.ctx, cancel)
	defer stop()
	r.setForeground(cancel)
	defer r.setForeground(nil)
	th, release := h.newThread(ectx)
	defer release()
	th.Push(h.L.NewFunctionFromProto(proto))
	err = lua51.Translate(th, th.PCall(0, lua.MultRet, nil))
	if err != nil {
		if code, ok := r.takeExit(); ok {
			return nil, &ExitError{Code: code}
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("luabind: eval interrupted: %w", context.Cause(ctx))
		}
		if h.ctx.Err() != nil {
			return nil, fmt.Errorf("luabind: eval interrupted: %w", ErrClosed)
		}
		return nil, toScriptError(err)
	}
	n := th.GetTop()
	vals := make([]lua.LValue, n)
	for i := range n {
		vals[i] = th.Get(i + 1)
	}
	th.Pop(n)
	if n > 0 {
		h.L.SetGlobal("_", vals[0])
	}
	return vals, nil
}

// Do runs fn with exclusive access to the Lua state, for embedders and the
// REPL (completion, pretty printing). fn must not keep L or call into
// blocking process functions.
func (h *Host) Do(fn func(L *lua.LState) error) error {
	h.gil.Lock(h.L)
	defer h.gil.Unlock()
	if h.closed {
		return ErrClosed
	}
	return fn(h.L)
}

// Close ends everything the host started (tasks, commands, sessions, PTYs,
// remote connections) and closes the Lua state. A RunString or Eval in
// progress is stopped (it returns an error matching ErrClosed or
// context.Canceled) and Close waits for it.
func (h *Host) Close() error {
	h.cancel()
	h.runMu.Lock()
	defer h.runMu.Unlock()
	h.gil.Lock(h.L)
	if h.closed {
		h.gil.Unlock()
		return nil
	}
	h.closed = true
	h.gil.Unlock()
	h.repl.end()
	h.gil.Lock(h.L)
	h.L.Close()
	h.gil.Unlock()
	return nil
}

func toScriptError(err error) error {
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		msg := ""
		if ud, ok := ae.Object.(*lua.LUserData); ok {
			if s, ok := ud.Value.(stringer); ok {
				msg = s.String() // an error object such as check=true's
			}
		}
		if msg == "" && ae.Object != nil {
			msg = ae.Object.String()
		}
		return &ScriptError{Message: msg, Traceback: ae.StackTrace}
	}
	return err
}

// syncWriter serialises writes from print (under the GIL) and from tee
// goroutines (outside it).
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func newSyncWriter(w io.Writer) io.Writer {
	if w == nil {
		w = io.Discard
	}
	return &syncWriter{w: w}
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
