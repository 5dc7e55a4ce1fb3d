//go:build linux

package local_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/local"
)

// logFiles lists this process's open log files: their modes, and whether
// each is already unlinked.
func logFiles(t *testing.T) (modes []os.FileMode, unlinked int) {
	t.Helper()
	ents, _ := os.ReadDir("/proc/self/fd")
	for _, e := range ents {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err != nil || !strings.Contains(target, "procsh-log-") {
			continue
		}
		if st, err := os.Stat(filepath.Join("/proc/self/fd", e.Name())); err == nil {
			modes = append(modes, st.Mode().Perm())
		}
		if strings.HasSuffix(target, " (deleted)") {
			unlinked++
		}
	}
	return modes, unlinked
}

// readStream collects a log stream per stream, checking that chunk offsets
// are contiguous from start.
func readStream(t *testing.T, st client.LogStream, start int64) (out, errb []byte, end int64) {
	t.Helper()
	defer st.Close()
	end = start
	for {
		c, err := st.Recv()
		if err == io.EOF {
			return out, errb, end
		}
		if err != nil {
			t.Fatalf("Recv at %d: %v", end, err)
		}
		if c.Offset != end {
			t.Fatalf("chunk at offset %d, want %d", c.Offset, end)
		}
		end += int64(len(c.Data))
		if c.Stream == client.Stderr {
			errb = append(errb, c.Data...)
		} else {
			out = append(out, c.Data...)
		}
	}
}

func seqOut(n int) string {
	b, err := exec.Command("seq", "1", strconv.Itoa(n)).Output()
	if err != nil {
		panic(err)
	}
	return string(b)
}

