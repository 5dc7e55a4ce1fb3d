package clienttest

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/proctable"
)

// runSessionKill checks that a kill or timeout ends the whole session
// command, reports what happened and leaves the session usable with its
// state.
func runSessionKill(t *testing.T, nb NewFunc) {
	t.Run("EndsWholeCommand", func(t *testing.T) { t.Parallel(); killWhole(t, nb) })
	t.Run("EveryProcess", func(t *testing.T) { t.Parallel(); killEveryProcess(t, nb) })
	t.Run("EscalatesPastIgnoredTERM", func(t *testing.T) { t.Parallel(); killEscalates(t, nb) })
	t.Run("LastStepWait", func(t *testing.T) { t.Parallel(); killWaitStep(t, nb) })
	t.Run("ShellKilledFromOutside", func(t *testing.T) { t.Parallel(); killShellOutside(t, nb) })
	t.Run("NoLostKills", func(t *testing.T) { killNoneLost(t, nb, 200) })
}

// startAsync starts cmd asynchronously and returns its id.
func startAsync(t *testing.T, c client.Client, sid, cmd string) string {
	t.Helper()
	r, err := c.ExecSession(ctxFor(t, 30*time.Second), sid, client.SessionExecRequest{Command: cmd, Async: true})
	if err != nil {
		t.Fatalf("ExecSession(%q): %v", cmd, err)
	}
	return r.CmdID
}

// killAndWait kills a command and waits for it, returning its info and logs.
func killAndWait(t *testing.T, c client.Client, sid, cid string, sig syscall.Signal) (*client.CommandInfo, *client.Logs) {
	t.Helper()
	ctx := ctxFor(t, 30*time.Second)
	if err := c.KillCommand(ctx, sid, cid, sig); err != nil {
		t.Fatalf("KillCommand(%v): %v", sig, err)
	}
	ci, err := c.WaitCommand(ctx, sid, cid)
	if err != nil || !ci.Done() {
		t.Fatalf("WaitCommand after kill: %+v %v", ci, err)
	}
	logs, err := c.GetCommandLogs(ctx, sid, cid)
	if err != nil {
		t.Fatalf("GetCommandLogs: %v", err)
	}
	return ci, logs
}

// wantKilled checks the one exit-status convention: 128+n and the signal's
// name.
func wantKilled(t *testing.T, ci *client.CommandInfo, sig syscall.Signal) {
	t.Helper()
	if *ci.ExitCode != client.ExitCodeForSignal(sig) || ci.Signal != client.SignalName(sig) {
		t.Errorf("killed command: exit %d signal %q, want %d %q", *ci.ExitCode, ci.Signal, client.ExitCodeForSignal(sig), client.SignalName(sig))
	}
}

func killWhole(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	sid := mkSession(t, c, client.SessionOptions{})
	want(t, c, sid, "export KEEP=yes; cd /tmp; f() { echo fn; }", 0, "")
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL, syscall.SIGINT} {
		m := marker(30)
		cid := startAsync(t, c, sid, "for h in web1 web2 web3; do echo deploying $h; sleep "+m+"; done; echo STILL")
		waitFor(t, 10*time.Second, "the first step", func() bool { return len(procsWith(m)) > 0 })
		ci, logs := killAndWait(t, c, sid, cid, sig)
		wantKilled(t, ci, sig)
		if logs.Stdout != "deploying web1\n" {
			t.Errorf("kill %v: a later step ran: stdout %s", sig, q(logs.Stdout))
		}
		noProcs(t, m)
		// The session lives on with its state.
		want(t, c, sid, "echo $KEEP; pwd; f", 0, "yes\n/tmp\nfn\n")
	}
	// A command made only of shell builtins.
	cid := startAsync(t, c, sid, "while :; do :; done; echo STILL")
	time.Sleep(20 * time.Millisecond)
	ci, logs := killAndWait(t, c, sid, cid, syscall.SIGTERM)
	wantKilled(t, ci, syscall.SIGTERM)
	if strings.Contains(logs.Output, "STILL") {
		t.Errorf("builtin loop: a later step ran: %s", q(logs.Output))
	}
	want(t, c, sid, "echo $KEEP", 0, "yes\n")
}

func killEveryProcess(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	sid := mkSession(t, c, client.SessionOptions{})
	m1, m2, m3, m4 := marker(30), marker(30), marker(30), marker(30)
	cid := startAsync(t, c, sid, "sleep "+m1+" & setsid sleep "+m2+" >/dev/null 2>&1 & "+
		"sh -c 'trap \"\" TERM; sleep "+m3+"' & sleep "+m4+"; echo STILL")
	waitFor(t, 10*time.Second, "the command's processes", func() bool {
		return len(procsWith(m1))+len(procsWith(m2))+len(procsWith(m3))+len(procsWith(m4)) == 4
	})
	ci, logs := killAndWait(t, c, sid, cid, syscall.SIGTERM)
	if ci.Signal == "" || *ci.ExitCode <= 128 || strings.Contains(logs.Output, "STILL") {
		t.Errorf("killed command: %+v output %s", ci, q(logs.Output))
	}
	for _, m := range []string{m1, m2, m3, m4} {
		waitNoProcs(t, m)
	}
}

