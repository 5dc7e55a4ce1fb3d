package luabind

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/internal/luaargs"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/remote"
	"github.com/procsh/procsh/internal/ids"
)

// api is one instance of the process module, bound to one backend: the
// host's own, or one returned by process.connect.
type api struct {
	h      *Host
	c      client.Client
	name   string // "process", or "remote" for connected modules (used in messages)
	target string // what --trace calls the backend: the host's target, or a remote URL
	// deleted maps a session id to a flag its run-end cleanup checks, so
	// that a session the script deleted is not deleted a second time.
	deleted sync.Map
}

// markDeleted records that the session id was deleted.
func (a *api) markDeleted(id string) {
	if f, ok := a.deleted.Load(id); ok {
		f.(*atomic.Bool).Store(true)
	}
}

// Type names of the userdata the module hands out.
const (
	typeSession = "procsh.session"
	typeCommand = "procsh.command"
	typeTask    = "procsh.task"
	typePTY     = "procsh.pty"
	typeMarker  = "procsh.marker"
)

// newProcessModule builds a process table whose functions drive a.c. The
// caller holds the GIL.
func (h *Host) newProcessModule(L *lua.LState, a *api) *lua.LTable {
	h.defineTypes(L)
	mod := L.NewTable()
	for _, m := range processObject().Members {
		if m.fn != nil {
			f := m.fn
			mod.RawSetString(m.Name, L.NewFunction(func(L *lua.LState) int { return f(a, L) }))
		}
	}
	mod.RawSetString("EOF", h.markerEOF)
	mod.RawSetString("TIMEOUT", h.markerTimeout)
	return mod
}

// markers for pty:expect.
type marker string

func (h *Host) defineTypes(L *lua.LState) {
	if h.markerEOF != nil {
		return
	}
	defineType(L, typeSession, sessionObject.methodTable(), sessionField)
	defineType(L, typeCommand, commandObject.methodTable(), commandField)
	defineType(L, typeTask, taskObject.methodTable(), nil)
	defineType(L, typePTY, ptyObject.methodTable(), ptyField)
	defineType(L, typeMarker, nil, nil)
	defineCommandError(L)
	mk := func(name string) *lua.LUserData {
		ud := L.NewUserData()
		ud.Value = marker(name)
		L.SetMetatable(ud, L.GetTypeMetatable(typeMarker))
		return ud
	}
	h.markerEOF = mk("process.EOF")
	h.markerTimeout = mk("process.TIMEOUT")
}

// stringer lets userdata values describe themselves for tostring.
type stringer interface{ String() string }

func (m marker) String() string { return string(m) }

// defineType registers a userdata metatable whose __index serves methods
// first and then read-only fields.
func defineType(L *lua.LState, name string, methods map[string]lua.LGFunction, field func(L *lua.LState, v any, key string) lua.LValue) {
	mt := L.NewTypeMetatable(name)
	mtab := L.NewTable()
	for k, fn := range methods {
		mtab.RawSetString(k, L.NewFunction(fn))
	}
	L.SetField(mt, "__index", L.NewFunction(func(L *lua.LState) int {
		ud := L.CheckUserData(1)
		key, _ := L.Get(2).(lua.LString)
		if m := mtab.RawGetString(string(key)); m != lua.LNil {
			L.Push(m)
			return 1
		}
		if field != nil {
			L.Push(field(L, ud.Value, string(key)))
			return 1
		}
		L.Push(lua.LNil)
		return 1
	}))
	L.SetField(mt, "__newindex", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("%s: fields are read-only (tried to set '%s')", name, L.Get(2).String())
		return 0
	}))
	L.SetField(mt, "__tostring", L.NewFunction(func(L *lua.LState) int {
		ud := L.CheckUserData(1)
		if s, ok := ud.Value.(stringer); ok {
			L.Push(lua.LString(s.String()))
		} else {
			L.Push(lua.LString(name))
		}
		return 1
	}))
	L.SetField(mt, "__metatable", lua.LString(name))
	// __index is a function, which tools cannot list; __methods names the
	// methods for them (the REPL completes `obj:` from it).
	L.SetField(mt, "__methods", mtab)
}

