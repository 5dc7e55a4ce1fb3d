// Package luabind is the Lua host of procsh: it runs gopher-lua scripts
// whose process module drives a client.Client (the local machine, or a
// remote procsh/Daytona server), and it is the embedding API that
// cmd/procsh and other Go programs use.
//
//	h, _ := luabind.New(backend, luabind.WithStdout(os.Stdout))
//	defer h.Close()
//	err := h.RunString(ctx, "job.lua", `print(process.exec("uname -s").stdout)`)
//
// # Threading contract
//
// One Lua state serves the whole script, and gopher-lua states are not safe
// for concurrent use. The host therefore runs every Lua task on its own
// goroutine and in its own Lua thread (lua.LState.NewThread): the main
// chunk, each process.spawn task, the callback dispatcher of each command
// and PTY, and each Eval. A single lock (the GIL, internal/gil) guards the
// state; a goroutine holds it while it executes Lua code. Every binding that
// can block (exec, wait, sleep, expect, lines, ...) releases the lock while
// it waits and takes it back afterwards, so other tasks and callbacks run
// meanwhile.
//
// Why this design rather than coroutines that yield to a scheduler: in
// gopher-lua v1.1.2 a Go function that yields across pcall/xpcall or a
// generic-for iterator silently misbehaves (pcall returns early, the next
// resume crashes). With the lock, a blocking call is an ordinary function
// call that happens to park its goroutine, so it works in every position:
// the main chunk, pcall/xpcall, callbacks, generic-for iterators, user
// coroutines and tasks. Only one goroutine runs Lua at a time, so there is
// no parallelism inside a script (none is needed: the processes run in
// parallel), and a task that loops without blocking starves the others until
// it blocks or ends, exactly as in a single-threaded event loop.
//
// Waits that can never end are errors rather than hangs: a task waiting for
// itself, a callback waiting for its own command, and tasks and command
// callbacks that wait for each other in a cycle (task:wait, cmd:wait and
// process.wait_all without a timeout) raise an error (for a cycle:
// "deadlock: ..."). A coroutine that is parked in a blocking call cannot be
// resumed by another task meanwhile (coroutine.resume returns false and a
// message, as for a running coroutine).
//
// Known limits: a task that never blocks holds the lock until it ends. In a
// script, cancelling the context still stops it (the VM checks the context
// before every instruction); in the REPL, an Eval waiting for such a
// background task returns when its context is cancelled (Ctrl-C), and an
// Eval whose own blocking call let the task in, once cancelled, waits a
// second and then cancels the REPL's background tasks to get the
// interpreter back; Close stops them too. Lua threads are recycled between tasks,
// so a thread value kept from coroutine.running() in a finished task must
// not be used.
//
// For embedders: Host methods are safe to call from any goroutine. RunString,
// RunFile and Eval run one at a time. A Host may run many scripts in turn;
// mixing Eval with RunString works, but what background tasks of earlier
// Evals start while a RunString runs is cleaned up with that run. Do gives exclusive access to the state.
// RunStringResults returns what the chunk returned. Go slices, arrays and
// maps given with WithGlobal iterate with ipairs and pairs (maps with
// string or number keys in key order), and Fallible adapts a Go function
// returning (T, error) to the nil, message, kind convention.
// Go functions registered with WithModule or WithGlobal run with the lock
// held and must not keep the *lua.LState they receive (it is the calling
// task's thread). One that waits (for the network, a timer, a channel) waits
// through Host.Block, which releases the lock meanwhile and honours
// cancellation, exactly as the process module's own blocking calls do; a Go
// function that blocks without it stalls every task of the script. The
// scheduler (sched.go) implements this whole contract in one place.
//
// # Runs, pending work and cleanup
//
// A run (RunString or RunFile) ends when the main chunk has returned and
// nothing is pending: every task has finished and every un-detached command
// with callbacks has ended and had its callbacks run (k6-style pending
// counter). Commands without callbacks and PTYs do not keep a run alive; a
// command with callbacks that never ends (tail -f) does, until it is killed,
// the run is cancelled, or it was started with detach=true.
// Then the host ends everything the run started and did not detach
// (detach=true): running commands are killed, sessions deleted, PTYs killed,
// tasks cancelled, remote connections closed, and it waits for its own
// goroutines. A Lua error in the main chunk or a cancelled context ends the
// run at once, with the same cleanup. Eval never waits and never cleans up;
// what it starts lives until Close.
//
// # Cancellation
//
// Each thread carries the run's (or the Eval's) context: gopher-lua checks
// it before every instruction, and every blocking binding selects on it, so
// a cancelled context stops a script promptly even mid-wait, and pcall cannot
// swallow the cancellation for more than one instruction. os.exit(code) is
// host-safe in both profiles: it cancels the run the same way and RunString
// returns *ExitError.
//
// # Callbacks
//
// on_stdout/on_stderr receive (line, stream, cmd) per output line (without
// the newline; a final unterminated line is delivered too); on_data
// receives (data, stream, cmd) for every chunk of output as it arrives,
// byte-exact; on_exit receives (result, cmd); a PTY's on_output receives
// (data, pty). Callbacks of one command run in order, on that command's own
// Lua thread, under the lock, and may call blocking functions. cmd:wait()
// returns only after every callback of the command has run. A failing
// callback is reported on the host's stderr with its traceback, recorded in
// the result (callback_error) and as the run's error (RunString returns it
// once the run is over); it does not abort the run, and later callbacks
// still run. A task that fails and is never waited for is reported the
// same way.
//
// # Errors
//
// Expected failures return nil, message, kind, with kind one of not_found,
// conflict, invalid, timeout, closed, unsupported, unauthorized,
// unavailable, canceled, error (see the Kind constants; all but the last
// two are client.KindName's names), so assert(process.exec(...)) works.
// Programmer errors (wrong argument types, unknown option keys) raise an
// error naming the function and the argument. Script errors surface as
// *ScriptError with "file:line: message" and a traceback.
//
// # The process module
//
// process is a global and require("process"). Durations are seconds
// (fractions allowed). Options tables reject unknown keys. Every name below
// comes from one registration table (Surface, in surface.go) that also
// carries a one-line doc string per name; a test checks this list, the
// README and the table against each other. The REPL's help(x) and the
// editor stubs of procsh init (package luadoc) read the same table.
//
//	process.exec(cmd, {cwd=, env=, timeout=, tee=, stdin=, check=,
//	  merge=, detach=, max_output=}) → result
//	  (cmd is shell text, or an argv list run word for word, quoted for the shell)
//	process.code_run(code, {language=, argv=, env=, timeout=, tee=, stdin=, check=,
//	  merge=, max_output=}) → result   (stdin: written to the program, then EOF)
//	  result = {exit_code, result, stdout, stderr, artifacts={stdout, charts},
//	            ok, timed_out, signal, truncated, duration}   (stdout/stderr when known;
//	            truncated when output passed max_output, default 64 MiB, -1: no cap)
//	process.session(id | {id=, cwd=, env=, detach=}) → session
//	process.get_session(id) → session · process.list_sessions() → {info...}
//	process.delete_session(id) → true
//	  session.id
//	  session:run(cmd, {timeout=, tee=, suppress_echo=, stdin=, check=}) → result
//	  session:start(cmd, {on_stdout=, on_stderr=, on_data=, on_exit=, tee=, detach=, suppress_echo=, stdin=}) → cmd
//	  session:info() · session:commands() · session:command(id) → cmd · session:delete()
//	  cmd.id · cmd.session_id · cmd.command
//	  cmd:wait(timeout?) → result | nil, "timeout", "timeout"
//	  cmd:logs() → {output, stdout, stderr} · cmd:info() → {id, command, exit_code, signal, done}
//	  cmd:send(data) · cmd:close_stdin() · cmd:kill(signal?)
//	  cmd:on_stdout(fn) · cmd:on_stderr(fn) · cmd:on_data(fn) · cmd:on_exit(fn) → cmd
//	  for line, stream in cmd:lines() do ... end
//	  cmd:expect(patterns, {timeout=}) → as pty:expect, over the command's output
//	process.pty{id=, cols=, rows=, cwd=, env=, command=, on_output=, record=, strip_ansi=, timeout=, detach=} → pty
//	process.attach_pty(id, {scrollback=, on_output=, strip_ansi=, timeout=}) → pty
//	process.get_pty(id, {scrollback=, on_output=, strip_ansi=, timeout=}) → pty (the same as attach_pty)
//	process.list_ptys() → {info...} · process.resize_pty(id, cols, rows) → info · process.kill_pty(id)
//	  pty.id · pty:send(data) · pty:send_line(s) · pty:send_control("c")
//	  pty:expect(patterns, {timeout=, strip_ansi=}) → index, {before, match, groups}
//	    | nil, message, "timeout" | nil, "eof", "closed"
//	    (timeout: 30 s unless given per call or per PTY; the message names the
//	    patterns and shows the unmatched output)
//	    (a pattern is a Go regexp string, {exact=s}, process.EOF or process.TIMEOUT)
//	  pty:resize(cols, rows) · pty:wait(timeout?) → {exit_code, reason}
//	  pty:kill() · pty:close() · pty:on_output(fn) · pty:info() · pty:buffered()
//	  pty:scrollback() → data, truncated
//	process.connect(url, {token=, detach=}) → remote: the functions of process on a
//	    remote server, plus remote.url and remote.close()
//	process.connect("ssh://[user@]host[:port]", {identity=, known_hosts=, agent=, mode=,
//	    password=, ssh_config=, detach=}) → remote on an SSH host (client/ssh), with a mode field
//	process.spawn(fn, ...) → task · task:wait(timeout?) → fn's results · task:cancel()
//	task:done() → boolean
//	process.wait_all(list, timeout?) → firsts, all   (firsts[i]: a command's result or a
//	    task's first value; all[i]: every value, {n=, ...})
//	process.wait_any(list, timeout?) → index, values...  (every value of the first done)
//	process.sleep(seconds)
//	process.wait_for{port=, host=, http=, status=, file=, timeout=, interval=} → true
//	    | nil, message, "timeout"   (checked by commands on this backend)
//	process.retry(n, fn, {delay=, backoff=, max_delay=}) → fn(attempt)'s results
//	process.quote(s) → one shell word · process.quote{words...} → quoted words joined by spaces
//	process.with({cwd=, env=, timeout=, check=}, fn, ...) → fn's results, with those
//	    options as the defaults of exec, code_run, session and session:run inside fn
//	process.map(items, fn, {limit=, fail_fast=}) → results in input order, each
//	    {ok=true, value=} or {ok=false, error=, kind=}
//	process.daytona{api_key=, api_url=, organization_id=, poll_interval=} → a Daytona API client
//	    (get, list, create, delete; sandbox:connect() → remote)
//
// stdin=data writes data to the command's stdin, then EOF. check=true makes
// a non-zero exit or a signal raise an error of kind "failed" (a timeout:
// kind "timeout"), an object with kind, message and result fields whose
// message names the command, its status and the tail of its stderr.
package luabind
