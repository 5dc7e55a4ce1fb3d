// Package local is the procsh backend that runs processes on this machine:
// one-shot commands and code runs with os/exec, persistent shell sessions, and
// PTY sessions with github.com/creack/pty. It implements client.Client.
//
// # Exec
//
// The shell is chosen as the Daytona toolbox does (the first of zsh and bash
// listed in /etc/shells, else $SHELL, else sh) unless WithShell says
// otherwise. The script is written to a 0600 temporary file and run as
// `<shell> <file>` in its own process group with stdin from /dev/null: no
// ARG_MAX limit, and, unlike the toolbox (which feeds the script on stdin),
// a `read` in the script reads EOF rather than the script's next line.
// stdout and stderr are read from separate pipes; the combined Result is in
// arrival order, which matches write order for writes that are not closer
// together than the reader's scheduling latency. With ExecRequest.Merge
// both go to one pipe (2>&1), so Result and Stdout are in exact write order.
// A working directory that is not a directory is ErrInvalidArgument. A run
// ended by signal n reports exit code 128+n and the signal's name.
//
// Nothing the script started outlives Exec unless ExecRequest.Detach is set:
// once the shell has exited and its output is drained, a member of its
// process group or a holder of the run's lifeline (an extra pipe every child
// inherits as fd 3) means something was left behind, and then the run's
// tree (group, PROCSH_EXEC marker, descendants) gets TERM, the grace, KILL.
// Both checks are single system calls, so a run that leaves nothing behind
// pays no process-table scan.
//
// A timeout or a cancelled context ends the whole tree: SIGTERM to the
// process group, to every descendant, and to every process carrying the
// run's PROCSH_EXEC marker in its environment (which finds daemons that left
// the group), then SIGKILL after the grace period (WithKillGrace) until the
// process table shows none left. The partial output is kept. Background jobs
// that keep stdout open do not delay the result: once the shell has exited
// and the pipes are empty, Exec returns (and keeps discarding what orphans
// write, so they do not get SIGPIPE).
//
// # Sessions
//
// A session is one long-lived bash (POSIX sh with reduced state keeping if
// configured) in its own process group. Commands are sourced in it one at a
// time, in submission order, with stdout and stderr on per-command FIFOs and
// completion reported on a private control socket (the shell's stdin and fd
// 3, closed for the commands themselves), so completion is signalled,
// never polled. `exit` or `set -e` failures end the shell; the command then
// completes with the shell's status and the session continues in a new
// shell that restores the variables, functions, aliases, options and cwd the
// old one saved on its way out. Every process a session starts carries
// PROCSH_SESSION (and the current command's PROCSH_CMD) in its environment,
// which is how KillCommand and DeleteSession find them all.
//
// A background job may outlive its command (`./server &`) and go on
// writing to the command's stdout or stderr. Once the command has ended,
// its FIFOs are read on read-only ends until the last such job closes
// them: the output goes to the command's log (1 MiB at most, then it is
// read at 1 MiB/s and discarded), so the job never dies of SIGPIPE and one
// that writes without end blocks on its pipe instead of costing a core.
//
// No OS thread waits for a child: shells, exec runs and PTY programs are
// waited for through pidfds in Go's poller, and command output is read
// from FIFOs in the poller too, so thousands of busy sessions cost
// goroutines, not threads. Deleting a session ends its processes through
// its shells' process groups, the current shell's descendants and a
// lifeline pipe every process of the session inherits (fd 4); the process
// table is scanned for the session's marker only when the lifeline shows a
// process that left the group, so deletes do not get slower with the
// number of processes on the host; and only when the lifeline is still held
// after that sweep are all processes' descriptors read, to find a daemon
// that also cleared its environment. A group whose members are all zombies
// (orphans their new parent has not reaped yet) counts as empty. Close ends
// every session and every in-flight Exec and CodeRun in parallel.
//
// # Kill and timeout of a session command
//
// A session command is sourced by the long-lived session shell, so the
// command's later steps (`sleep 3; echo STILL`, or the next iteration of a
// loop) are run by that shell itself: signalling only the command's
// processes ends the step that runs at that moment and the shell goes on
// with the next. Killing the shell ends the command but loses the session's
// state. The design interrupts the shell in a way it can act on, and lets
// it carry its state over:
//
//   - Each session shell traps a private real-time signal (SIGRTMIN+3 as
//     the shell numbers it, 37) with __procsh_intr. A command cannot take it
//     away by accident, unlike TERM, which a sourced `trap "" TERM`
//     would take from us.
//   - A kill first creates the command's kill file, then sends the
//     interrupt to the shell, then the requested signal to every process
//     carrying the command's PROCSH_CMD marker (and their descendants). The
//     shell defers a trap until its foreground process ends; sending the
//     interrupt first makes sure the trap is pending when that process dies,
//     so the shell runs no further step.
//   - __procsh_intr acts only if the current command's kill file exists, so
//     an interrupt that arrives late cannot abandon the next command; and
//     each command's wrapper checks its kill file before the command's first
//     line, so an interrupt that arrived before the shell reached the
//     command is not lost. A kill right after start always takes effect.
//   - The trap saves the shell's state (as on `exit`) and exits; the runner
//     reports the command as killed, and the next command runs in a fresh
//     shell that restores the state. A kill costs one shell start.
//   - TERM, INT and the other catchable signals escalate: after the kill
//     grace (WithKillGrace) the command's processes get KILL, and if the
//     shell still has not left the command (it removed the trap), the shell
//     itself gets KILL (its state since the last save is then lost). Once
//     the command has ended, whatever still carries its marker (a job put
//     in the background while the kill was on its way, a `setsid` daemon)
//     gets TERM, the grace, then KILL.
//   - Signals that do not end a process (STOP, CONT, WINCH, ...) are only
//     delivered to the command's processes.
//
// A context that ends during a synchronous ExecSession kills the command
// this way (TERM, then KILL) and waits for it. A killed command's status
// follows the one convention: exit code 128+n and Signal naming the signal
// that ended it (KILL when TERM had to be escalated). When the session
// shell is killed from outside mid-command, the command reports the shell's
// signal the same way and the processes it started are ended with it.
//
// Limits of the state keeping: the state is saved by the session shell's
// EXIT, TERM, INT and HUP traps, so a command that installs its own EXIT
// trap, or a SIGKILL to the shell itself, loses what changed since the last
// save. Commands see the PROCSH_SESSION and PROCSH_CMD variables.
//
// # Command logs
//
// A session command's output is kept in memory up to WithLogMemory (256 KiB
// by default); past that the whole log moves to a file in WithLogDir
// ($TMPDIR or /tmp, never /dev/shm) that is created 0600 and unlinked at
// once, indexed by a few bytes in memory per MiB — so memory stays flat
// whatever the output size, and nothing is left on disk after a crash.
// DeleteSession closes the files. WithLogLimit caps what is kept per command:
// past it the oldest quarter is dropped at a time, Logs reports Truncated and
// FirstOffset, and a replay from a dropped offset fails with ErrNotFound
// ("no longer kept") instead of silently skipping.
//
// # Linux only
//
// The backend reads /proc and relies on Linux pipes, FIFOs and process
// groups, so its files carry a linux build constraint. On other systems the
// package still builds (so programs that offer it build everywhere), but New
// fails with an error matching client.ErrUnsupported and ErrNeedsLinux.
//
// # Nothing outlives the program
//
// Every process the backend starts (except a detached Exec) carries a
// PROCSH_OWNER entry naming this program, and its temporary files carry the
// same token in their names. The first backend starts a reaper: this same
// executable re-run with PROCSH_LOCAL_REAPER set (the package's init turns
// it into the reaper before main runs), in a session of its own, reading a
// pipe whose only writer is the program. When the program dies, however it
// dies (SIGKILL, a Go fatal error, a signal nothing handles), the kernel
// closes that pipe; the reaper then ends every process carrying the owner
// entry (TERM, one second, KILL) and removes the program's temporary files.
// The program also tells the reaper the lifelines of its session shells and
// of execs running past 50 ms, so that a daemon that cleared its
// environment (and the owner entry with it) but kept its descriptors is
// found as well.
// A separate process is the one mechanism that can act after SIGKILL:
// PR_SET_PDEATHSIG follows the forking thread rather than the process and
// reaches only direct children, and a child subreaper does nothing once the
// program is dead. A program that embeds the backend pays one process
// start, once; each run pays one environment entry.
//
// Scripts, FIFOs and session state live in /dev/shm when it is writable and
// $TMPDIR is not set, else in os.TempDir().
package local
