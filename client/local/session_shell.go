//go:build linux

package local

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/procsh/procsh/internal/shell"
)

// shellProc is one incarnation of a session's shell. A session gets a new
// one after the previous shell exited (an `exit` in a command).
type shellProc struct {
	proc *child
	pid  int
	// ctl is our end of the socket that is the shell's stdin and fd 3: we
	// write wrappers to it and read status lines from it. One socket
	// instead of two pipes is one descriptor less per session.
	ctl    *os.File
	lines  chan string // status lines; closed at EOF
	exited chan struct{}
}

// alive reports whether the shell has not been reaped yet.
func (sh *shellProc) alive() bool {
	select {
	case <-sh.exited:
		return false
	default:
		return true
	}
}

// bashInit makes a bash session shell keep its state across an `exit`: the
// EXIT trap writes everything a later shell needs to carry on (variables,
// functions, aliases, shopt and set options, cwd) to the state file, and a
// new shell sources that file first. Options come last so that a restored
// errexit cannot stop the restore half way. TERM, INT and HUP aimed at the
// shell itself (a user's `kill $$`) save the state too before the shell
// exits with 128+n. The interrupt signal runs __procsh_intr, which abandons
// the current command (saving the state first) only when that command's
// kill file exists, so a late interrupt cannot hit the next command. A
// session being deleted marks its directory first (.deleting), and the
// traps then save nothing: the state would be thrown away, and with a
// thousand sessions ending at once (serve's shutdown) the saves alone kept
// two cores busy for seconds.
const bashInit = `__procsh_save() { builtin test -e %[2]s/.deleting && builtin return; { builtin declare -p; builtin declare -f; builtin alias -p; builtin printf 'builtin cd -- %%q\n' "$PWD"; builtin shopt -p; builtin set +o; } >|%[1]s 2>/dev/null; }
__procsh_intr() { if builtin test -n "$__procsh_cur" && builtin test -e %[2]s/"$__procsh_cur".kill; then __procsh_save; builtin trap - EXIT; builtin exit 143; fi; }
if [ -f %[1]s ]; then { builtin . %[1]s; } </dev/null >/dev/null 2>&1; fi
__procsh_cur=
builtin trap __procsh_save EXIT
builtin trap '__procsh_save; builtin trap - EXIT; builtin exit 143' TERM
builtin trap '__procsh_save; builtin trap - EXIT; builtin exit 130' INT
builtin trap '__procsh_save; builtin trap - EXIT; builtin exit 129' HUP
builtin trap __procsh_intr %[3]d
`

// shInit is the reduced POSIX-sh variant: exported variables and cwd.
const shInit = `__procsh_save() { test -e %[2]s/.deleting && return; { export -p; printf 'cd %%s\n' "'$(printf %%s "$PWD" | sed "s/'/'\\\\''/g")'"; } >|%[1]s 2>/dev/null; }
__procsh_intr() { if test -n "$__procsh_cur" && test -e %[2]s/"$__procsh_cur".kill; then __procsh_save; trap - EXIT; exit 143; fi; }
if [ -f %[1]s ]; then { . %[1]s; } </dev/null >/dev/null 2>&1; fi
__procsh_cur=
trap __procsh_save EXIT
trap __procsh_intr %[3]d
`

// spawnShell starts a new shell for the session (caller holds s.mu and has
// checked that the session is not closed).
func (s *session) spawnShell() (*shellProc, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	theirs := os.NewFile(uintptr(fds[1]), "shell control")
	if err := unix.SetNonblock(fds[0], true); err != nil {
		unix.Close(fds[0])
		theirs.Close()
		return nil, err
	}
	// Non-blocking, so os.NewFile puts it in the poller.
	ctl := os.NewFile(uintptr(fds[0]), "shell control")
	dir := s.cwd
	if dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			// Gone since the session started: a respawned shell must
			// still start (the saved state then tries its own cwd).
			dir = "/"
		}
	}
	// fd 4: the lifeline. Everything this shell starts inherits it (the
	// wrapper closes only fd 3), so while its read end sees no EOF,
	// something of the session may still run (see session.destroy).
	lifeR, lifeW, err := os.Pipe()
	if err != nil {
		ctl.Close()
		theirs.Close()
		return nil, err
	}
	proc, err := startChild([]string{s.b.sessShell}, s.env, dir, []*os.File{theirs, nil, nil, theirs, lifeW})
	theirs.Close()
	lifeW.Close()
	if err != nil {
		lifeR.Close()
		ctl.Close()
		return nil, err
	}
	sh := &shellProc{proc: proc, pid: proc.pid, ctl: ctl, lines: make(chan string, 16), exited: proc.exited}
	go sh.readStatus()
	s.lives = append(s.lives, lifeR)
	watchPipe(lifeR)
	s.pgids = append(s.pgids, sh.pid)
	state := shell.Quote(filepath.Join(s.dir, "state"))
	init := bashInit
	if !s.b.sessBash {
		init = shInit
	}
	if _, err := ctl.WriteString(fmt.Sprintf(init, state, shell.Quote(s.dir), int(interruptSignal))); err != nil {
		s.dropShell(sh)
		return nil, err
	}
	return sh, nil
}

// dropShell kills a shell (if still alive) and releases its fds.
func (s *session) dropShell(sh *shellProc) {
	if sh.alive() {
		_ = unix.Kill(-sh.pid, syscall.SIGKILL)
		_ = sh.proc.signal(syscall.SIGKILL)
	}
	<-sh.exited
	sh.ctl.Close()
}

// readStatus turns the shell's status lines into lines until EOF (the
// shell and nothing else holds its end: commands run with fd 0 redirected
// and fd 3 closed).
func (sh *shellProc) readStatus() {
	defer close(sh.lines)
	br := bufio.NewReader(sh.ctl)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		sh.lines <- strings.TrimSuffix(line, "\n")
	}
}

// wrapper is what the session shell runs for one command: source the
// command file in the shell itself (so cd, export, functions and set
// persist) with its streams on the command's FIFOs and fd 3 closed (so
// neither the command nor its background jobs hold our control socket), then
// report "<cid> <status>" on fd 3. An async command first reports
// "<cid> S" once its stdin FIFO is open, so that CloseInput before that
// point can be deferred instead of discarding input the FIFO holds.
func (s *session) wrapper(c *command, out, errp, in string) string {
	bi := "builtin "
	if !s.b.sessBash {
		bi = ""
	}
	started, fd9 := "", ""
	if in == "" {
		in = "/dev/null"
	} else {
		started = fmt.Sprintf("%[1]sprintf '%[2]s S\\n' >&9; %[1]sexec 9>&-; ", bi, c.id)
		fd9 = " 9>&3"
	}
	// __procsh_cur names the command the interrupt trap may abandon; the
	// kill-file test right after it catches a kill whose interrupt came
	// before the shell reached this command.
	return fmt.Sprintf("%[1]sexport PROCSH_CMD=%[2]s; __procsh_cur=%[2]s; %[1]stest -e %[9]s && __procsh_intr\n"+
		"{ %[7]s%[1]s. %[3]s; } <%[4]s >%[5]s 2>%[6]s%[8]s 3>&-\n"+
		"__procsh_st=$?; __procsh_cur=; %[1]sprintf '%[2]s %%d\\n' \"$__procsh_st\" >&3\n",
		bi, c.id, shell.Quote(filepath.Join(s.dir, c.id+".sh")), shell.Quote(in), shell.Quote(out), shell.Quote(errp), started, fd9,
		shell.Quote(s.killFile(c.id)))
}
