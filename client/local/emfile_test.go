//go:build linux

package local_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/local"
)

// TestDescriptorExhaustion: past RLIMIT_NOFILE, creating a session or
// starting a command fails with a typed error, and once sessions are
// deleted everything works again with nothing left open. The helper process
// lowers its own limit (raising it back is allowed up to the hard limit),
// so the other tests are not starved.
func TestDescriptorExhaustion(t *testing.T) {
	if os.Getenv("PROCSH_EMFILE_HELPER") == "1" {
		emfileHelper()
		return
	}
	out, err := runAsHelper(t, "PROCSH_EMFILE_HELPER", 2*time.Minute)
	t.Logf("helper:\n%s", out)
	if err != nil || !strings.Contains(string(out), "HELPER OK") {
		t.Fatalf("helper failed: %v", err)
	}
}

func emfileHelper() {
	fail := func(format string, args ...any) {
		fmt.Printf("FAIL: "+format+"\n", args...)
		os.Exit(1)
	}
	ctx := context.Background()
	be, err := local.New()
	if err != nil {
		fail("new: %v", err)
	}
	// Warm up what opens once per process (the reaper, /dev/null).
	if err := be.CreateSession(ctx, client.SessionOptions{ID: "warm"}); err != nil {
		fail("warm: %v", err)
	}
	if _, err := be.ExecSession(ctx, "warm", client.SessionExecRequest{Command: "true"}); err != nil {
		fail("warm: %v", err)
	}
	_ = be.DeleteSession(ctx, "warm")
	fds0 := fdCount()

	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fail("getrlimit: %v", err)
	}
	low := lim
	low.Cur = uint64(fds0 + 120)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		fail("setrlimit: %v", err)
	}
	var ids []string
	var last error
	for i := 0; i < 200 && last == nil; i++ {
		id := fmt.Sprintf("s%d", i)
		if err := be.CreateSession(ctx, client.SessionOptions{ID: id}); err != nil {
			last = err
			break
		}
		ids = append(ids, id)
		if _, err := be.ExecSession(ctx, id, client.SessionExecRequest{Command: "sleep 600", Async: true}); err != nil {
			last = err
		}
	}
	if last == nil {
		fail("200 busy sessions fitted in %d descriptors", low.Cur)
	}
	var ce *client.Error
	if !errors.As(last, &ce) || !errors.Is(last, client.ErrUnavailable) {
		fail("at the limit: %v (%T), want a client.Error of kind unavailable", last, last)
	}
	fmt.Printf("after %d sessions: %v\n", len(ids), last)
	// A one-shot command at the limit fails the same way, or runs.
	if _, err := be.Exec(ctx, client.ExecRequest{Command: "true"}); err != nil && !errors.Is(err, client.ErrUnavailable) {
		fail("exec at the limit: %v, want unavailable or success", err)
	}
	for _, id := range ids {
		if err := be.DeleteSession(ctx, id); err != nil {
			fail("delete %s: %v", id, err)
		}
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fail("setrlimit: %v", err)
	}
	if err := be.CreateSession(ctx, client.SessionOptions{ID: "again"}); err != nil {
		fail("after the deletes: %v", err)
	}
	r, err := be.ExecSession(ctx, "again", client.SessionExecRequest{Command: "echo back"})
	if err != nil || r.Output != "back\n" {
		fail("after the deletes: %+v %v", r, err)
	}
	_ = be.DeleteSession(ctx, "again")
	if n := fdCount(); n > fds0 {
		fail("%d descriptors open after the deletes, %d before", n, fds0)
	}
	_ = be.Close()
	fmt.Println("HELPER OK")
}

func fdCount() int {
	ents, _ := os.ReadDir("/proc/self/fd")
	return len(ents)
}