func newUD(L *lua.LState, typ string, v any) *lua.LUserData {
	ud := L.NewUserData()
	ud.Value = v
	L.SetMetatable(ud, L.GetTypeMetatable(typ))
	return ud
}

// self returns the receiver of a method call, raising a clear error when
// the method was called with '.' instead of ':' or on the wrong object.
func self[T any](L *lua.LState, method string) T {
	if ud, ok := L.Get(1).(*lua.LUserData); ok {
		if v, ok := ud.Value.(T); ok {
			return v
		}
	}
	var zero T
	L.RaiseError("%s: bad self (got %s; call it with ':')", method, L.Get(1).Type())
	return zero
}

func randomID(prefix string) string { return prefix + ids.Hex(6) }

// --- exec and code_run ---

// exec is process.exec(command, {cwd=, env=, timeout=, tee=, stdin=,
// check=, merge=, detach=, max_output=}). command is shell text or an argv
// list. The result keeps the first max_output bytes of output (default 64
// MiB, -1 for no cap) and has truncated = true when there was more.
//
//	local r = process.exec("make test", {timeout = 60})
//	if not r.ok then print(r.stderr) end
//	process.exec({"git", "commit", "-m", msg}, {check = true})
func (a *api) exec(L *lua.LState) int {
	fname := a.name + ".exec"
	command := commandArg(L, fname, 1)
	o := luaargs.CheckOpts(L, fname, 2)
	req := client.ExecRequest{Command: command, Cwd: o.Str("cwd", ""), Env: o.Env("env"), Timeout: o.Seconds("timeout"),
		Merge: o.Bool("merge", false), Detach: o.Bool("detach", false), MaxOutput: maxOutputOpt(o)}
	req.OnOutput = a.h.teeOpt(o)
	hasStdin := o.Has("stdin")
	stdin := o.Str("stdin", "")
	hasCheck := o.Has("check")
	check := o.Bool("check", false)
	o.Done()
	a.h.defaultsOf(L).apply(&req.Cwd, &req.Env, &req.Timeout, &check, hasCheck)
	if hasStdin {
		req.Command = withStdin(command, stdin)
	}
	var res *client.ExecResult
	defer a.trace("exec", command, time.Now(), &res)
	err := a.h.wait(L, fname, "exec: "+firstLine(command), func(ctx context.Context) error {
		var err error
		res, err = a.c.Exec(ctx, req)
		return err
	})
	if err != nil {
		return luaargs.Fail(L, fname, err)
	}
	t := execResult(L, res)
	if check {
		checkResult(L, fname, command, t)
	}
	L.Push(t)
	return 1
}

// codeRun is process.code_run(code, {language=, argv=, env=, timeout=,
// tee=, stdin=, check=}). stdin goes to the backend as data (the code
// cannot be wrapped in shell text as exec's command is).
func (a *api) codeRun(L *lua.LState) int {
	fname := a.name + ".code_run"
	code := luaargs.CheckString(L, fname, 1, "code")
	o := luaargs.CheckOpts(L, fname, 2)
	req := client.CodeRunRequest{Code: code, Language: o.Str("language", ""), Argv: o.Strings("argv"), Env: o.Env("env"), Timeout: o.Seconds("timeout"), MaxOutput: maxOutputOpt(o), Merge: o.Bool("merge", false)}
	req.OnOutput = a.h.teeOpt(o)
	req.Stdin = o.Str("stdin", "")
	hasCheck := o.Has("check")
	check := o.Bool("check", false)
	o.Done()
	a.h.defaultsOf(L).apply(nil, &req.Env, &req.Timeout, &check, hasCheck)
	lang := req.Language
	if lang == "" {
		lang = client.Python
	}
	var res *client.ExecResult
	defer a.trace("code_run", lang+": "+code, time.Now(), &res)
	err := a.h.wait(L, fname, "code_run: "+lang, func(ctx context.Context) error {
		var err error
		res, err = a.c.CodeRun(ctx, req)
		return err
	})
	if err != nil {
		return luaargs.Fail(L, fname, err)
	}
	t := execResult(L, res)
	if check {
		checkResult(L, fname, "code_run ("+lang+")", t)
	}
	L.Push(t)
	return 1
}

