//go:build linux

package local_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/local"
)

func countFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// settle waits (bounded) until the fd and goroutine counts are back at or
// below the baseline, and reports the last counts.
func settle(t *testing.T, fds, gs int) (int, int) {
	var f, g int
	for i := 0; i < 200; i++ {
		runtime.GC()
		f, g = countFDs(t), runtime.NumGoroutine()
		if f <= fds && g <= gs {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return f, g
}

// TestNoLeaks runs every kind of operation, including failing and killed
// ones, then checks that the process has no more fds and goroutines than
// before. Not parallel: it counts process-wide resources.
func TestNoLeaks(t *testing.T) {
	ctx := context.Background()
	warm, _ := local.New()
	_, _ = warm.Exec(ctx, client.ExecRequest{Command: "true"})
	_ = warm.Close()
	fds0, gs0 := settle(t, 0, 0)
	// A directory of its own: other tests (and packages) create and remove
	// temp files concurrently in the shared ones.
	tmp := t.TempDir()
	tmp0 := ourTemps(tmp)

	b, err := local.New(local.WithKillGrace(100*time.Millisecond), local.WithTempDir(tmp))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		_, _ = b.Exec(ctx, client.ExecRequest{Command: "echo hi; echo err >&2"})
		_, _ = b.Exec(ctx, client.ExecRequest{Command: "sleep 5 & sleep 5", Timeout: 50 * time.Millisecond})
		_, _ = b.Exec(ctx, client.ExecRequest{Command: "true", Cwd: "/nonexistent"})
		_, _ = b.Exec(ctx, client.ExecRequest{Command: ""})
		_, _ = b.CodeRun(ctx, client.CodeRunRequest{Code: "print(1)"})
		id := fmt.Sprintf("leak-%d", i)
		if err := b.CreateSession(ctx, client.SessionOptions{ID: id}); err != nil {
			t.Fatal(err)
		}
		_, _ = b.ExecSession(ctx, id, client.SessionExecRequest{Command: "cd /tmp; exit 2"})
		_, _ = b.ExecSession(ctx, id, client.SessionExecRequest{Command: "sleep 5 & echo x"})
		a, _ := b.ExecSession(ctx, id, client.SessionExecRequest{Command: "cat", Async: true})
		_ = b.SendInput(ctx, id, a.CmdID, []byte("in"))
		s, _ := b.StreamCommandLogs(ctx, id, a.CmdID, client.LogOptions{Follow: true})
		_ = b.CloseInput(ctx, id, a.CmdID)
		for {
			if _, err := s.Recv(); err != nil {
				if err != io.EOF {
					t.Errorf("stream: %v", err)
				}
				break
			}
		}
		_ = s.Close()
		k, _ := b.ExecSession(ctx, id, client.SessionExecRequest{Command: "sleep 5", Async: true})
		_ = b.KillCommand(ctx, id, k.CmdID, syscall.SIGKILL)
		_, _ = b.ExecSession(ctx, id, client.SessionExecRequest{Command: "sleep 5", Async: true})
		_, _ = b.ExecSession(ctx, id, client.SessionExecRequest{Command: "queued", Async: true})
		if i%2 == 0 {
			if err := b.DeleteSession(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Odd sessions are left for Close.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	fds1, gs1 := settle(t, fds0, gs0)
	if fds1 > fds0 {
		t.Errorf("fds: %d before, %d after", fds0, fds1)
	}
	if gs1 > gs0 {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Errorf("goroutines: %d before, %d after\n%s", gs0, gs1, buf[:n])
	}
	if tmp1 := ourTemps(tmp); tmp1 > tmp0 {
		t.Errorf("temp files/dirs: %d before, %d after", tmp0, tmp1)
	}
}

// ourTemps counts the backend's temporary files and directories in dir.
func ourTemps(dir string) int {
	ents, _ := os.ReadDir(dir)
	return len(ents)
}
