package server

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/procsh/procsh/internal/proctable"
	"github.com/procsh/procsh/internal/wire"
)

// findArgs returns the live processes whose command line is argv.
func findArgs(t *testing.T, argv ...string) []int {
	t.Helper()
	pids, err := proctable.WithCmdline(argv...)
	if err != nil {
		t.Fatal(err)
	}
	return pids
}

func killAll(pids []int) {
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
}

// TestExecuteBackgroundJobs: a Daytona client's `cmd &` keeps running after
// /process/execute answers, as with the reference daemon (it is how SDK
// users start servers), until the server ends; a procsh client's background job ends before the
// answer unless it asks procshDetach. A detached job that writes without
// end is read slowly, so it blocks on its pipe instead of keeping the
// server busy.
func TestExecuteBackgroundJobs(t *testing.T) {
	h := newHarness(t)
	// A unique duration names each case's sleep in the process table.
	arg := func(i int) string { return fmt.Sprintf("%d.%d", 300+i, os.Getpid()%1000) }

	r := h.do("POST", "/process/execute", `{"command":"sleep `+arg(1)+` & echo started"}`, nil)
	h.mustStatus(r, 200)
	if got := r.json(t)["result"]; got != "started\n" {
		t.Errorf("result %q", got)
	}
	pids := findArgs(t, "sleep", arg(1))
	if len(pids) != 1 {
		t.Errorf("Daytona client: %d background sleeps alive after the answer, want 1 (it must outlive the call)", len(pids))
	} else if _, owned := proctable.EnvValue(pids[0], "PROCSH_OWNER"); !owned {
		// Still the server's: its reaper ends it when the server ends.
		t.Error("Daytona client: the background job is not owned; it would outlive the server")
	}
	killAll(pids)

	r = h.do("POST", "/process/execute?"+wire.ExtParam+"=1", `{"command":"sleep `+arg(2)+` & echo started"}`, nil)
	h.mustStatus(r, 200)
	if pids := findArgs(t, "sleep", arg(2)); len(pids) != 0 {
		killAll(pids)
		t.Errorf("procsh client without procshDetach: background sleep %v outlived the call", pids)
	}
	r = h.do("POST", "/process/execute?"+wire.ExtParam+"=1", `{"command":"sleep `+arg(3)+` & echo started","procshDetach":true}`, nil)
	h.mustStatus(r, 200)
	pids = findArgs(t, "sleep", arg(3))
	killAll(pids)
	if len(pids) != 1 {
		t.Errorf("procsh client with procshDetach: %d background sleeps alive, want 1", len(pids))
	}

	// A background writer that never stops, not redirected: it must not
	// die of SIGPIPE, and it must not be read at full speed.
	r = h.do("POST", "/process/execute", `{"command":"yes `+arg(4)+` & echo started"}`, nil)
	h.mustStatus(r, 200)
	pids = findArgs(t, "yes", arg(4))
	defer killAll(pids)
	if len(pids) != 1 {
		t.Fatalf("the background yes: %v, want one alive", pids)
	}
	wchar := func() int64 {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pids[0]))
		if err != nil {
			t.Fatalf("the background yes is gone: %v", err)
		}
		for _, l := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(l, "wchar: "); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				return n
			}
		}
		t.Fatal("no wchar in /proc/<pid>/io")
		return 0
	}
	// The first moments read at full speed (what the command wrote
	// before it returned is drained); after that, the orphan rate.
	time.Sleep(500 * time.Millisecond)
	w0 := wchar()
	time.Sleep(time.Second)
	w1 := wchar()
	if !proctable.Alive(pids[0]) {
		t.Fatal("the background yes died (SIGPIPE?)")
	}
	// Read at full speed, yes writes gigabytes a second; at the orphan
	// rate (1 MiB/s), about 1 MiB.
	t.Logf("the background yes wrote %d bytes in a second, once its command had returned", w1-w0)
	if w1-w0 > 16<<20 {
		t.Errorf("the background yes wrote %d bytes in a second: its output is read at full speed", w1-w0)
	}
}
