package luabind

import (
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The surface of the process module: one registration table per object,
// from which the module and the metatables are built. Each entry carries
// its name, signature, options and a one-line doc string, so that
// documentation checks (surface_test.go), REPL help and editor stubs read
// the same source as the bindings.

// Member is one name the process module exposes to Lua: a function of the
// module, a method or field of one of its objects, or a constant.
type Member struct {
	// Name is the Lua name ("exec", "wait", "id").
	Name string
	// Args is the parameter list as written in the docs, with "{}" standing
	// for the options table ("(cmd, {})", "{}" for process.pty{...});
	// empty for fields and constants.
	Args string
	// Opts are the keys the options table accepts.
	Opts []string
	// Returns describes the results ("result", "nil, msg, kind"...).
	Returns string
	// Doc is one line of documentation.
	Doc string

	fn  func(a *api, L *lua.LState) int // module functions
	mfn lua.LGFunction                  // methods
}

// Field reports whether m is a field or constant rather than a function.
func (m Member) Field() bool { return m.Args == "" }

// Signature renders m as the docs write it, after prefix ("process.",
// "cmd:"): "process.exec(cmd, {cwd=, env=, timeout=, tee=}) → result".
func (m Member) Signature(prefix string) string {
	s := prefix + m.Name
	if m.Field() {
		return s
	}
	opts := "{}"
	if len(m.Opts) > 0 {
		opts = "{" + strings.Join(m.Opts, "=, ") + "=}"
	}
	s += strings.Replace(m.Args, "{}", opts, 1)
	if m.Returns != "" {
		s += " → " + m.Returns
	}
	return s
}

// Object is one Lua object type of the process module and its members.
type Object struct {
	// Name is the object's name in docs and messages: "process", "session",
	// "cmd", "pty", "task".
	Name string
	// Sep joins Name and a method in calls: "." for the module, ":" for
	// objects.
	Sep     string
	Members []Member
}

func fn(name, args string, opts []string, returns, doc string, f func(a *api, L *lua.LState) int) Member {
	return Member{Name: name, Args: args, Opts: opts, Returns: returns, Doc: doc, fn: f}
}

func method(name, args string, opts []string, returns, doc string, f lua.LGFunction) Member {
	return Member{Name: name, Args: args, Opts: opts, Returns: returns, Doc: doc, mfn: f}
}

func field(name, doc string) Member { return Member{Name: name, Doc: doc} }

func hostFn(f func(h *Host, L *lua.LState) int) func(a *api, L *lua.LState) int {
	return func(a *api, L *lua.LState) int { return f(a.h, L) }
}

var (
	execOpts    = []string{"cwd", "env", "timeout", "tee", "stdin", "check", "merge", "detach", "max_output"}
	codeRunOpts = []string{"language", "argv", "env", "timeout", "tee", "stdin", "check", "merge", "max_output"}
	attachOpts  = []string{"scrollback", "on_output", "strip_ansi", "timeout"}
)

// processObject is the process module (and what process.connect returns,
// which adds url and close). It is a function because the module's own
// functions (connect) build modules from it.
func processObject() Object {
	return Object{Name: "process", Sep: ".", Members: []Member{
		fn("exec", "(cmd, {})", execOpts, "result", "Runs cmd (shell text, or an argv list run word for word) and waits for it.", (*api).exec),
		fn("code_run", "(code, {})", codeRunOpts, "result", "Runs code in a language runtime (python, javascript, typescript).", (*api).codeRun),
		fn("session", "(id | {})", []string{"id", "cwd", "env", "detach"}, "session", "Creates a session: a shell whose state persists between commands.", (*api).session),
		fn("get_session", "(id)", nil, "session", "Looks up an existing session (not deleted at the end of the run).", (*api).getSession),
		fn("list_sessions", "()", nil, "{info...}", "Lists the backend's sessions.", (*api).listSessions),
		fn("delete_session", "(id)", nil, "true", "Deletes a session and ends its commands.", (*api).deleteSession),
		fn("pty", "{}", []string{"id", "cols", "rows", "cwd", "env", "command", "on_output", "record", "strip_ansi", "timeout", "detach"}, "pty", "Starts a PTY session running command (default: the login shell).", (*api).pty),
		fn("attach_pty", "(id, {})", attachOpts, "pty", "Attaches to an existing PTY (not killed at the end of the run).", (*api).attachPTY),
		fn("get_pty", "(id, {})", attachOpts, "pty", "Looks up an existing PTY and attaches to it, as attach_pty.", (*api).getPTY),
		fn("list_ptys", "()", nil, "{info...}", "Lists the backend's PTYs.", (*api).listPTYs),
		fn("resize_pty", "(id, cols, rows)", nil, "info", "Resizes a PTY by id.", (*api).resizePTY),
		fn("kill_pty", "(id)", nil, "true", "Kills a PTY by id.", (*api).killPTY),
		fn("connect", "(url, {})", []string{"token", "detach", "identity", "known_hosts", "agent", "mode", "password", "ssh_config"}, "remote", "Connects to a procsh or Daytona toolbox server, or an SSH host (ssh://…): a module like process, plus url and close().", (*api).connect),
		fn("spawn", "(fn, ...)", nil, "task", "Runs fn(...) as a concurrent task.", hostFn((*Host).spawn)),
		fn("wait_all", "(list, timeout?)", nil, "{outcome...}", "Waits for every task and command in list.", hostFn((*Host).waitAll)),
		fn("wait_any", "(list, timeout?)", nil, "index, outcome", "Waits until one task or command in list is done.", hostFn((*Host).waitAny)),
		fn("sleep", "(seconds)", nil, "", "Sleeps; other tasks run meanwhile.", hostFn((*Host).luaSleep)),
		fn("wait_for", "{}", []string{"port", "host", "http", "status", "file", "timeout", "interval"}, "true | nil, msg, \"timeout\"", "Waits until a port accepts connections, a URL answers or a file exists, checked on this backend.", waitFor),
		fn("retry", "(n, fn, {})", []string{"delay", "backoff", "max_delay"}, "fn's results", "Calls fn(attempt) up to n times until it succeeds, sleeping between attempts.", retry),
		fn("map", "(items, fn, {})", []string{"limit", "fail_fast"}, "{{ok=, value=} | {ok=false, error=, kind=}...}", "Runs fn(item, i) for every item in tasks, at most limit at once; results in input order.", mapCall),
		fn("daytona", "{}", []string{"api_key", "api_url", "organization_id", "poll_interval"}, "daytona", "A Daytona API client: get(id), list(), create{}, delete(id); a sandbox's connect() gives a module like process.", (*api).luaDaytona),
		fn("quote", "(s | {words})", nil, "string", "Quotes s as one shell word, or a list of words joined with spaces.", quote),
		fn("with", "({}, fn, ...)", []string{"cwd", "env", "timeout", "check"}, "fn's results", "Calls fn with these options as defaults for exec, code_run, session and session:run.", with),
		field("EOF", "Expect pattern that matches the end of output."),
		field("TIMEOUT", "Expect pattern that matches when the wait times out."),
	}}
}

// remoteObject lists what a module returned by process.connect has besides
// the members of process (its functions are those of process, bound to the
// remote server).
var remoteObject = Object{Name: "remote", Sep: ".", Members: []Member{
	field("url", "The server's URL."),
	method("close", "()", nil, "true", "Closes the connection (also done at the end of the run unless detached).", nil),
}}

var sessionObject = Object{Name: "session", Sep: ":", Members: []Member{
	field("id", "The session's id."),
	method("run", "(cmd, {})", []string{"timeout", "tee", "suppress_echo", "stdin", "check"}, "result", "Runs cmd (shell text or argv list) in the session's shell and waits for it.", sessionRun),
	method("start", "(cmd, {})", []string{"on_stdout", "on_stderr", "on_data", "on_exit", "tee", "detach", "suppress_echo", "stdin"}, "cmd", "Starts cmd in the session's shell and returns its handle at once.", sessionStart),
	method("info", "()", nil, "{id, commands}", "The session's info.", sessionInfo),
	method("commands", "()", nil, "{info...}", "The session's commands.", sessionCommands),
	method("command", "(id)", nil, "cmd", "A handle on an existing command of the session.", sessionCommand),
	method("delete", "()", nil, "true", "Deletes the session.", sessionDelete),
}}

var commandObject = Object{Name: "cmd", Sep: ":", Members: []Member{
	field("id", "The command's id."),
	field("session_id", "The id of the command's session."),
	field("command", "The command's text."),
	method("wait", "(timeout?)", nil, "result", "Waits for the command to end and its callbacks to run.", cmdWait),
	method("logs", "()", nil, "{output, stdout, stderr}", "The command's output so far.", cmdLogs),
	method("info", "()", nil, "{id, command, exit_code, signal, done}", "The command's info.", cmdInfo),
	method("send", "(data)", nil, "true", "Writes data to the command's stdin.", cmdSend),
	method("close_stdin", "()", nil, "true", "Closes the command's stdin (EOF).", cmdCloseStdin),
	method("kill", "(signal?)", nil, "true", "Sends a signal (default TERM) to the command.", cmdKill),
	method("expect", "(patterns, {})", []string{"timeout"}, "index, match", "Waits until one of the patterns matches the command's output, as pty:expect.", cmdExpect),
	method("lines", "()", nil, "iterator", "Iterates over the command's output lines: for line, stream in cmd:lines().", cmdLines),
	method("on_stdout", "(fn)", nil, "cmd", "Sets the callback for stdout lines: fn(line, stream, cmd).", func(L *lua.LState) int { return cmdSetCallback(L, "on_stdout") }),
	method("on_stderr", "(fn)", nil, "cmd", "Sets the callback for stderr lines: fn(line, stream, cmd).", func(L *lua.LState) int { return cmdSetCallback(L, "on_stderr") }),
	method("on_data", "(fn)", nil, "cmd", "Sets the callback for raw output chunks: fn(data, stream, cmd), byte-exact.", func(L *lua.LState) int { return cmdSetCallback(L, "on_data") }),
	method("on_exit", "(fn)", nil, "cmd", "Sets the callback for the end: fn(result, cmd).", func(L *lua.LState) int { return cmdSetCallback(L, "on_exit") }),
}}

var ptyObject = Object{Name: "pty", Sep: ":", Members: []Member{
	field("id", "The PTY's id."),
	method("send", "(data)", nil, "true", "Writes data to the PTY.", ptySend),
	method("send_line", "(s)", nil, "true", "Writes s and a newline.", ptySendLine),
	method("send_control", "(key)", nil, "true", "Sends a control key: \"c\" is Ctrl-C.", ptySendControl),
	method("expect", "(patterns, {})", []string{"timeout", "strip_ansi"}, "index, match", "Waits until one of the patterns matches the output.", ptyExpect),
	method("resize", "(cols, rows)", nil, "true", "Resizes the PTY.", ptyResize),
	method("wait", "(timeout?)", nil, "{exit_code, reason}", "Waits for the PTY's program to end.", ptyWait),
	method("kill", "()", nil, "true", "Kills the PTY's process tree.", ptyKill),
	method("close", "()", nil, "true", "Detaches this object from the PTY.", ptyClose),
	method("on_output", "(fn)", nil, "pty", "Sets the output callback: fn(data, pty) for every chunk.", ptyOnOutput),
	method("info", "()", nil, "info", "The PTY's info.", ptyInfo),
	method("buffered", "()", nil, "string", "Output received but not consumed by expect yet.", ptyBuffered),
	method("scrollback", "()", nil, "data, truncated", "The recent output delivered on attach (scrollback=true).", ptyScrollback),
}}

var taskObject = Object{Name: "task", Sep: ":", Members: []Member{
	method("wait", "(timeout?)", nil, "...", "Waits for the task and returns its results (or raises its error).", taskWait),
	method("cancel", "()", nil, "", "Cancels the task.", taskCancel),
	method("done", "()", nil, "boolean", "Whether the task has finished.", taskDone),
}}

// Surface returns the process module's objects and their members, the
// table that registers the bindings: process, remote (what process.connect
// adds to the members of process), session, cmd, pty and task.
func Surface() []Object {
	return []Object{processObject(), remoteObject, sessionObject, commandObject, ptyObject, taskObject}
}

// methodTable returns the methods of o for defineType.
func (o Object) methodTable() map[string]lua.LGFunction {
	m := map[string]lua.LGFunction{}
	for _, mem := range o.Members {
		if mem.mfn != nil {
			m[mem.Name] = mem.mfn
		}
	}
	return m
}

// Names returns the sorted names of o's members.
func (o Object) Names() []string {
	var out []string
	for _, m := range o.Members {
		out = append(out, m.Name)
	}
	sort.Strings(out)
	return out
}
