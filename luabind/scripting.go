package luabind

import (
	"fmt"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/internal/luaargs"
	"github.com/procsh/procsh/internal/shell"
)

// What keeps scripts short and safe: argv commands and process.quote,
// stdin=, check=true and the scoped defaults of process.with.

// commandArg reads argument n as a command: a string is shell text, a list
// of strings is a program and its arguments. A list is quoted word by word
// (internal/shell), so the shell reads every word back unchanged: no
// splitting, globbing or expansion, on every backend, including those that
// only take a shell string.
func commandArg(L *lua.LState, fname string, n int) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		// No program can receive a NUL: arguments and shell text are C
		// strings, so a NUL would be cut or refused somewhere below.
		if strings.IndexByte(string(v), 0) >= 0 {
			luaargs.ArgError(L, fname, n, "command", "contains a NUL byte")
		}
		return string(v)
	case lua.LNumber:
		return v.String()
	case *lua.LTable:
		argv, err := luaargs.StringList(v)
		if err != nil {
			luaargs.ArgError(L, fname, n, "command", err.Error())
		}
		if len(argv) == 0 {
			luaargs.ArgError(L, fname, n, "command", "empty list")
		}
		for i, w := range argv {
			if strings.IndexByte(w, 0) >= 0 {
				luaargs.ArgError(L, fname, n, "command", fmt.Sprintf("word %d contains a NUL byte", i+1))
			}
		}
		return shell.Join(argv)
	}
	luaargs.ArgError(L, fname, n, "command", luaargs.TypeMsg("string or list of strings", L.Get(n)))
	return ""
}

// quote is process.quote(s) → s as one shell word, or process.quote{...} →
// the words quoted and joined with spaces.
func quote(_ *api, L *lua.LState) int {
	switch v := L.Get(1).(type) {
	case lua.LString:
		L.Push(lua.LString(shell.Quote(string(v))))
	case lua.LNumber:
		L.Push(lua.LString(shell.Quote(v.String())))
	case *lua.LTable:
		argv, err := luaargs.StringList(v)
		if err != nil {
			luaargs.ArgError(L, "process.quote", 1, "s", err.Error())
		}
		L.Push(lua.LString(shell.Join(argv)))
	default:
		luaargs.ArgError(L, "process.quote", 1, "s", luaargs.TypeMsg("string or list of strings", v))
	}
	return 1
}

// withStdin returns shell text that runs command with data on its stdin,
// then EOF. The data goes through printf's %b escapes, so every byte
// survives, NUL included, and nothing in it is read as shell syntax.
func withStdin(command, data string) string {
	var b strings.Builder
	b.Grow(len(command) + len(data)*2 + 32)
	b.WriteString("printf '%b' '")
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte(" _-./,:@%+=", c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, `\0%03o`, c)
		}
	}
	b.WriteString("' | {\n")
	b.WriteString(command)
	b.WriteString("\n}")
	return b.String()
}

// commandError is the error value check=true raises: a userdata whose
// tostring is the message and whose fields are kind, message, result.
type commandError struct {
	msg    string
	kind   string
	result *lua.LTable
}

func (e *commandError) String() string { return e.msg }

const typeCommandError = "procsh.command_error"

func defineCommandError(L *lua.LState) {
	mt := L.NewTypeMetatable(typeCommandError)
	L.SetField(mt, "__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(L.CheckUserData(1).Value.(*commandError).msg))
		return 1
	}))
	L.SetField(mt, "__index", L.NewFunction(func(L *lua.LState) int {
		e := L.CheckUserData(1).Value.(*commandError)
		switch L.CheckString(2) {
		case "kind":
			L.Push(lua.LString(e.kind))
		case "message":
			L.Push(lua.LString(e.msg))
		case "result":
			L.Push(e.result)
		default:
			L.Push(lua.LNil)
		}
		return 1
	}))
	L.SetField(mt, "__concat", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(L.ToStringMeta(L.Get(1)).String() + L.ToStringMeta(L.Get(2)).String()))
		return 1
	}))
	L.SetField(mt, "__metatable", lua.LString(typeCommandError))
}

// stderrTail is how much of stderr a check error shows.
const stderrTail = 512

