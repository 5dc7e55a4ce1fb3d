package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/procsh/procsh/internal/wire"
)

// The procsh extensions on the wire (doc.go); Daytona clients never see
// them (the other tests check the plain shapes).
func TestExtensions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.createSession("s")
	E := "?procsh=1"

	t.Run("raw log frames, offset, exit frame", func(t *testing.T) {
		cid := h.execSync("s", `printf 'ab\000\377'; sleep 0.05; printf 'E\001\001\001' >&2; exit 3`)["cmdId"].(string)
		c, _, err := h.dial("/process/session/s/command/"+cid+"/logs?procsh=1&follow=true&offset=1", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var frames [][]byte
		var texts []string
		for {
			typ, d, err := c.ReadMessage()
			if err != nil {
				if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != 1000 {
					t.Errorf("close %v", err)
				}
				break
			}
			if typ == websocket.BinaryMessage {
				frames = append(frames, d)
			} else {
				texts = append(texts, string(d))
			}
		}
		want := [][]byte{append([]byte{1}, "b\x00\xff"...), append([]byte{2}, "E\x01\x01\x01"...)}
		if len(frames) != 2 || !bytes.Equal(frames[0], want[0]) || !bytes.Equal(frames[1], want[1]) {
			t.Errorf("frames %q, want %q", frames, want)
		}
		if len(texts) != 1 || texts[0] != `{"type":"exit","exitCode":3,"reason":"exited"}` {
			t.Errorf("text frames %q", texts)
		}
	})
	t.Run("session deleted mid-follow", func(t *testing.T) {
		h.createSession("gone")
		cid := h.execAsync("gone", "sleep 20", "")
		c, _, err := h.dial("/process/session/gone/command/"+cid+"/logs?procsh=1&follow=true", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		time.AfterFunc(100*time.Millisecond, func() { h.do("DELETE", "/process/session/gone", "", nil) })
		_, texts, _, ce, _ := readAll(t, c, 10*time.Second)
		// The backend ends the log when the session goes; its command
		// can no longer be asked for an exit code, so no exit frame (an
		// error frame would name the failure if the stream had failed).
		if ce == nil || ce.Code != 1000 || (len(texts) > 0 && !strings.Contains(texts[0], `"type":"error"`)) {
			t.Errorf("texts %q close %v", texts, ce)
		}
	})
	t.Run("raw input, close-input, wait", func(t *testing.T) {
		cid := h.execAsync("s", "cat; echo done", "")
		req, _ := http.NewRequest("POST", h.url+"/process/session/s/command/"+cid+"/input"+E, strings.NewReader("no newline\x00"))
		req.Header.Set("Content-Type", "application/octet-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 204 {
			t.Fatalf("raw input: %v %v", resp, err)
		}
		resp.Body.Close()
		h.mustStatus(h.do("POST", "/process/session/s/command/"+cid+"/close-input"+E, "", nil), 204)
		m := h.do("GET", "/process/session/s/command/"+cid+"?procsh=1&wait=true", "", nil).json(t)
		if m["exitCode"] != 0.0 {
			t.Errorf("wait %v", m)
		}
		lm := h.do("GET", "/process/session/s/command/"+cid+"/logs", "", nil).json(t)
		if lm["stdout"] != "no newline\x00done\n" {
			t.Errorf("logs %q", lm["stdout"])
		}
		r := h.do("POST", "/process/session/s/command/"+cid+"/close-input"+E, "", nil)
		if r.status != 410 || r.json(t)["procshKind"] != "closed" {
			t.Errorf("close-input after end: %d %s", r.status, r.body)
		}
	})
	t.Run("kill one command", func(t *testing.T) {
		cid := h.execAsync("s", "sleep 20", "")
		h.mustStatus(h.do("POST", "/process/session/s/command/"+cid+"/kill"+E, `{"signal":"KILL"}`, nil), 204)
		m := h.do("GET", "/process/session/s/command/"+cid+"?procsh=1&wait=true", "", nil).json(t)
		if m["exitCode"] == nil || m["exitCode"] == 0.0 {
			t.Errorf("killed command %v", m)
		}
		if got := h.execSync("s", "echo alive")["stdout"]; got != "alive\n" {
			t.Errorf("session after kill: %q", got)
		}
	})
	t.Run("execute result without 408", func(t *testing.T) {
		m := h.do("POST", "/process/execute"+E, `{"command":"echo part; sleep 5","timeoutMs":300}`, nil).json(t)
		raw, _ := m["procshRaw"].(map[string]any)
		if m["timedOut"] != true || raw == nil || raw["output"] != "cGFydAo=" { // base64("part\n")
			t.Errorf("timed-out result %v", m)
		}
	})
	t.Run("binary result body", func(t *testing.T) {
		req, _ := http.NewRequest("POST", h.url+"/process/session/s/exec"+E, strings.NewReader(`{"command":"printf 'o\\377'; printf e >&2"}`))
		req.Header.Set("Accept", wire.RawResultType)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.Header.Get("Content-Type") != wire.RawResultType {
			t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
		}
		var meta wire.SessionExecuteResponseExt
		parts, err := wire.ReadRawResult(resp.Body, &meta, func() []int64 { return meta.Lengths })
		if err != nil || len(parts) != 3 || string(parts[1]) != "o\xff" || string(parts[2]) != "e" || *meta.ExitCode != 0 {
			t.Errorf("parts %q meta %+v err %v", parts, meta, err)
		}
	})
	t.Run("cancel a call", func(t *testing.T) {
		done := make(chan reply, 1)
		go func() {
			done <- h.do("POST", "/process/execute?procsh=1&call=c1", `{"command":"sleep 30.987"}`, nil)
		}()
		deadline := time.Now().Add(5 * time.Second)
		for h.do("POST", wire.CancelPath+"c1", "", nil).status != 204 {
			if time.Now().After(deadline) {
				t.Fatal("call never registered")
			}
			time.Sleep(10 * time.Millisecond)
		}
		r := <-done
		if r.status != 499 || r.json(t)["procshKind"] != "closed" {
			t.Errorf("cancelled call: %d %s", r.status, r.body)
		}
		if n := countProcs(t, "sleep 30.987"); n != 0 {
			t.Errorf("%d processes survive the cancelled call", n)
		}
		h.mustStatus(h.do("POST", wire.CancelPath+"nope", "", nil), 404)
	})
	t.Run("session cwd and env", func(t *testing.T) {
		h.mustStatus(h.do("POST", "/process/session", `{"sessionId":"opt","cwd":"/tmp","envs":{"K":"v"}}`, nil), 201)
		if m := h.execSync("opt", "pwd; echo $K"); m["stdout"] != "/tmp\nv\n" {
			t.Errorf("%v", m)
		}
	})
	t.Run("pty scrollback and exit info", func(t *testing.T) {
		h.mustStatus(h.do("POST", "/process/pty"+E, `{"id":"sb","command":["sh","-c","echo early; read x"]}`, nil), 201)
		var hello wire.PtyControl
		for i := 0; ; i++ {
			c, _, err := h.dial("/process/pty/sb/connect?procsh=1&scrollback=true", nil)
			if err != nil {
				t.Fatal(err)
			}
			_, d, err := c.ReadMessage()
			c.Close()
			if err != nil {
				t.Fatal(err)
			}
			_ = json.Unmarshal(d, &hello)
			if bytes.Contains(hello.Scrollback, []byte("early")) || i == 100 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if hello.Status != "connected" || !bytes.Contains(hello.Scrollback, []byte("early\r\n")) {
			t.Errorf("hello %+v", hello)
		}
		h.mustStatus(h.do("DELETE", "/process/pty/sb", "", nil), 200)
	})
}
