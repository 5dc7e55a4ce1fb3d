//go:build linux

package main

import (
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// As a container's main process procsh is PID 1, and PID 1 has a duty no
// other process has: every orphan in the container becomes its child, and
// only it can reap them. A Go program never waits for children it did not
// start, so each background job a command left behind (`sleep 1 &` that
// outlived its shell) would stay a zombie until the container ends, and
// kill(-pgid, 0) would keep finding its process group. procsh therefore
// splits itself in two when it finds itself PID 1: the PID 1 half only
// starts the real procsh as its child, passes it the signals a container
// runtime sends (`docker stop` is SIGTERM to PID 1), reaps every process
// that exits, and exits with the child's status once the child has exited.
// The kernel then ends what is left in the container. `docker run --init`
// and tini do the same; this makes procsh correct without them.

// pid1Env marks the real procsh started by the PID 1 half.
const pid1Env = "PROCSH_PID1_CHILD"

// forwarded are the signals the PID 1 half passes on. The kernel delivers
// to PID 1 only signals it has a handler for, so each is caught.
var forwarded = []os.Signal{
	syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH,
}

// drainAfterExit bounds how long the PID 1 half goes on reaping once the
// real procsh has exited: its reaper (see client/local) may still be
// ending processes and removing temporary files, and the kernel kills
// everything in the container the moment PID 1 exits.
const drainAfterExit = 3 * time.Second

// asInit runs the PID 1 half when this process is PID 1, and reports the
// exit status to end with; ok is false when procsh should run normally.
func asInit() (status int, ok bool) {
	if os.Getpid() != 1 || os.Getenv(pid1Env) != "" {
		return 0, false
	}
	return runInit(os.Args, os.Environ()), true
}

// runInit starts argv as the child (with pid1Env set) and reaps until the
// child has exited. It is also what the test drives, as PID 1 of a fresh
// PID namespace.
func runInit(argv, env []string) int {
	sigs := make(chan os.Signal, 32)
	signal.Notify(sigs, forwarded...)
	chld := make(chan os.Signal, 1)
	signal.Notify(chld, syscall.SIGCHLD)

	exe, err := os.Executable()
	if err != nil {
		exe = argv[0]
	}
	child, err := os.StartProcess(exe, argv, &os.ProcAttr{
		Env:   append(env[:len(env):len(env)], pid1Env+"=1"),
		Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
	})
	if err != nil {
		os.Stderr.WriteString("procsh: as PID 1: " + err.Error() + "\n")
		return exitError
	}
	pid := child.Pid
	status := -1
	var deadline <-chan time.Time
	for {
		select {
		case sig := <-sigs:
			_ = unix.Kill(pid, sig.(syscall.Signal))
			continue
		case <-chld:
		case <-deadline:
			return status
		}
		// Reap everything that has exited: the child, and orphans.
		for {
			var ws unix.WaitStatus
			p, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
			if err == unix.EINTR {
				continue
			}
			if err == unix.ECHILD && status >= 0 {
				return status // nothing left to wait for
			}
			if p <= 0 || err != nil {
				break
			}
			if p == pid {
				status = ws.ExitStatus()
				if ws.Signaled() {
					status = 128 + int(ws.Signal())
				}
				deadline = time.After(drainAfterExit)
			}
		}
	}
}