// A log past the memory window moves to a private unlinked file and reads
// back byte-exact, whole, from any offset, and followed while it grows.
func TestLogSpillsToDisk(t *testing.T) {
	dir := t.TempDir()
	b, err := local.New(local.WithLogMemory(64<<10), local.WithLogDir(dir), local.WithKillGrace(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	if err := b.CreateSession(ctx, client.SessionOptions{ID: "s"}); err != nil {
		t.Fatal(err)
	}
	wantOut, wantErr := seqOut(400000), seqOut(100000)
	res, err := b.ExecSession(ctx, "s", client.SessionExecRequest{Command: "seq 1 200000; seq 1 100000 >&2; sleep 0.3; seq 200001 400000", Async: true})
	if err != nil {
		t.Fatal(err)
	}
	follow, err := b.StreamCommandLogs(ctx, "s", res.CmdID, client.LogOptions{Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	fout, ferr, fend := readStream(t, follow, 0)
	if string(fout) != wantOut || string(ferr) != wantErr {
		t.Fatalf("followed log: stdout %d bytes (want %d), stderr %d (want %d)", len(fout), len(wantOut), len(ferr), len(wantErr))
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("log dir holds %d names; log files must be unlinked", len(entries))
	}
	modes, unlinked := logFiles(t)
	if len(modes) == 0 || unlinked != len(modes) {
		t.Fatalf("open log files: modes %v, %d unlinked", modes, unlinked)
	}
	for _, m := range modes {
		if m != 0o600 {
			t.Errorf("log file mode %v, want 0600", m)
		}
	}
	logs, err := b.GetCommandLogs(ctx, "s", res.CmdID)
	if err != nil {
		t.Fatal(err)
	}
	if logs.Stdout != wantOut || logs.Stderr != wantErr || int64(len(logs.Output)) != fend || logs.Truncated || logs.FirstOffset != 0 {
		t.Fatalf("snapshot: %d/%d/%d bytes truncated=%v first=%d", len(logs.Output), len(logs.Stdout), len(logs.Stderr), logs.Truncated, logs.FirstOffset)
	}
	// Replays from offsets inside, at the edges of and past records.
	for _, off := range []int64{0, 1, 65535, 65536, 1 << 20, fend/2 + 7, fend - 1, fend} {
		st, err := b.StreamCommandLogs(ctx, "s", res.CmdID, client.LogOptions{Offset: off})
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		for {
			c, err := st.Recv()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("offset %d: %v", off, err)
			}
			got = append(got, c.Data...)
		}
		st.Close()
		if !bytes.Equal(got, []byte(logs.Output[off:])) {
			t.Fatalf("replay from %d: %d bytes, want %d", off, len(got), len(logs.Output)-int(off))
		}
	}
	// Deleting the session closes its log files.
	if err := b.DeleteSession(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	if modes, _ := logFiles(t); len(modes) != 0 {
		t.Fatalf("%d log files open after DeleteSession", len(modes))
	}
}

// A retention limit keeps at most that many bytes, the newest; the log says
// it was truncated and from where, and a replay of a dropped offset is a
// typed error, never silent loss.
func TestLogLimit(t *testing.T) {
	const limit = 1 << 20
	b, err := local.New(local.WithLogMemory(32<<10), local.WithLogLimit(limit), local.WithLogDir(t.TempDir()), local.WithKillGrace(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	if err := b.CreateSession(ctx, client.SessionOptions{ID: "s"}); err != nil {
		t.Fatal(err)
	}
	want := seqOut(1000000) // 6.9 MB
	res, err := b.ExecSession(ctx, "s", client.SessionExecRequest{Command: "seq 1 1000000"})
	if err != nil {
		t.Fatal(err)
	}
	if *res.ExitCode != 0 {
		t.Fatalf("exit %d", *res.ExitCode)
	}
	logs, err := b.GetCommandLogs(ctx, "s", res.CmdID)
	if err != nil {
		t.Fatal(err)
	}
	kept := int64(len(logs.Output))
	if !logs.Truncated || logs.FirstOffset <= 0 || kept > limit || kept < limit*3/4 {
		t.Fatalf("truncated=%v first=%d kept=%d (limit %d)", logs.Truncated, logs.FirstOffset, kept, limit)
	}
	if logs.FirstOffset+kept != int64(len(want)) || logs.Output != want[logs.FirstOffset:] {
		t.Fatalf("kept bytes are not the log's tail from %d", logs.FirstOffset)
	}
	for _, off := range []int64{0, logs.FirstOffset - 1} {
		st, _ := b.StreamCommandLogs(ctx, "s", res.CmdID, client.LogOptions{Offset: off})
		_, err := st.Recv()
		st.Close()
		if !errors.Is(err, client.ErrNotFound) || !strings.Contains(err.Error(), "no longer kept") {
			t.Fatalf("replay from dropped offset %d: %v", off, err)
		}
	}
	st, _ := b.StreamCommandLogs(ctx, "s", res.CmdID, client.LogOptions{Offset: logs.FirstOffset})
	out, _, _ := readStream(t, st, logs.FirstOffset)
	if string(out) != logs.Output {
		t.Fatalf("replay from the first kept offset: %d bytes, want %d", len(out), kept)
	}
	// A tiny limit is kept exactly too (records never straddle segments).
	b2, _ := local.New(local.WithLogLimit(100), local.WithLogDir(t.TempDir()))
	defer b2.Close()
	_ = b2.CreateSession(ctx, client.SessionOptions{ID: "s"})
	r2, err := b2.ExecSession(ctx, "s", client.SessionExecRequest{Command: "seq 1 10000"})
	if err != nil {
		t.Fatal(err)
	}
	l2, _ := b2.GetCommandLogs(ctx, "s", r2.CmdID)
	full := seqOut(10000)
	if len(l2.Output) > 100 || len(l2.Output) < 75 || l2.Output != full[l2.FirstOffset:] {
		t.Fatalf("limit 100: kept %d bytes from %d: %q", len(l2.Output), l2.FirstOffset, l2.Output)
	}
}

// Memory stays flat whatever the output size: 128 MiB of output costs the
// heap a small constant.
func TestLogMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 128 MiB")
	}
	b, err := local.New(local.WithLogDir(t.TempDir()), local.WithKillGrace(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	_ = b.CreateSession(ctx, client.SessionOptions{ID: "s"})
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	before := heap()
	res, err := b.ExecSession(ctx, "s", client.SessionExecRequest{Command: "head -c 134217728 /dev/zero", Async: true})
	if err != nil {
		t.Fatal(err)
	}
	ci, err := b.WaitCommand(ctx, "s", res.CmdID)
	if err != nil || *ci.ExitCode != 0 {
		t.Fatalf("wait: %v %v", ci, err)
	}
	after := heap()
	st, _ := b.StreamCommandLogs(ctx, "s", res.CmdID, client.LogOptions{})
	_, _, end := readStream(t, st, 0)
	if end != 128<<20 {
		t.Fatalf("log holds %d bytes", end)
	}
	if grow := int64(after) - int64(before); grow > 8<<20 {
		t.Fatalf("heap grew by %d bytes for 128 MiB of output", grow)
	}
	t.Logf("heap growth for 128 MiB of output: %d KiB", (int64(after)-int64(before))>>10)
}

// Results keep at most MaxOutput bytes and say Truncated; OnOutput and the
// session log still see everything.
func TestMaxOutput(t *testing.T) {
	b, err := local.New(local.WithLogDir(t.TempDir()), local.WithKillGrace(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	full := seqOut(10000)
	for _, c := range []struct {
		max       int64
		want      string
		truncated bool
	}{
		{1000, full[:1000], true},
		{int64(len(full)), full, false},
		{0, full, false},  // DefaultMaxOutput
		{-1, full, false}, // no cap
	} {
		var seen int
		res, err := b.Exec(ctx, client.ExecRequest{Command: "seq 1 10000", MaxOutput: c.max, OnOutput: func(ch client.Chunk) { seen += len(ch.Data) }})
		if err != nil {
			t.Fatal(err)
		}
		if res.Result != c.want || res.Stdout != c.want || res.Stderr != "" || res.Truncated != c.truncated || seen != len(full) {
			t.Errorf("exec max %d: %d bytes, truncated %v, OnOutput saw %d", c.max, len(res.Result), res.Truncated, seen)
		}
		cr, err := b.CodeRun(ctx, client.CodeRunRequest{Code: "import sys\nfor i in range(1, 10001): print(i)", MaxOutput: c.max})
		if _, lerr := exec.LookPath("python3"); lerr == nil && (err != nil || cr.Result != c.want || cr.Truncated != c.truncated) {
			t.Errorf("code run max %d: %v %d bytes truncated %v", c.max, err, len(cr.Result), cr.Truncated)
		}
	}
	// Interleaved streams split exactly, and the cap counts both.
	res, err := b.Exec(ctx, client.ExecRequest{Command: "echo a; sleep 0.05; echo bb >&2; sleep 0.05; echo c; sleep 0.05; echo dddd >&2", MaxOutput: 8})
	if err != nil {
		t.Fatal(err)
	}
	if res.Result != "a\nbb\nc\nd" || res.Stdout != "a\nc\n" || res.Stderr != "bb\nd" || !res.Truncated {
		t.Errorf("interleaved: %q %q %q %v", res.Result, res.Stdout, res.Stderr, res.Truncated)
	}
	if err := b.CreateSession(ctx, client.SessionOptions{ID: "s"}); err != nil {
		t.Fatal(err)
	}
	sr, err := b.ExecSession(ctx, "s", client.SessionExecRequest{Command: "seq 1 10000; echo tail >&2", MaxOutput: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if sr.Output != full[:1000] || sr.Stdout != full[:1000] || sr.Stderr != "" || !sr.Truncated {
		t.Errorf("session exec: %d bytes, stderr %q, truncated %v", len(sr.Output), sr.Stderr, sr.Truncated)
	}
	logs, _ := b.GetCommandLogs(ctx, "s", sr.CmdID)
	if logs.Stdout != full || logs.Stderr != "tail\n" || logs.Truncated {
		t.Errorf("the log keeps everything: %d bytes, truncated %v", len(logs.Output), logs.Truncated)
	}
}
