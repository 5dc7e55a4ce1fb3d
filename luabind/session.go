package luabind

import (
	"context"
	"errors"
	"sync/atomic"
	"syscall"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/internal/luaargs"

	"github.com/procsh/procsh/client"
)

// session is a Lua session object.
type session struct {
	a  *api
	id string
}

func (s *session) String() string { return "session " + s.id }

func sessionField(L *lua.LState, v any, key string) lua.LValue {
	if key == "id" {
		return lua.LString(v.(*session).id)
	}
	return lua.LNil
}

// session is process.session(id?) or process.session{id=, cwd=, env=,
// detach=}: it creates a session (a random id when none is given). The
// session is deleted when the run ends unless detach is set.
//
//	local s = process.session{cwd = "/tmp"}
//	s:run("export X=1")
//	print(s:run("echo $X").stdout) --> 1
func (a *api) session(L *lua.LState) int {
	fname := a.name + ".session"
	var so client.SessionOptions
	detach := false
	switch v := L.Get(1).(type) {
	case *lua.LNilType:
	case lua.LString:
		so.ID = string(v)
	case *lua.LTable:
		o := luaargs.CheckOpts(L, fname, 1)
		so.ID = o.Str("id", "")
		so.Cwd = o.Str("cwd", "")
		so.Env = o.Env("env")
		detach = o.Bool("detach", false)
		o.Done()
	default:
		luaargs.ArgError(L, fname, 1, "id or options", luaargs.TypeMsg("string or table", v))
	}
	a.h.defaultsOf(L).apply(&so.Cwd, &so.Env, nil, nil, false)
	if so.ID == "" {
		so.ID = randomID("lua-")
	}
	h := a.h
	r := h.cur
	err := h.wait(L, fname, "", func(ctx context.Context) error {
		err := a.c.CreateSession(ctx, so)
		// Registered here, not after wait returns: if the run is cancelled
		// while the session is being created, wait raises and nothing after
		// it runs, yet the session exists and must end with the run.
		if err == nil && !detach {
			id := so.ID
			gone := new(atomic.Bool)
			a.deleted.Store(id, gone)
			r.add(resourceFunc(func(ctx context.Context) {
				if !gone.Load() {
					_ = a.c.DeleteSession(ctx, id)
				}
			}))
		}
		return err
	})
	if err != nil {
		return luaargs.Fail(L, fname, err)
	}
	L.Push(newUD(L, typeSession, &session{a: a, id: so.ID}))
	return 1
}

// getSession is process.get_session(id): a session object for an existing
// session (not deleted at the end of the run), or nil, message, "not_found".
func (a *api) getSession(L *lua.LState) int {
	fname := a.name + ".get_session"
	id := luaargs.CheckString(L, fname, 1, "id")
	err := a.h.wait(L, fname, "", func(ctx context.Context) error {
		_, err := a.c.GetSession(ctx, id)
		return err
	})
	if err != nil {
		return luaargs.Fail(L, fname, err)
	}
	L.Push(newUD(L, typeSession, &session{a: a, id: id}))
	return 1
}

// listSessions is process.list_sessions(): a list of session info tables.
func (a *api) listSessions(L *lua.LState) int {
	fname := a.name + ".list_sessions"
	var infos []client.SessionInfo
	err := a.h.wait(L, fname, "", func(ctx context.Context) error {
		var err error
		infos, err = a.c.ListSessions(ctx)
		return err
	})
	if err != nil {
		return luaargs.Fail(L, fname, err)
	}
	t := L.CreateTable(len(infos), 0)
	for i := range infos {
		t.Append(sessionInfoTable(L, &infos[i]))
	}
	L.Push(t)
	return 1
}

// deleteSession is process.delete_session(id) → true.
func (a *api) deleteSession(L *lua.LState) int {
	fname := a.name + ".delete_session"
	id := luaargs.CheckString(L, fname, 1, "id")
	err := a.h.wait(L, fname, "", func(ctx context.Context) error { return a.c.DeleteSession(ctx, id) })
	if err != nil {
		return luaargs.Fail(L, fname, err)
	}
	a.markDeleted(id)
	L.Push(lua.LTrue)
	return 1
}

func sessionInfoTable(L *lua.LState, si *client.SessionInfo) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("id", lua.LString(si.ID))
	cmds := L.CreateTable(len(si.Commands), 0)
	for i := range si.Commands {
		cmds.Append(commandInfoTable(L, &si.Commands[i]))
	}
	t.RawSetString("commands", cmds)
	return t
}

