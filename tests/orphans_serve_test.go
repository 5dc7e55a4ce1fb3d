package tests

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestNothingOutlivesServe is TestNothingOutlivesProcsh for `procsh serve`:
// a server with a busy session (background and setsid children) and an
// in-flight /process/execute is ended by SIGKILL, which it cannot trap, and
// by SIGQUIT (the Go runtime dies at once, as on a fatal error). Everything
// it started must end and its TMPDIR must be left empty.
func TestNothingOutlivesServe(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGQUIT} {
		t.Run(sigName(sig), func(t *testing.T) {
			tmp := t.TempDir()
			s := cliStartServerWith(t, "", nil, []string{"TMPDIR=" + tmp})
			pid := s.cmd.Process.Pid
			post := func(path, body string) {
				req, _ := http.NewRequest(http.MethodPost, s.url+path, bytes.NewBufferString(body))
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Errorf("POST %s: %v", path, err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode >= 300 {
					t.Errorf("POST %s: %s", path, resp.Status)
				}
			}
			tag := "7" + strconv.Itoa(int(sig))
			post("/process/session", `{"sessionId":"orph"}`)
			post("/process/session/orph/exec", `{"command":"sleep 61.`+tag+` & setsid sleep 62.`+tag+` >/dev/null 2>&1 & sleep 63.`+tag+`","runAsync":true}`)
			go func() {
				// In flight when the server dies: the request fails, its
				// processes must not survive.
				req, _ := http.NewRequest(http.MethodPost, s.url+"/process/execute", bytes.NewBufferString(`{"command":"sleep 64.`+tag+` & sleep 65.`+tag+`"}`))
				req.Header.Set("Content-Type", "application/json")
				if resp, err := http.DefaultClient.Do(req); err == nil {
					resp.Body.Close()
				}
			}()
			for i := 1; i <= 5; i++ {
				cliWaitForProc(t, s.mark, "sleep 6"+string(rune('0'+i))+"."+tag, pid, 20*time.Second)
			}
			if err := s.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { _ = s.cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatalf("procsh serve did not die on %v", sig)
			}
			s.stopOnce.Do(func() {}) // already gone: the cleanup must not signal it again
			cliAssertNoLeftovers(t, s.mark, pid)
			deadline := time.Now().Add(5 * time.Second)
			for {
				left, _ := filepath.Glob(filepath.Join(tmp, "*"))
				if len(left) == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("TMPDIR still holds %v", left)
				}
				time.Sleep(20 * time.Millisecond)
			}
			_ = os.Remove(tmp)
		})
	}
}
