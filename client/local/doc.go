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
// together than the reader's scheduling latency.
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
// completion reported on a private status pipe, so completion is signalled,
// never polled. `exit` or `set -e` failures end the shell; the command then
// completes with the shell's status and the session continues in a new
// shell that restores the variables, functions, aliases, options and cwd the
// old one saved on its way out. Every process a session starts carries
// PROCSH_SESSION (and the current command's PROCSH_CMD) in its environment,
// which is how KillCommand and DeleteSession find them all.
//
// Limits of the state keeping: the state is saved by the session shell's
// EXIT, TERM, INT and HUP traps, so a command that installs its own EXIT
// trap, or a SIGKILL to the shell itself, loses what changed since the last
// save. Commands see the PROCSH_SESSION and PROCSH_CMD variables.
//
// # Linux only
//
// The backend reads /proc and relies on Linux pipes, FIFOs and process
// groups, so its files carry a linux build constraint. On other systems the
// package still builds (so programs that offer it build everywhere), but New
// fails with an error matching client.ErrUnsupported and ErrNeedsLinux.
//
// Scripts, FIFOs and session state live in /dev/shm when it is writable and
// $TMPDIR is not set, else in os.TempDir().
package local