func commandInfoTable(L *lua.LState, ci *client.CommandInfo) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("id", lua.LString(ci.ID))
	t.RawSetString("command", lua.LString(ci.Command))
	if ci.ExitCode != nil {
		t.RawSetString("exit_code", lua.LNumber(*ci.ExitCode))
	}
	if ci.Signal != "" {
		t.RawSetString("signal", lua.LString(ci.Signal))
	}
	t.RawSetString("done", lua.LBool(ci.Done()))
	return t
}

// sessionRun is session:run(command, {timeout=, tee=, suppress_echo=,
// stdin=, check=}): it runs command (shell text or an argv list) in the
// session's shell and waits for it. On timeout the command is killed (TERM)
// and the result has timed_out = true.
func sessionRun(L *lua.LState) int {
	s := self[*session](L, "session:run")
	fname := "session:run"
	command := commandArg(L, fname, 2)
	o := luaargs.CheckOpts(L, fname, 3)
	timeout := o.Seconds("timeout")
	tee := s.a.h.teeOpt(o)
	req := client.SessionExecRequest{Command: command, Async: true, SuppressInputEcho: o.Bool("suppress_echo", false)}
	hasStdin := o.Has("stdin")
	stdin := o.Str("stdin", "")
	hasCheck := o.Has("check")
	check := o.Bool("check", false)
	o.Done()
	s.a.h.defaultsOf(L).apply(nil, nil, &timeout, &check, hasCheck)
	var traced *lua.LTable
	defer s.a.traceTable(time.Now(), "run", command, &traced)
	if timeout == 0 && tee == nil && !hasStdin {
		n := s.runSync(L, fname, req)
		if n == 1 {
			traced = L.Get(-1).(*lua.LTable)
			if check {
				checkResult(L, fname, command, traced)
			}
		}
		return n
	}
	c, n := s.startCommand(L, fname, req, true)
	if c == nil {
		return n
	}
	if tee != nil {
		c.startTee(tee)
	}
	if hasStdin {
		c.feed(stdin)
	}
	timedOut, err := c.await(L, fname, timeout, timeout > 0, true)
	if timedOut {
		a := s.a
		kerr := a.h.wait(L, fname, "", func(ctx context.Context) error {
			return a.c.KillCommand(ctx, s.id, c.id, syscall.SIGTERM)
		})
		// A command that ended on its own as the deadline passed (the
		// kill finds it completed) did not time out: its status is its own.
		c.timedOut = !errors.Is(kerr, client.ErrClosed)
		_, err = c.await(L, fname, 0, false, true)
	}
	if err != nil {
		return luaargs.Fail(L, fname, err)
	}
	t := c.result(L)
	traced = t
	if check {
		checkResult(L, fname, command, t)
	}
	L.Push(t)
	return 1
}

// runSync runs req with one synchronous ExecSession call, the cheap path
// (one round trip on a remote backend) when neither timeout nor tee needs a
// command handle. Cancelling the thread's context makes the backend kill
// the command.
func (s *session) runSync(L *lua.LState, fname string, req client.SessionExecRequest) int {
	req.Async = false
	a := s.a
	var res *client.SessionExecResult
	start := time.Now()
	err := a.h.wait(L, fname, "run: "+firstLine(req.Command), func(ctx context.Context) error {
		var err error
		res, err = a.c.ExecSession(ctx, s.id, req)
		return err
	})
	if err != nil {
		return luaargs.Fail(L, fname, err)
	}
	er := &client.ExecResult{ExitCode: -1, Result: res.Output, Stdout: res.Stdout, Stderr: res.Stderr, HasStreams: true,
		Signal: res.Signal, Truncated: res.Truncated, Duration: time.Since(start)}
	er.Artifacts.Stdout = res.Output
	if res.ExitCode != nil {
		er.ExitCode = *res.ExitCode
	}
	t := execResult(L, er)
	t.RawSetString("id", lua.LString(res.CmdID))
	L.Push(t)
	return 1
}