// waitNoProcs fails unless, within a few seconds (a TERM grace may still be
// running), no process with word in its command line is alive.
func waitNoProcs(t *testing.T, word string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); len(procsWith(word)) > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			noProcs(t, word)
			return
		}
	}
}

func killEscalates(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	sid := mkSession(t, c, client.SessionOptions{})
	want(t, c, sid, "export KEEP=yes", 0, "")
	m := marker(30)
	// The command takes TERM away from the session shell itself and from
	// everything it starts.
	cid := startAsync(t, c, sid, "trap '' TERM; sleep "+m+"; echo STILL")
	waitFor(t, 10*time.Second, "the sleep", func() bool { return len(procsWith(m)) > 0 })
	ci, logs := killAndWait(t, c, sid, cid, syscall.SIGTERM)
	wantKilled(t, ci, syscall.SIGKILL) // TERM did nothing; KILL ended it
	if strings.Contains(logs.Output, "STILL") {
		t.Errorf("a later step ran: %s", q(logs.Output))
	}
	noProcs(t, m)
	want(t, c, sid, "echo $KEEP", 0, "yes\n")
}

func killWaitStep(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	sid := mkSession(t, c, client.SessionOptions{})
	m := marker(30)
	cid := startAsync(t, c, sid, "sleep "+m+" & wait")
	waitFor(t, 10*time.Second, "the sleep", func() bool { return len(procsWith(m)) > 0 })
	ci, _ := killAndWait(t, c, sid, cid, syscall.SIGTERM)
	wantKilled(t, ci, syscall.SIGTERM)
	noProcs(t, m)
}

// killShellOutside kills the session shell (the parent of the command's
// sleep) with SIGKILL, as an OOM killer or an admin would.
func killShellOutside(t *testing.T, nb NewFunc) {
	c := open(t, nb)
	sid := mkSession(t, c, client.SessionOptions{})
	want(t, c, sid, "export KEEP=yes", 0, "")
	m1, m2 := marker(30), marker(30)
	cid := startAsync(t, c, sid, "sleep "+m1+" & sleep "+m2+"; echo STILL")
	var pids []int
	waitFor(t, 10*time.Second, "the command's processes", func() bool {
		pids = procsWith(m2)
		return len(procsWith(m1)) == 1 && len(pids) == 1
	})
	p, err := proctable.Stat(pids[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(p.PPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	ctx := ctxFor(t, 30*time.Second)
	ci, err := c.WaitCommand(ctx, sid, cid)
	if err != nil || *ci.ExitCode != 137 || ci.Signal != "KILL" {
		t.Errorf("command of a killed shell: %+v %v", ci, err)
	}
	waitNoProcs(t, m1)
	waitNoProcs(t, m2)
	// The session recovers (a SIGKILLed shell saves nothing, so the
	// restored state is what it saved before).
	want(t, c, sid, "echo ok", 0, "ok\n")
}

// killNoneLost starts a long command and kills it after 0-10 ms, n times:
// every kill must take effect (the command reports the signal and its
// later step never runs).
func killNoneLost(t *testing.T, nb NewFunc, n int) {
	c := open(t, nb)
	sid := mkSession(t, c, client.SessionOptions{})
	m := marker(30)
	lost, escalated := 0, 0
	for i := 0; i < n; i++ {
		cid := startAsync(t, c, sid, "sleep "+m+"; echo STILL")
		time.Sleep(time.Duration(rand.IntN(11)) * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := c.KillCommand(ctx, sid, cid, syscall.SIGTERM)
		var ci *client.CommandInfo
		if err == nil {
			ci, err = c.WaitCommand(ctx, sid, cid)
		}
		var logs *client.Logs
		if err == nil {
			logs, err = c.GetCommandLogs(ctx, sid, cid)
		}
		cancel()
		if err != nil {
			t.Fatalf("try %d: %v", i, err)
		}
		switch {
		case strings.Contains(logs.Output, "STILL") || !(*ci.ExitCode == 143 && ci.Signal == "TERM" || *ci.ExitCode == 137 && ci.Signal == "KILL"):
			lost++
			t.Errorf("try %d: kill lost: exit %d signal %q output %s", i, *ci.ExitCode, ci.Signal, q(logs.Output))
		case ci.Signal == "KILL":
			// Took effect, but only after the grace (a loaded machine).
			escalated++
		}
	}
	t.Logf("%d of %d start-then-kill tries lost, %d needed KILL after the grace (delays 0-10 ms)", lost, n, escalated)
	waitNoProcs(t, m)
	want(t, c, sid, "echo alive "+strconv.Itoa(n), 0, "alive "+strconv.Itoa(n)+"\n")
}
