//go:build linux

package local

import (
	"bufio"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/procsh/procsh/internal/ids"
	"github.com/procsh/procsh/internal/proctable"
)

// Orphan protection: nothing the backend started may outlive the program
// that embeds it, however that program ends (see "Nothing outlives procsh"
// in the package doc).
//
// The reaper is this same executable (/proc/self/exe, which works even if
// the file was replaced), started once per process with reaperEnv set: the
// package's init turns such a process into the reaper before main runs. It
// reads a pipe whose only writer is the program; the kernel closes that end
// when the program dies for any reason — exit, SIGKILL, a Go fatal error —
// so EOF is a death notice that needs no help from the dying program. The
// reaper then ends every process carrying the program's owner entry
// (TERM, a grace, KILL) and removes the program's temporary files.
//
// Why not the alternatives: PR_SET_PDEATHSIG fires when the forking thread
// exits, not the process (Go moves goroutines between threads), reaches only
// direct children, and a daemon that calls setsid or resets it escapes;
// PR_SET_CHILD_SUBREAPER keeps orphans from init while the program lives but
// does nothing once it is dead. A separate process that outlives the program
// is the one mechanism that can act after SIGKILL.

const (
	// reaperEnv marks the reaper process; its value is the owner token.
	reaperEnv = "PROCSH_LOCAL_REAPER"
	// ownerKey is in the environment of every process the backend starts
	// (except detached exec runs): OWNER=<token> names the program.
	ownerKey = "PROCSH_OWNER"
	// reaperGrace is the reaper's TERM → KILL grace.
	reaperGrace = time.Second
)

var reaper struct {
	once  sync.Once
	token string
	mu    sync.Mutex
	w     *os.File // the death-notice pipe; nil if the reaper could not start
	dirs  map[string]bool
}

func init() {
	if tok := os.Getenv(reaperEnv); tok != "" {
		runReaper(tok)
	}
}

// ownerToken returns this process's owner token, starting the reaper on
// first use. The token names the process even if the reaper could not
// start (then only a clean exit cleans up).
func ownerToken() string {
	reaper.once.Do(func() {
		reaper.token = ids.Hex(8)
		reaper.dirs = make(map[string]bool)
		r, w, err := os.Pipe()
		if err != nil {
			return
		}
		defer r.Close()
		null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
		if err != nil {
			w.Close()
			return
		}
		defer null.Close()
		cmd := &exec.Cmd{
			Path: "/proc/self/exe",
			Args: []string{"procsh-reaper"},
			// Nothing of ours: the reaper must not look like one of our
			// processes, or carry a test's marker.
			Env:    []string{reaperEnv + "=" + reaper.token},
			Dir:    "/",
			Stdin:  r,
			Stdout: null,
			Stderr: null,
			// Its own session: a terminal's SIGHUP or Ctrl-C for our
			// process group does not reach it.
			SysProcAttr: &syscall.SysProcAttr{Setsid: true},
		}
		if err := cmd.Start(); err != nil {
			w.Close()
			return
		}
		// Reap it when it exits (after us, normally) without waiting now.
		go func() { _ = cmd.Wait() }()
		reaper.w = w
	})
	return reaper.token
}

// ownerEntry is the environment entry every owned process carries.
func ownerEntry() string { return ownerKey + "=" + ownerToken() }

// watchTempDir tells the reaper to remove this process's files from dir
// (those whose names carry the owner token) once the process is gone.
func watchTempDir(dir string) {
	ownerToken()
	reaper.mu.Lock()
	defer reaper.mu.Unlock()
	if reaper.w == nil || reaper.dirs[dir] || strings.ContainsRune(dir, '\n') {
		return
	}
	reaper.dirs[dir] = true
	tellReaperLocked("dir " + dir)
}

// tellReaperLocked sends the reaper one line (caller holds reaper.mu; a
// missing reaper is told nothing).
func tellReaperLocked(line string) bool {
	if reaper.w == nil {
		return false
	}
	_, _ = reaper.w.WriteString(line + "\n")
	return true
}

// watchPipe tells the reaper about a lifeline (see run and spawnShell): if
// this process dies, whatever still holds the pipe is ended too, which
// finds a daemon that cleared its environment (and with it the owner
// entry) but kept its descriptors. It returns the pipe's inode for
// unwatchPipe, 0 if there is no reaper to tell.
func watchPipe(f *os.File) uint64 {
	ownerToken()
	ino := pipeInode(f)
	reaper.mu.Lock()
	defer reaper.mu.Unlock()
	if ino == 0 || !tellReaperLocked("pipe "+strconv.FormatUint(ino, 10)) {
		return 0
	}
	return ino
}

// unwatchPipe withdraws a pipe watchPipe registered.
func unwatchPipe(ino uint64) {
	if ino == 0 {
		return
	}
	reaper.mu.Lock()
	defer reaper.mu.Unlock()
	tellReaperLocked("unpipe " + strconv.FormatUint(ino, 10))
}

// pipeInode is f's inode number, 0 if it cannot be read. It goes through
// SyscallConn: Fd would switch the pipe to blocking mode, and held's
// probing read would then block.
func pipeInode(f *os.File) uint64 {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0
	}
	var st unix.Stat_t
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.Fstat(int(fd), &st) }); err != nil || serr != nil {
		return 0
	}
	return st.Ino
}

// tempPattern is the name pattern for a temporary file or directory of kind
// ("exec", "session"...): it carries the owner token for the reaper.
func tempPattern(kind, suffix string) string {
	return "procsh-" + ownerToken() + "-" + kind + "-*" + suffix
}

// runReaper is the reaper's whole life: wait for the owner to die, end
// what it left, remove its files, exit.
func runReaper(tok string) {
	signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	var dirs []string
	pipes := make(map[uint64]bool)
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		line := sc.Text()
		if d, ok := strings.CutPrefix(line, "dir "); ok {
			dirs = append(dirs, d)
		} else if v, ok := strings.CutPrefix(line, "pipe "); ok {
			if ino, err := strconv.ParseUint(v, 10, 64); err == nil {
				pipes[ino] = true
			}
		} else if v, ok := strings.CutPrefix(line, "unpipe "); ok {
			if ino, err := strconv.ParseUint(v, 10, 64); err == nil {
				delete(pipes, ino)
			}
		}
	}
	treeSpec{marker: ownerKey + "=" + tok}.terminate(reaperGrace)
	if len(pipes) > 0 {
		// What cleared its environment but kept a lifeline: one pass over
		// every process's descriptors.
		if pids := proctable.PipeHoldersAny(pipes); len(pids) > 0 {
			treeSpec{roots: pids}.terminate(reaperGrace)
		}
	}
	for _, d := range dirs {
		matches, _ := filepath.Glob(filepath.Join(d, "procsh-"+tok+"-*"))
		for _, m := range matches {
			_ = os.RemoveAll(m)
		}
	}
	os.Exit(0)
}