// sessionStart is session:start(command, {on_stdout=, on_stderr=, on_data=,
// on_exit=, suppress_echo=, tee=, detach=, stdin=}): it starts command (shell text or
// an argv list) and returns a command handle at once (stdin, if given, is
// written and closed in the background). Unless detached, the command is killed when the run ends
// and, if it has callbacks, the run waits for it first. A detached command
// still ends when its session is deleted, so to keep it running past the
// run, detach the session too.
//
//	local cmd = s:start("make", {on_stdout = function(line) print("make: " .. line) end})
//	local r = cmd:wait()
func sessionStart(L *lua.LState) int {
	s := self[*session](L, "session:start")
	fname := "session:start"
	command := commandArg(L, fname, 2)
	o := luaargs.CheckOpts(L, fname, 3)
	onStdout, onStderr, onExit := o.Function("on_stdout"), o.Function("on_stderr"), o.Function("on_exit")
	onData := o.Function("on_data")
	tee := s.a.h.teeOpt(o)
	detach := o.Bool("detach", false)
	req := client.SessionExecRequest{Command: command, Async: true, SuppressInputEcho: o.Bool("suppress_echo", false)}
	hasStdin := o.Has("stdin")
	stdin := o.Str("stdin", "")
	o.Done()
	c, n := s.startCommand(L, fname, req, !detach)
	if c == nil {
		return n
	}
	s.a.traceLine(c.started, "start", command, "")
	c.detached = detach
	if tee != nil {
		c.startTee(tee)
	}
	if onStdout != nil || onStderr != nil || onExit != nil || onData != nil {
		c.onStdout, c.onStderr, c.onExit, c.onData = onStdout, onStderr, onExit, onData
		c.startCallbacks()
	}
	if hasStdin {
		c.feed(stdin)
	}
	L.Push(c.ud)
	return 1
}

// startCommand submits req and returns the handle, or nil and the number of
// failure values pushed.
func (s *session) startCommand(L *lua.LState, fname string, req client.SessionExecRequest, cleanup bool) (*command, int) {
	a := s.a
	var res *client.SessionExecResult
	started := time.Now()
	err := a.h.wait(L, fname, "", func(ctx context.Context) error {
		var err error
		res, err = a.c.ExecSession(ctx, s.id, req)
		return err
	})
	if err != nil {
		return nil, luaargs.Fail(L, fname, err)
	}
	c := a.newCommand(L, s.id, res.CmdID, req.Command, started)
	if cleanup {
		a.h.cur.add(c)
	}
	return c, 0
}

// sessionInfo is session:info() → {id=, commands={...}}.
func sessionInfo(L *lua.LState) int {
	s := self[*session](L, "session:info")
	var si *client.SessionInfo
	err := s.a.h.wait(L, "session:info", "", func(ctx context.Context) error {
		var err error
		si, err = s.a.c.GetSession(ctx, s.id)
		return err
	})
	if err != nil {
		return luaargs.Fail(L, "session:info", err)
	}
	L.Push(sessionInfoTable(L, si))
	return 1
}

// sessionCommands is session:commands() → list of command info tables.
func sessionCommands(L *lua.LState) int {
	s := self[*session](L, "session:commands")
	var si *client.SessionInfo
	err := s.a.h.wait(L, "session:commands", "", func(ctx context.Context) error {
		var err error
		si, err = s.a.c.GetSession(ctx, s.id)
		return err
	})
	if err != nil {
		return luaargs.Fail(L, "session:commands", err)
	}
	L.Push(sessionInfoTable(L, si).RawGetString("commands"))
	return 1
}

// sessionCommand is session:command(id): a handle on an existing command of
// this session (not killed at the end of the run).
func sessionCommand(L *lua.LState) int {
	s := self[*session](L, "session:command")
	id := luaargs.CheckString(L, "session:command", 2, "id")
	var ci *client.CommandInfo
	err := s.a.h.wait(L, "session:command", "", func(ctx context.Context) error {
		var err error
		ci, err = s.a.c.GetCommand(ctx, s.id, id)
		return err
	})
	if err != nil {
		return luaargs.Fail(L, "session:command", err)
	}
	c := s.a.newCommand(L, s.id, id, ci.Command, time.Now())
	c.detached = true
	L.Push(c.ud)
	return 1
}

// sessionDelete is session:delete() → true.
func sessionDelete(L *lua.LState) int {
	s := self[*session](L, "session:delete")
	err := s.a.h.wait(L, "session:delete", "", func(ctx context.Context) error { return s.a.c.DeleteSession(ctx, s.id) })
	if err != nil {
		return luaargs.Fail(L, "session:delete", err)
	}
	s.a.markDeleted(s.id)
	L.Push(lua.LTrue)
	return 1
}