func (h *Host) teeChunk(c client.Chunk) {
	if c.Stream == client.Stderr {
		_, _ = h.stderr.Write(c.Data)
		return
	}
	_, _ = h.stdout.Write(c.Data)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	if len(s) > 60 {
		s = s[:57] + "…"
	}
	return s
}

// execResult converts an ExecResult into the result table.
func execResult(L *lua.LState, r *client.ExecResult) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("exit_code", lua.LNumber(r.ExitCode))
	t.RawSetString("result", lua.LString(r.Result))
	if r.HasStreams {
		t.RawSetString("stdout", lua.LString(r.Stdout))
		t.RawSetString("stderr", lua.LString(r.Stderr))
	}
	art := L.NewTable()
	art.RawSetString("stdout", lua.LString(r.Artifacts.Stdout))
	charts := L.NewTable()
	for _, c := range r.Artifacts.Charts {
		charts.Append(toLua(L, jsonValue(c)))
	}
	art.RawSetString("charts", charts)
	t.RawSetString("artifacts", art)
	t.RawSetString("ok", lua.LBool(r.ExitCode == 0 && !r.TimedOut))
	t.RawSetString("timed_out", lua.LBool(r.TimedOut))
	if r.Signal != "" {
		t.RawSetString("signal", lua.LString(r.Signal))
	}
	if r.Truncated {
		t.RawSetString("truncated", lua.LTrue) // output past max_output was not kept
	}
	t.RawSetString("duration", lua.LNumber(r.Duration.Seconds()))
	return t
}

// jsonValue turns a struct into generic maps and slices via its JSON form,
// so the Lua table keys follow the JSON (snake_case) names.
func jsonValue(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return nil
	}
	return out
}

// toLua converts JSON-like Go values to Lua values.
func toLua(L *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case []any:
		t := L.CreateTable(len(v), 0)
		for _, e := range v {
			t.Append(toLua(L, e))
		}
		return t
	case map[string]any:
		t := L.CreateTable(0, len(v))
		for k, e := range v {
			t.RawSetString(k, toLua(L, e))
		}
		return t
	}
	return lua.LString(fmt.Sprint(v))
}

// --- connect ---

// connect is process.connect(url, {token=, detach=}): a process module
// bound to a remote server. The connection is closed when the run ends
// unless detach is set; conn:close() closes it earlier.
func (a *api) connect(L *lua.LState) int {
	fname := a.name + ".connect"
	url := luaargs.CheckString(L, fname, 1, "url")
	o := luaargs.CheckOpts(L, fname, 2)
	if isSSHURL(url) {
		return a.connectSSH(L, fname, url, o)
	}
	token := o.Str("token", "")
	detach := o.Bool("detach", false)
	o.Done()
	h := a.h
	if h.cfg.connector == nil {
		return luaargs.FailKind(L, fname+": connect not configured in this host", KindUnsupported)
	}
	var c client.Client
	err := h.wait(L, fname, "connect: "+url, func(ctx context.Context) error {
		var err error
		if detach {
			// What a detached connection creates outlives this run.
			ctx = remote.DetachedContext(ctx)
		}
		c, err = h.cfg.connector(ctx, url, token)
		return err
	})
	if err != nil {
		return luaargs.Fail(L, fname, err)
	}
	L.Push(a.remoteModule(L, c, url, detach))
	return 1
}

// luaSleep is process.sleep(seconds).
func (h *Host) luaSleep(L *lua.LState) int {
	d, ok := luaargs.OptSeconds(L, "process.sleep", 1, "seconds")
	if !ok {
		luaargs.ArgError(L, "process.sleep", 1, "seconds", "number expected, got nil")
	}
	_ = h.sleep(L, "process.sleep", d)
	return 0
}
