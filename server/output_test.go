package server

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/remote"
)

func seqText(t *testing.T, n string) string {
	b, err := exec.Command("seq", "1", n).Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Synchronous results are capped (the server's default for Daytona
// clients, the client's maxOutput for procsh clients) and say truncated.
func TestMaxOutputOverHTTP(t *testing.T) {
	t.Parallel()
	h := newHarness(t, WithMaxOutput(1000))
	full := seqText(t, "100000")
	h.createSession("s")
	// Daytona: the server's cap, the first bytes, valid JSON.
	m := h.do("POST", "/process/execute", `{"command":"seq 1 100000"}`, nil).json(t)
	if m["result"] != full[:1000] {
		t.Errorf("execute result %d bytes, want the first 1000", len(m["result"].(string)))
	}
	m = h.execSync("s", "seq 1 100000")
	if m["stdout"] != full[:1000] || m["output"] != mark1+full[:1000] {
		t.Errorf("session exec: stdout %d bytes, output %q…", len(m["stdout"].(string)), m["output"].(string)[:10])
	}
	// procsh: the client's cap, and truncated.
	for _, c := range []struct {
		body      string
		n         int
		truncated bool
	}{
		{`{"command":"seq 1 100000","maxOutput":100}`, 100, true},
		{`{"command":"seq 1 100000","maxOutput":-1}`, len(full), false},
	} {
		m := h.do("POST", "/process/execute?procsh=1", c.body, nil).json(t)
		raw, _ := base64.StdEncoding.DecodeString(m["procshRaw"].(map[string]any)["output"].(string))
		if string(raw) != full[:c.n] || (m["truncated"] == true) != c.truncated {
			t.Errorf("%s: %d bytes, truncated %v", c.body, len(raw), m["truncated"])
		}
		m = h.do("POST", "/process/session/s/exec?procsh=1", strings.Replace(c.body, "command", "command", 1), nil).json(t)
		raw, _ = base64.StdEncoding.DecodeString(m["procshRaw"].(map[string]any)["stdout"].(string))
		if string(raw) != full[:c.n] || (m["truncated"] == true) != c.truncated {
			t.Errorf("session %s: %d bytes, truncated %v", c.body, len(raw), m["truncated"])
		}
	}
}

// Mixed output streamed from the log gives the same marker-encoded output
// as the log itself, capped where the result is.
func TestSessionExecMixedStreamed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.createSession("s")
	m := h.execSync("s", `printf 'o1\n'; sleep 0.05; printf 'e1\n' >&2; sleep 0.05; printf 'o2 <&> \xff\n'`)
	want := mark1 + "o1\n" + mark2 + "e1\n" + mark1 + "o2 <&> \ufffd\n"
	if m["output"] != want || m["stdout"] != "o1\no2 <&> \ufffd\n" || m["stderr"] != "e1\n" {
		t.Errorf("output %q stdout %q stderr %q", m["output"], m["stdout"], m["stderr"])
	}
}

// The procsh remote client carries MaxOutput and Truncated both ways.
func TestMaxOutputRemoteClient(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	rc, err := remote.New(h.url)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	ctx := context.Background()
	full := seqText(t, "100000")
	res, err := rc.Exec(ctx, client.ExecRequest{Command: "seq 1 100000", MaxOutput: 100})
	if err != nil || res.Result != full[:100] || !res.Truncated {
		t.Fatalf("exec: %v %d bytes truncated %v", err, len(res.Result), res.Truncated)
	}
	res, err = rc.Exec(ctx, client.ExecRequest{Command: "seq 1 100000"})
	if err != nil || res.Result != full || res.Truncated {
		t.Fatalf("exec without cap: %v %d bytes truncated %v", err, len(res.Result), res.Truncated)
	}
	if err := rc.CreateSession(ctx, client.SessionOptions{ID: "s"}); err != nil {
		t.Fatal(err)
	}
	sr, err := rc.ExecSession(ctx, "s", client.SessionExecRequest{Command: "seq 1 100000", MaxOutput: 100})
	if err != nil || sr.Output != full[:100] || sr.Stdout != full[:100] || !sr.Truncated {
		t.Fatalf("session exec: %v %+v", err, sr)
	}
}

// After a large result is answered its memory goes back to the OS (not
// parallel: the heap figures are the whole process's).
func TestMemoryHandedBack(t *testing.T) {
	h := newHarness(t)
	retained := func() uint64 {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapIdle - m.HeapReleased
	}
	for _, path := range []string{"/process/execute", "/process/execute?procsh=1"} {
		// The body is discarded as it arrives, so the only large
		// allocation in this process is the server's.
		resp, err := http.Post(h.url+path, "application/json", strings.NewReader(`{"command":"head -c 41943040 /dev/zero | tr '\\0' a","maxOutput":-1}`))
		if err != nil {
			t.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || n < 40<<20 {
			t.Fatalf("%s: %d, %d bytes", path, resp.StatusCode, n)
		}
		var got uint64
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if got = retained(); got < 16<<20 {
				break
			}
		}
		if got >= 16<<20 {
			t.Errorf("%s: %d MiB of freed heap still held by the process", path, got>>20)
		}
	}
}
