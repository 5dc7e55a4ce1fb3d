package clienttest

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/expect"
)

// lineEcho is a program that turns the terminal's echo off, says READY and
// answers each input line with "got:<line>"; it exits at end of input.
var lineEcho = []string{"sh", "-c", `stty -echo; echo READY; while IFS= read -r l; do echo "got:$l"; done`}

// testPTYSharedHandles: two handles see the same output and both can write.
func testPTYSharedHandles(t *testing.T, newBackend NewFunc) {
	c := newPTYBackend(t, newBackend)
	id := ptyID("shared")
	mustCreate(t, c, client.PTYOptions{ID: id, LazyStart: true, Command: lineEcho})
	h1 := mustConnect(t, c, id, false)
	h2 := mustConnect(t, c, id, false)
	e1 := newShell(t, h1).e
	if _, err := e1.Expect(ptyCtx(t), expect.Literal("READY\r\n")); err != nil {
		t.Fatal(err)
	}
	// Read h2 concurrently so its view is complete.
	var out2 []byte
	var err2 error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); out2, err2 = readAll(t, h2) }()

	for i, h := range []client.PTYHandle{h1, h2, h1} {
		if _, err := h.Write([]byte(fmt.Sprintf("line%d\n", i))); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		if _, err := e1.Expect(ptyCtx(t), expect.Literal(fmt.Sprintf("got:line%d\r\n", i))); err != nil {
			t.Fatalf("h1 did not see line%d: %v", i, err)
		}
	}
	if _, err := h2.Write([]byte(expect.CtrlD)); err != nil {
		t.Fatal(err)
	}
	if res, err := e1.Expect(ptyCtx(t), expect.EOF); err != nil || res.Before != "" {
		t.Fatalf("h1 end: %+v, %v", res, err)
	}
	wg.Wait()
	if err2 != nil {
		t.Fatal(err2)
	}
	want := "got:line0\r\ngot:line1\r\ngot:line2\r\n"
	if !strings.HasSuffix(string(out2), want) {
		t.Errorf("h2 saw %q, want it to end with %q", out2, want)
	}
	for _, h := range []client.PTYHandle{h1, h2} {
		if r := mustWait(t, h); r.ExitCode != 0 {
			t.Errorf("exit %+v", r)
		}
	}
}

// testPTYConcurrentInput: writes from several handles at once all arrive,
// each whole and in each writer's order, and every handle sees the same.
func testPTYConcurrentInput(t *testing.T, newBackend NewFunc) {
	c := newPTYBackend(t, newBackend)
	id := ptyID("concurrent")
	mustCreate(t, c, client.PTYOptions{ID: id, LazyStart: true, Command: lineEcho})
	hs := []client.PTYHandle{mustConnect(t, c, id, false), mustConnect(t, c, id, false)}
	e := newShell(t, hs[0]).e
	if _, err := e.Expect(ptyCtx(t), expect.Literal("READY\r\n")); err != nil {
		t.Fatal(err)
	}
	outs := make([][]byte, len(hs))
	var readErr error
	var readers, writers sync.WaitGroup
	readers.Add(1)
	go func() { defer readers.Done(); outs[1], readErr = readAll(t, hs[1]) }()
	const lines = 50
	for w, h := range hs {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := 0; i < lines; i++ {
				if _, err := h.Write([]byte(fmt.Sprintf("w%d-%d\n", w, i))); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
			}
		}()
	}
	writers.Wait()
	if _, err := hs[0].Write([]byte("end\n" + expect.CtrlD)); err != nil {
		t.Fatal(err)
	}
	res, err := e.Expect(ptyCtx(t), expect.EOF)
	if err != nil {
		t.Fatal(err)
	}
	outs[0] = []byte(res.Before)
	readers.Wait()
	if readErr != nil {
		t.Fatal(readErr)
	}
	var views []string
	for _, out := range outs {
		s := string(out)
		s = s[strings.Index(s, "got:"):]
		views = append(views, s)
		next := [2]int{}
		for _, l := range strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n") {
			if l == "got:end" {
				continue
			}
			var w, i int
			if _, err := fmt.Sscanf(l, "got:w%d-%d", &w, &i); err != nil || w > 1 || i != next[w] {
				t.Fatalf("line %q out of order or mangled (next %v) in %q", l, next, s)
			}
			next[w]++
		}
		if next != [2]int{lines, lines} {
			t.Errorf("saw %v lines per writer, want %d", next, lines)
		}
	}
	if views[0] != views[1] {
		t.Errorf("handles saw different output:\n%q\n%q", views[0], views[1])
	}
}

// seqOutput is what `seq 1 n` prints through a tty.
func seqOutput(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString(strconv.Itoa(i))
		b.WriteString("\r\n")
	}
	return b.String()
}