// checkResult raises a command error when check is set and res (a result
// table) is not ok. fname and command name the call in the message.
func checkResult(L *lua.LState, fname, command string, res *lua.LTable) {
	if lua.LVAsBool(res.RawGetString("ok")) {
		return
	}
	kind, status := luaargs.KindFailed, ""
	switch {
	case lua.LVAsBool(res.RawGetString("timed_out")):
		kind, status = luaargs.KindTimeout, "timed out"
	case res.RawGetString("signal") != lua.LNil:
		status = "killed by signal " + res.RawGetString("signal").String()
	default:
		status = "exit status " + res.RawGetString("exit_code").String()
	}
	errText := lua.LVAsString(res.RawGetString("stderr"))
	if errText == "" {
		errText = lua.LVAsString(res.RawGetString("result"))
	}
	errText = strings.TrimRight(errText, "\n")
	if len(errText) > stderrTail {
		errText = "…" + errText[len(errText)-stderrTail:]
	}
	where := L.Where(1)
	if strings.HasPrefix(where, "[G]") {
		where = "" // called from Go (pcall(process.exec, ...)): no Lua position
	} else if where != "" {
		where += " "
	}
	msg := fmt.Sprintf("%s%s: %s: %s", where, fname, firstLine(command), status)
	if errText != "" {
		msg += "\n" + errText
	}
	ud := L.NewUserData()
	ud.Value = &commandError{msg: msg, kind: kind, result: res}
	L.SetMetatable(ud, L.GetTypeMetatable(typeCommandError))
	L.Error(ud, 0)
}

// defaults are the scoped options of process.with.
type defaults struct {
	cwd     string
	env     map[string]string
	timeout time.Duration
	check   bool
	hasChk  bool
}

// defaultsOf returns the defaults in force for L: those of the innermost
// process.with on L's thread (or a coroutine's parents), or of the task's
// spawner.
func (h *Host) defaultsOf(L *lua.LState) *defaults {
	for th := L; th != nil; th = th.Parent {
		if d := h.scoped[th]; len(d) > 0 {
			return d[len(d)-1]
		}
	}
	return nil
}

// apply merges the defaults into a call's options: the call's own values
// win, env tables are merged key by key.
func (d *defaults) apply(cwd *string, env *map[string]string, timeout *time.Duration, check *bool, hasCheck bool) {
	if d == nil {
		return
	}
	if cwd != nil && *cwd == "" {
		*cwd = d.cwd
	}
	if env != nil && len(d.env) > 0 {
		m := map[string]string{}
		for k, v := range d.env {
			m[k] = v
		}
		for k, v := range *env {
			m[k] = v
		}
		*env = m
	}
	if timeout != nil && *timeout == 0 {
		*timeout = d.timeout
	}
	if check != nil && !hasCheck && d.hasChk {
		*check = d.check
	}
}

// with is process.with({cwd=, env=, timeout=, check=}, fn, ...): it calls
// fn(...) with those options as the defaults of every exec, code_run,
// session and session:run it makes (and of the tasks it spawns), and
// returns fn's results. Nested with blocks merge with the outer ones.
func with(a *api, L *lua.LState) int {
	h := a.h
	o := luaargs.CheckOpts(L, "process.with", 1)
	d := &defaults{cwd: o.Str("cwd", ""), env: o.Env("env"), timeout: o.Seconds("timeout")}
	d.hasChk = o.Has("check")
	d.check = o.Bool("check", false)
	o.Done()
	fn, ok := L.Get(2).(*lua.LFunction)
	if !ok {
		luaargs.ArgError(L, "process.with", 2, "fn", luaargs.TypeMsg("function", L.Get(2)))
	}
	if outer := h.defaultsOf(L); outer != nil {
		chk, has := d.check, d.hasChk
		outer.apply(&d.cwd, &d.env, &d.timeout, &chk, has)
		d.check, d.hasChk = chk, has || outer.hasChk
	}
	h.scoped[L] = append(h.scoped[L], d)
	defer func() {
		if s := h.scoped[L]; len(s) > 1 {
			h.scoped[L] = s[:len(s)-1]
		} else {
			delete(h.scoped, L)
		}
	}()
	top := L.GetTop()
	L.Push(fn)
	for i := 3; i <= top; i++ {
		L.Push(L.Get(i))
	}
	L.Call(top-2, lua.MultRet)
	return L.GetTop() - top
}
