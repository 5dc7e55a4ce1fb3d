package tests

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Peak-memory figures of issue 11: the resident set of `procsh serve` and
// of the Lua host for large outputs, as a ratio to the output size (the
// floor: holding the output once), measured from the kernel's peak RSS
// (rusage maxrss) of a fresh process per figure, minus an idle process of
// the same kind measured in the same run. Run with
//
//	go test ./tests -run XXX -bench RSS -benchtime 1x
//
// (PROCSH_RSS_BIG=1 adds the 2 GiB figures).

const mib = 1 << 20

// maxRSS is a finished process's peak resident set in bytes.
func maxRSS(ps *exec.Cmd) int64 {
	ru, _ := ps.ProcessState.SysUsage().(*syscall.Rusage)
	if ru == nil {
		return 0
	}
	return ru.Maxrss << 10
}

// servePeak runs one fresh `procsh serve`, lets work talk to it, stops it
// and returns its peak RSS.
func servePeak(b *testing.B, work func(url string)) int64 {
	s := cliStartServerWith(b, "", nil, nil)
	work(s.url)
	s.stop(b)
	return maxRSS(s.cmd)
}

// luaPeak runs a script in a fresh procsh and returns its peak RSS.
func luaPeak(b *testing.B, script string) int64 {
	cmd := exec.Command(cliBinary(b), "-e", script)
	cmd.Env = cliEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("procsh -e %q: %v\n%s", script, err, out)
	}
	return maxRSS(cmd)
}

func post(b *testing.B, url, body string, hdr ...string) {
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := (&http.Client{Timeout: 10 * time.Minute}).Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		b.Fatalf("POST %s: %d (%d bytes)", url, resp.StatusCode, n)
	}
}

// followLog runs size bytes through an async session command and reads
// them with a followed log (procsh raw frames).
func followLog(b *testing.B, url string, size int64) {
	post(b, url+"/process/session", `{"sessionId":"big"}`)
	req, _ := http.NewRequest("POST", url+"/process/session/big/exec", strings.NewReader(`{"command":"head -c `+strconv.FormatInt(size, 10)+` /dev/zero","runAsync":true}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	var body [256]byte
	n, _ := io.ReadFull(resp.Body, body[:])
	resp.Body.Close()
	s := string(body[:n])
	i := strings.Index(s, `"cmdId":"`)
	if i < 0 {
		b.Fatalf("exec: %s", s)
	}
	cid := s[i+9:]
	cid = cid[:strings.IndexByte(cid, '"')]
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(url, "http")+"/process/session/big/command/"+cid+"/logs?follow=true&procsh=1", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	var got int64
	for {
		typ, data, err := c.ReadMessage()
		if err != nil {
			break
		}
		if typ == websocket.BinaryMessage && len(data) > 0 {
			got += int64(len(data) - 1)
		}
	}
	if got != size {
		b.Fatalf("followed %d bytes of %d", got, size)
	}
}

func report(b *testing.B, name string, peak, idle, size int64) {
	ratio := float64(peak-idle) / float64(size)
	b.Logf("%-44s peak %7.1f MiB (idle %5.1f MiB) for %5d MiB: %.2f× the output", name, float64(peak)/mib, float64(idle)/mib, size/mib, ratio)
	b.ReportMetric(float64(peak)/mib, name+"_peak_MiB")
	b.ReportMetric(ratio, name+"_x_output")
}

// BenchmarkRSSServe: serve's peak RSS for a followed log (flat: spilled to
// disk) and the amplification of each synchronous path.
func BenchmarkRSSServe(b *testing.B) {
	idle := servePeak(b, func(url string) { post(b, url+"/process/execute", `{"command":"true"}`) })
	const n = 64 * mib
	for _, c := range []struct{ name, path, cmd, accept string }{
		{"serve_execute_json_text", "/process/execute", "head -c 67108864 /dev/zero | tr '\\\\0' a", ""},
		{"serve_execute_json_binary", "/process/execute", "head -c 67108864 /dev/urandom", ""},
		{"serve_session_exec_json_text", "/process/session/s/exec", "head -c 67108864 /dev/zero | tr '\\\\0' a", ""},
		{"serve_session_exec_json_binary", "/process/session/s/exec", "head -c 67108864 /dev/urandom", ""},
		{"serve_execute_procsh_raw", "/process/execute?procsh=1", "head -c 67108864 /dev/urandom", "application/vnd.procsh.result"},
		{"serve_session_exec_procsh_raw", "/process/session/s/exec?procsh=1", "head -c 67108864 /dev/urandom", "application/vnd.procsh.result"},
	} {
		peak := servePeak(b, func(url string) {
			post(b, url+"/process/session", `{"sessionId":"s"}`)
			body := fmt.Sprintf(`{"command":%q,"maxOutput":-1}`, c.cmd)
			post(b, url+c.path, body, "Accept", c.accept, "X-Daytona-SDK-Version", "0.190.0")
		})
		report(b, c.name, peak, idle, n)
	}
	sizes := []int64{256 * mib}
	if envSet("PROCSH_RSS_BIG") {
		sizes = append(sizes, 2048*mib)
	}
	var prev [2]int64
	for i, size := range sizes {
		peak := servePeak(b, func(url string) { followLog(b, url, size) })
		report(b, "serve_followed_log_"+strconv.FormatInt(size/mib, 10)+"MiB", peak, idle, size)
		if i > 0 {
			slope := float64(peak-prev[1]) / float64(size-prev[0])
			b.Logf("serve followed-log slope: %.4f MiB per GiB of output", slope*1024)
			b.ReportMetric(slope*1024, "serve_slope_MiB_per_GiB")
		}
		prev = [2]int64{size, peak}
	}
}

// BenchmarkRSSLua: the Lua host's peak RSS for results it holds (exec,
// s:run) and for a command whose output it does not keep.
func BenchmarkRSSLua(b *testing.B) {
	idle := luaPeak(b, `process.exec("true")`)
	const n = 64 * mib
	for _, c := range []struct{ name, script string }{
		{"lua_exec_binary", `local r = process.exec("head -c 67108864 /dev/urandom", {max_output = -1}); assert(#r.result == 67108864)`},
		{"lua_exec_text", `local r = process.exec("head -c 67108864 /dev/zero | tr '\\0' a", {max_output = -1}); assert(#r.result == 67108864)`},
		{"lua_session_run_binary", `local r = process.session():run("head -c 67108864 /dev/urandom"); assert(#r.stdout == 67108864)`},
	} {
		report(b, c.name, luaPeak(b, c.script), idle, n)
	}
	sizes := []int64{256 * mib}
	if envSet("PROCSH_RSS_BIG") {
		sizes = append(sizes, 2048*mib)
	}
	var prev [2]int64
	for i, size := range sizes {
		script := `local s = process.session(); local r = s:start("head -c ` + strconv.FormatInt(size, 10) + ` /dev/zero"):wait(); assert(r.exit_code == 0)`
		peak := luaPeak(b, script)
		report(b, "lua_start_wait_"+strconv.FormatInt(size/mib, 10)+"MiB", peak, idle, size)
		if i > 0 {
			slope := float64(peak-prev[1]) / float64(size-prev[0])
			b.Logf("Lua start/wait slope: %.4f MiB per GiB of output", slope*1024)
			b.ReportMetric(slope*1024, "lua_slope_MiB_per_GiB")
		}
		prev = [2]int64{size, peak}
	}
}

func envSet(k string) bool { return os.Getenv(k) != "" }