// testPTYNoOutputLost: everything written before exit reaches every handle
// before Wait returns. Wait is called before reading, so the output must
// already be with the handles.
func testPTYNoOutputLost(t *testing.T, newBackend NewFunc) {
	c := newPTYBackend(t, newBackend)
	const n = 30000 // about 200 KB
	want := "BEGIN\r\n" + seqOutput(n)
	for round := 0; round < 10; round++ {
		id := ptyID("lossless")
		mustCreate(t, c, client.PTYOptions{ID: id, LazyStart: true,
			Command: []string{"sh", "-c", fmt.Sprintf(`stty -echo; echo READY; read x; echo BEGIN; seq 1 %d; exit 3`, n)}})
		h1 := mustConnect(t, c, id, false)
		h2 := mustConnect(t, c, id, false)
		e := expect.New(h1, expect.WithTimeout(ptyWait))
		if _, err := e.Expect(ptyCtx(t), expect.Literal("READY\r\n")); err != nil {
			t.Fatal(err)
		}
		if err := e.SendLine("go"); err != nil {
			t.Fatal(err)
		}
		for _, h := range []client.PTYHandle{h1, h2} {
			if r := mustWait(t, h); r.ExitCode != 3 || r.Reason != "non-zero exit" {
				t.Fatalf("round %d: result %+v", round, r)
			}
		}
		res, err := e.Expect(ptyCtx(t), expect.EOF)
		if err != nil {
			t.Fatal(err)
		}
		out2, err := readAll(t, h2)
		if err != nil {
			t.Fatal(err)
		}
		got2 := string(out2)
		if i := strings.Index(got2, "BEGIN"); i >= 0 {
			got2 = got2[i:]
		}
		if res.Before != want || got2 != want {
			t.Fatalf("round %d: lost output: h1 got %d bytes (tail %q), h2 %d bytes (tail %q), want %d",
				round, len(res.Before), tail([]byte(res.Before)), len(got2), tail([]byte(got2)), len(want))
		}
		e.Close()
	}
}

// testPTYExitStatus: exit codes and reasons follow the close-frame table.
func testPTYExitStatus(t *testing.T, newBackend NewFunc) {
	c := newPTYBackend(t, newBackend)
	tests := []struct {
		script string
		code   int
		reason string
	}{
		{"exit 0", 0, ""},
		{"exit 3", 3, "non-zero exit"},
		{"exit 130", 130, "Ctrl+C"},
		{"kill -TERM $$", 143, "SIGTERM"},
		{"kill -KILL $$", 137, "SIGKILL"},
		{"kill -USR1 $$", 138, "signal 10"},
	}
	for _, tc := range tests {
		t.Run(tc.script, func(t *testing.T) {
			id := ptyID("exit")
			mustCreate(t, c, client.PTYOptions{ID: id, LazyStart: true, Command: []string{"sh", "-c", "echo out; " + tc.script}})
			h := mustConnect(t, c, id, false)
			out, err := readAll(t, h)
			if err != nil || !bytes.Contains(out, []byte("out\r\n")) {
				t.Fatalf("output %q, %v", out, err)
			}
			if r := mustWait(t, h); r.ExitCode != tc.code || r.Reason != tc.reason {
				t.Errorf("result %+v, want %d %q", r, tc.code, tc.reason)
			}
			info, err := c.GetPTY(ptyCtx(t), id)
			if err != nil || !info.Exited || info.ExitCode == nil || *info.ExitCode != tc.code || info.ExitReason != tc.reason {
				t.Errorf("GetPTY after exit: %+v, %v", info, err)
			}
		})
	}
}

