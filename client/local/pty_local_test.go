//go:build linux

package local

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/expect"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func readUntilErr(h client.PTYHandle) ([]byte, error) {
	var buf bytes.Buffer
	p := make([]byte, 8192)
	for {
		n, err := h.Read(p)
		buf.Write(p[:n])
		if err != nil {
			return buf.Bytes(), err
		}
	}
}

// TestPTYSlowConsumerPolicy pins down the local policy (with a 1 MiB limit
// instead of the default 4 MiB, against about 4.6 MB of output): a handle whose
// unread output would pass its buffer limit gets what fitted, then an
// ErrClosed "slow consumer" error; the PTY and the other handle carry on.
func TestPTYSlowConsumerPolicy(t *testing.T) {
	b := newTestBackend(t)
	defer b.Close()
	ctx := ctxT(t)
	if _, err := b.CreatePTY(ctx, client.PTYOptions{ID: "slow", LazyStart: true, Command: []string{"sh", "-c",
		`stty -echo; echo READY; read x; seq 1 600000; echo DONE; read y; echo BYE`}}); err != nil {
		t.Fatal(err)
	}
	// The limit is taken at connect time: the reading handle gets room for
	// all the output, so only the stalled one can overflow, however loaded
	// the machine is.
	b.ptys.handleBuf = 64 << 20
	fast, err := b.ConnectPTY(ctx, "slow", client.PTYConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b.ptys.handleBuf = 1 << 20
	stalled, err := b.ConnectPTY(ctx, "slow", client.PTYConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := expect.New(fast, expect.WithTimeout(20*time.Second))
	defer e.Close()
	if _, err := e.Expect(ctx, expect.Literal("READY\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := e.SendLine("go"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Expect(ctx, expect.Literal("DONE\r\n")); err != nil {
		t.Fatal(err)
	}
	// The stalled handle was dropped from the PTY: input still works and
	// its Read ends with the policy error after at most the limit.
	out, err := readUntilErr(stalled)
	if !errors.Is(err, client.ErrClosed) || !strings.Contains(err.Error(), "slow consumer") {
		t.Fatalf("stalled handle error %v", err)
	}
	if len(out) == 0 || len(out) > 1<<20 || !strings.HasPrefix(seqText(600000), string(bytes.TrimPrefix(out, []byte("READY\r\n")))) {
		t.Fatalf("stalled handle got %d bytes, want a non-empty prefix of at most 1 MiB", len(out))
	}
	if _, err := stalled.Read(make([]byte, 10)); !errors.Is(err, client.ErrClosed) {
		t.Fatalf("second read %v", err)
	}
	if err := e.SendLine("again"); err != nil {
		t.Fatal(err)
	}
	if res, err := e.Expect(ctx, expect.EOF); err != nil || res.Before != "BYE\r\n" {
		t.Fatalf("fast handle end %+v, %v", res, err)
	}
	b.ptys.mu.Lock()
	s := b.ptys.sessions["slow"]
	b.ptys.mu.Unlock()
	s.mu.Lock()
	n := len(s.handles)
	s.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d handles still registered after exit", n)
	}
}

func seqText(n int) string {
	var sb strings.Builder
	for i := 1; i <= n; i++ {
		sb.WriteString(strconv.Itoa(i))
		sb.WriteString("\r\n")
	}
	return sb.String()
}

// TestPTYRetention: an ended PTY is forgotten once its retention passes.
func TestPTYRetention(t *testing.T) {
	b := newTestBackend(t)
	defer b.Close()
	b.ptys.retention = 50 * time.Millisecond
	ctx := ctxT(t)
	if _, err := b.CreatePTY(ctx, client.PTYOptions{ID: "r", LazyStart: true, Command: []string{"true"}}); err != nil {
		t.Fatal(err)
	}
	h, err := b.ConnectPTY(ctx, "r", client.PTYConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if info, err := b.GetPTY(ctx, "r"); err != nil || !info.Exited {
		t.Fatalf("right after exit: %+v, %v", info, err)
	}
	time.Sleep(60 * time.Millisecond)
	if _, err := b.GetPTY(ctx, "r"); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("after retention: %v, want ErrNotFound", err)
	}
	if list, err := b.ListPTYs(ctx); err != nil || len(list) != 0 {
		t.Fatalf("list after retention: %+v, %v", list, err)
	}
}

// TestPTYRetentionCap: only the most recently ended PTYs are kept.
func TestPTYRetentionCap(t *testing.T) {
	b := newTestBackend(t)
	defer b.Close()
	b.ptys.maxEnded = 2
	ctx := ctxT(t)
	if _, err := b.CreatePTY(ctx, client.PTYOptions{ID: "live", Command: []string{"sleep", "60"}}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"e1", "e2", "e3"} {
		if _, err := b.CreatePTY(ctx, client.PTYOptions{ID: id, LazyStart: true, Command: []string{"true"}}); err != nil {
			t.Fatal(err)
		}
		h, err := b.ConnectPTY(ctx, id, client.PTYConnectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	list, err := b.ListPTYs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range list {
		ids = append(ids, p.ID)
	}
	if strings.Join(ids, ",") != "e2,e3,live" {
		t.Fatalf("kept %v, want the two latest ended PTYs and the live one", ids)
	}
}

// TestPTYLazyResize: a resize before a lazy start is the size it starts with.
func TestPTYLazyResize(t *testing.T) {
	b := newTestBackend(t)
	defer b.Close()
	ctx := ctxT(t)
	if _, err := b.CreatePTY(ctx, client.PTYOptions{ID: "z", LazyStart: true, Command: []string{"stty", "size"}}); err != nil {
		t.Fatal(err)
	}
	if info, err := b.ResizePTY(ctx, "z", 120, 50); err != nil || info.Active || info.Cols != 120 {
		t.Fatalf("resize lazy: %+v, %v", info, err)
	}
	h, err := b.ConnectPTY(ctx, "z", client.PTYConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(h)
	if err != nil || strings.TrimSpace(string(out)) != "50 120" {
		t.Fatalf("stty size %q, %v", out, err)
	}
}

// TestPTYHandleClose: closing a handle detaches only it.
func TestPTYHandleClose(t *testing.T) {
	b := newTestBackend(t)
	defer b.Close()
	ctx := ctxT(t)
	if _, err := b.CreatePTY(ctx, client.PTYOptions{ID: "c", LazyStart: true, Command: []string{"cat"}}); err != nil {
		t.Fatal(err)
	}
	h1, _ := b.ConnectPTY(ctx, "c", client.PTYConnectOptions{})
	h2, _ := b.ConnectPTY(ctx, "c", client.PTYConnectOptions{})
	done := make(chan error, 1)
	go func() { _, err := h1.Read(make([]byte, 10)); done <- err }()
	time.Sleep(10 * time.Millisecond)
	if err := h1.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, client.ErrClosed) {
		t.Fatalf("blocked Read after Close: %v", err)
	}
	if err := h1.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := h1.Write([]byte("x")); !errors.Is(err, client.ErrClosed) {
		t.Fatalf("Write after Close: %v", err)
	}
	e := expect.New(h2, expect.WithTimeout(10*time.Second))
	defer e.Close()
	if err := e.SendLine("still here"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Expect(ctx, expect.Literal("still here\r\nstill here\r\n")); err != nil {
		t.Fatal(err) // the tty echo, then cat's copy
	}
	if info, _ := b.GetPTY(ctx, "c"); !info.Active {
		t.Fatalf("program stopped when a handle closed: %+v", info)
	}
}

// TestPTYOptions: WithShell, WithDir and WithEnv apply to PTYs.
func TestPTYOptions(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PROCSH_NOT_IN_BASE", "x")
	b := newTestBackend(t, WithShell("/bin/sh"), WithDir(dir), WithEnv([]string{"PATH=" + os.Getenv("PATH"), "BASE_ONLY=base"}))
	defer b.Close()
	ctx := ctxT(t)
	info, err := b.CreatePTY(ctx, client.PTYOptions{ID: "o", LazyStart: true})
	if err != nil || info.Cwd != dir {
		t.Fatalf("create %+v, %v", info, err)
	}
	h, err := b.ConnectPTY(ctx, "o", client.PTYConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := expect.New(h, expect.WithStripANSI(), expect.WithTimeout(10*time.Second))
	defer e.Close()
	if err := e.SendLine(`echo "R=$0|$BASE_ONLY|${PROCSH_NOT_IN_BASE:-none}|$(pwd)|$((1+1))"`); err != nil {
		t.Fatal(err)
	}
	res, err := e.Expect(ctx, expect.Regexp(`R=(.*)\|2\r\n`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "/bin/sh|base|none|" + dir; res.Groups[0] != want {
		t.Fatalf("got %q, want %q", res.Groups[0], want)
	}
}

// TestPTYNoLeaks: after Close, no goroutine or file descriptor of the PTYs
// remains.
func TestPTYNoLeaks(t *testing.T) {
	fds := func() int { d, _ := os.ReadDir("/proc/self/fd"); return len(d) }
	g0, f0 := runtime.NumGoroutine(), fds()
	b := newTestBackend(t)
	ctx := ctxT(t)
	for _, id := range []string{"a", "b", "c"} {
		if _, err := b.CreatePTY(ctx, client.PTYOptions{ID: id, Command: []string{"sh", "-c", "sleep 300 & cat"}}); err != nil {
			t.Fatal(err)
		}
		h, err := b.ConnectPTY(ctx, id, client.PTYConnectOptions{Scrollback: true})
		if err != nil {
			t.Fatal(err)
		}
		_ = h // left attached on purpose
	}
	if _, err := b.CreatePTY(ctx, client.PTYOptions{ID: "bad", Cwd: "/nonexistent"}); err == nil {
		t.Fatal("bad cwd accepted")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > g0 || fds() > f0 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines %d (was %d), fds %d (was %d)\n%s", runtime.NumGoroutine(), g0, fds(), f0, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPTYBlockedWriteEndsOnKill: input to a program that never reads blocks
// once the terminal's input queue is full; killing the PTY releases the
// writer with ErrClosed instead of leaving it stuck.
func TestPTYBlockedWriteEndsOnKill(t *testing.T) {
	b := newTestBackend(t)
	defer b.Close()
	ctx := ctxT(t)
	if _, err := b.CreatePTY(ctx, client.PTYOptions{ID: "deaf", LazyStart: true,
		Command: []string{"sh", "-c", "stty raw -echo; echo READY; exec sleep 300"}}); err != nil {
		t.Fatal(err)
	}
	h, err := b.ConnectPTY(ctx, "deaf", client.PTYConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := expect.New(h, expect.WithTimeout(10*time.Second))
	defer e.Close()
	if _, err := e.Expect(ctx, expect.Literal("READY")); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := h.Write(make([]byte, 1<<20))
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("a 1 MiB write to a program that never reads returned early: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	if err := b.KillPTY(ctx, "deaf"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, client.ErrClosed) {
			t.Fatalf("blocked write ended with %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("write still blocked after KillPTY")
	}
}

// TestPTYLargeInput: a large write reaches the program whole and in order.
func TestPTYLargeInput(t *testing.T) {
	b := newTestBackend(t)
	defer b.Close()
	ctx := ctxT(t)
	const size = 256 << 10
	if _, err := b.CreatePTY(ctx, client.PTYOptions{ID: "big", LazyStart: true,
		Command: []string{"sh", "-c", fmt.Sprintf("stty raw -echo; echo READY; head -c %d | od -An -v -tx1 | tr -d ' \\n' | md5sum; echo", size)}}); err != nil {
		t.Fatal(err)
	}
	h, err := b.ConnectPTY(ctx, "big", client.PTYConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := expect.New(h, expect.WithTimeout(20*time.Second))
	defer e.Close()
	if _, err := e.Expect(ctx, expect.Literal("READY")); err != nil {
		t.Fatal(err)
	}
	in := make([]byte, size)
	for i := range in {
		in[i] = byte(i*7 + i/256) // every byte value, raw mode passes them all
	}
	if _, err := h.Write(in); err != nil {
		t.Fatal(err)
	}
	res, err := e.Expect(ctx, expect.Regexp(`([0-9a-f]{32})`))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%x", md5.Sum([]byte(hex.EncodeToString(in)))); res.Groups[0] != want {
		t.Fatalf("program saw md5 %s of the hex input, want %s", res.Groups[0], want)
	}
}