// testPTYExitQueryable: an ended PTY stays visible with its exit status,
// rejects input and resizes, and can still be connected to for scrollback.
func testPTYExitQueryable(t *testing.T, newBackend NewFunc) {
	c := newPTYBackend(t, newBackend)
	id := ptyID("ended")
	mustCreate(t, c, client.PTYOptions{ID: id, LazyStart: true, Command: []string{"sh", "-c", "echo last words; exit 7"}})
	h := mustConnect(t, c, id, false)
	if _, err := readAll(t, h); err != nil {
		t.Fatal(err)
	}
	mustWait(t, h)

	info, err := c.GetPTY(ptyCtx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if info.Active || !info.Exited || info.ExitCode == nil || *info.ExitCode != 7 || info.ExitReason != "non-zero exit" {
		t.Errorf("GetPTY = %+v", info)
	}
	list, err := c.ListPTYs(ptyCtx(t))
	found := false
	for _, p := range list {
		found = found || (p.ID == id && p.Exited)
	}
	if err != nil || !found {
		t.Errorf("ended PTY not listed: %+v, %v", list, err)
	}
	if _, err := h.Write([]byte("hello\n")); !isKind(err, client.ErrClosed) {
		t.Errorf("input to ended PTY: %v, want ErrClosed", err)
	}
	if _, err := c.ResizePTY(ptyCtx(t), id, 100, 30); !isKind(err, client.ErrClosed) {
		t.Errorf("resize of ended PTY: %v, want ErrClosed", err)
	}

	late := mustConnect(t, c, id, true)
	if r := mustWait(t, late); r.ExitCode != 7 {
		t.Errorf("late Wait %+v", r)
	}
	out, err := readAll(t, late)
	if err != nil || !strings.Contains(string(out), "last words\r\n") {
		t.Errorf("late handle read %q, %v", out, err)
	}
	if sb, trunc := late.Scrollback(); string(sb) != string(out) || trunc {
		t.Errorf("Scrollback() = %q, %v; read %q", sb, trunc, out)
	}
	if _, err := late.Write([]byte("x")); !isKind(err, client.ErrClosed) {
		t.Errorf("input through late handle: %v, want ErrClosed", err)
	}
	// The id of an ended PTY can be used again.
	mustCreate(t, c, client.PTYOptions{ID: id, LazyStart: true, Command: []string{"true"}})
}

// connectWithScrollback connects until the scrollback satisfies ok.
func connectWithScrollback(t *testing.T, c client.Client, id string, ok func([]byte) bool) client.PTYHandle {
	t.Helper()
	for i := 0; ; i++ {
		h := mustConnect(t, c, id, true)
		if sb, _ := h.Scrollback(); ok(sb) {
			return h
		}
		h.Close()
		if i == 2000 {
			sb, _ := h.Scrollback()
			t.Fatalf("scrollback never ready: %q", tail(sb))
		}
		sleepBrief()
	}
}

// testPTYScrollback: a late handle gets recent output first, untruncated.
func testPTYScrollback(t *testing.T, newBackend NewFunc) {
	c := newPTYBackend(t, newBackend)
	id := ptyID("scroll")
	mustCreate(t, c, client.PTYOptions{ID: id, Command: []string{"sh", "-c", `stty -echo; echo early output; read x; echo "after:$x"`}})
	h := connectWithScrollback(t, c, id, func(b []byte) bool { return bytes.Contains(b, []byte("early output\r\n")) })
	sb, trunc := h.Scrollback()
	if trunc || !bytes.HasPrefix(sb, []byte("early output\r\n")) {
		t.Errorf("Scrollback() = %q, %v", sb, trunc)
	}
	if _, err := h.Write([]byte("typed\n")); err != nil {
		t.Fatal(err)
	}
	out, err := readAll(t, h)
	if err != nil {
		t.Fatal(err)
	}
	if want := string(sb) + "after:typed\r\n"; string(out) != want {
		t.Errorf("read %q, want scrollback then live output %q", out, want)
	}
	// Without Scrollback a handle gets nothing from the past.
	plain := mustConnect(t, c, id, false)
	if sb, trunc := plain.Scrollback(); len(sb) != 0 || trunc {
		t.Errorf("unrequested scrollback %q %v", sb, trunc)
	}
}

// testPTYScrollbackTruncated: scrollback is bounded and says it was cut.
func testPTYScrollbackTruncated(t *testing.T, newBackend NewFunc) {
	c := newPTYBackend(t, newBackend)
	id := ptyID("scrolltrunc")
	const n = 100000 // about 700 KB
	mustCreate(t, c, client.PTYOptions{ID: id, Command: []string{"sh", "-c", fmt.Sprintf("stty -echo; seq 1 %d; echo TAIL; read x", n)}})
	full := seqOutput(n) + "TAIL\r\n"
	h := connectWithScrollback(t, c, id, func(b []byte) bool { return bytes.HasSuffix(b, []byte("TAIL\r\n")) })
	sb, trunc := h.Scrollback()
	if !trunc || len(sb) == 0 || len(sb) >= len(full) || !strings.HasSuffix(full, string(sb)) {
		t.Errorf("Scrollback() = %d bytes (truncated %v), want a proper suffix of the %d-byte output", len(sb), trunc, len(full))
	}
	if _, err := h.Write([]byte("\n")); err != nil {
		t.Fatal(err)
	}
	out, err := readAll(t, h)
	if err != nil || string(out) != string(sb) {
		t.Errorf("read %d bytes (%v), want exactly the %d scrollback bytes", len(out), err, len(sb))
	}
}

// testPTYSlowConsumer: a handle that stops reading never holds up the PTY or
// other handles; it is cut off with an error matching ErrClosed, having
// received a prefix of the output.
func testPTYSlowConsumer(t *testing.T, newBackend NewFunc) {
	c := newPTYBackend(t, newBackend)
	id := ptyID("slow")
	// About 12 MB, beyond any sane per-handle buffer.
	mustCreate(t, c, client.PTYOptions{ID: id, LazyStart: true, Command: []string{"sh", "-c",
		`stty -echo; echo READY; read x; head -c 6000000 /dev/zero | od -v -An -tx1 -w64 | tr -d ' '; echo DONE`}})
	fast := mustConnect(t, c, id, false)
	stalled := mustConnect(t, c, id, false)
	e := expect.New(fast, expect.WithTimeout(ptyWait), expect.WithMaxBuffer(64<<10))
	defer e.Close()
	if _, err := e.Expect(ptyCtx(t), expect.Literal("READY\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := e.SendLine("go"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Expect(ptyCtx(t), expect.Literal("DONE\r\n")); err != nil {
		t.Fatalf("fast reader held up: %v", err)
	}
	if r := mustWait(t, fast); r.ExitCode != 0 {
		t.Fatalf("result %+v", r)
	}
	out, err := readAll(t, stalled)
	if !isKind(err, client.ErrClosed) {
		t.Fatalf("stalled handle: read %d bytes then %v; want an error matching ErrClosed", len(out), err)
	}
	line := strings.Repeat("00", 64) + "\r\n"
	s := string(out)
	if i := strings.Index(s, line); i >= 0 {
		s = s[i:]
	}
	if len(s) == 0 || strings.Trim(s, "0\r\n") != "" || strings.Contains(s, "DONE") {
		t.Errorf("stalled handle got something other than a prefix of the output (%d bytes, tail %q)", len(s), tail(out))
	}
}

// testPTYControlKeys: Ctrl-C interrupts the foreground job through the
// terminal (the PTY is the program's controlling terminal) and Ctrl-D on an
// empty line ends the shell.
func testPTYControlKeys(t *testing.T, newBackend NewFunc) {
	c := newPTYBackend(t, newBackend)
	id := ptyID("ctrl")
	mustCreate(t, c, client.PTYOptions{ID: id, LazyStart: true, Command: plainShell})
	h := mustConnect(t, c, id, false)
	sh := newShell(t, h)
	sh.run("true")
	// The marker is computed, so the echo of the typed line cannot match.
	if err := sh.e.SendLine(`sh -c 'echo "S$((40+2))"; exec sleep 100'`); err != nil {
		t.Fatal(err)
	}
	if _, err := sh.e.Expect(ptyCtx(t), expect.Literal("S42\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := sh.e.SendControl("c"); err != nil {
		t.Fatal(err)
	}
	// $? must be read first on the line ($? in the echo is not digits).
	if err := sh.e.SendLine(`echo "rc=$?="`); err != nil {
		t.Fatal(err)
	}
	if res, err := sh.e.Expect(ptyCtx(t), expect.Regexp(`rc=(\d+)=`)); err != nil || res.Groups[0] != "130" {
		t.Errorf("after Ctrl-C: %+v, %v; want rc=130", res, err)
	}
	if err := sh.e.SendControl("d"); err != nil {
		t.Fatal(err)
	}
	if _, err := sh.e.Expect(ptyCtx(t), expect.EOF); err != nil {
		t.Fatal(err)
	}
	if r := mustWait(t, h); r.ExitCode != 0 {
		t.Errorf("after Ctrl-D: %+v", r)
	}
}

// testPTYExitWithBackgroundChild: a background child that keeps the terminal
// open (and ignores SIGHUP) neither holds up the exit nor loses output, and
// killing the ended PTY sweeps it away.
func testPTYExitWithBackgroundChild(t *testing.T, newBackend NewFunc) {
	c := newPTYBackend(t, newBackend)
	id := ptyID("bgchild")
	const n = 20000
	mustCreate(t, c, client.PTYOptions{ID: id, LazyStart: true, Command: []string{"sh", "-c",
		fmt.Sprintf(`trap "" HUP; sleep 300 & echo "BG=$!"; seq 1 %d; exit 5`, n)}})
	h := mustConnect(t, c, id, false)
	if r := mustWait(t, h); r.ExitCode != 5 {
		t.Fatalf("result %+v", r)
	}
	out, err := readAll(t, h)
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	if _, err := fmt.Sscanf(string(out), "BG=%d\r\n", &pid); err != nil || pid <= 0 {
		t.Fatalf("no background pid in %q", tail(out))
	}
	if !strings.HasSuffix(string(out), seqOutput(n)) {
		t.Fatalf("output cut short: %d bytes, tail %q", len(out), tail(out))
	}
	if err := c.KillPTY(ptyCtx(t), id); err != nil {
		t.Fatal(err)
	}
	waitGone(t, []int{pid})
}
