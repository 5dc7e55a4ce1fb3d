package ssh_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/ssh"
	"github.com/procsh/procsh/internal/sshtest"
	"github.com/procsh/procsh/luabind"
)

// Each benchmark measures its floor in the same run and reports its
// figures as x_floor ratios: the floor first, then ours.

// openSSH returns the argv prefix of OpenSSH's client for srv, with a
// ControlMaster already running (stopped when b ends).
func openSSH(b *testing.B, srv *sshtest.Server) []string {
	b.Helper()
	cp := filepath.Join(b.TempDir(), "cm")
	args := []string{"-F", "none", "-i", srv.KeyFile, "-o", "UserKnownHostsFile=" + srv.KnownHosts,
		"-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ControlPath=" + cp,
		"-p", strconv.Itoa(srv.Port), "-l", srv.User}
	master := exec.Command("ssh", append(append([]string{}, args...), "-o", "ControlMaster=yes", "-N", "127.0.0.1")...)
	if err := master.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = exec.Command("ssh", append(append([]string{}, args...), "-O", "exit", "127.0.0.1")...).Run()
		_ = master.Process.Kill()
		_ = master.Wait()
	})
	for i := 0; ; i++ {
		if _, err := os.Stat(cp); err == nil {
			break
		}
		if i > 500 {
			b.Fatal("ControlMaster socket did not appear")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return append(args, "-o", "ControlMaster=no", "127.0.0.1")
}

// BenchmarkExecRoundTrip: exec `true` over a warm connection; the floor is
// OpenSSH's own `ssh -o ControlMaster` (multiplexed, no new handshake)
// running `true` on the same sshd.
func BenchmarkExecRoundTrip(b *testing.B) {
	srv := sshtest.Start(b)
	argv := openSSH(b, srv)
	var floor float64
	b.Run("floor=openssh-controlmaster", func(b *testing.B) {
		start := time.Now()
		for i := 0; i < b.N; i++ {
			if out, err := exec.Command("ssh", append(argv, "true")...).CombinedOutput(); err != nil {
				b.Fatalf("%v: %s", err, out)
			}
		}
		floor = float64(time.Since(start).Nanoseconds()) / float64(b.N)
	})
	for _, mode := range []ssh.Mode{ssh.ModeAgent, ssh.ModeRaw} {
		b.Run(string(mode), func(b *testing.B) {
			c := dial(b, srv, opts(srv, mode))
			ctx := context.Background()
			if _, err := c.Exec(ctx, client.ExecRequest{Command: "true"}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				if _, err := c.Exec(ctx, client.ExecRequest{Command: "true"}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N)/floor, "x_floor")
		})
	}
}

// BenchmarkFirstConnect: from nothing to a first `true`, in agent mode with
// the binary already cached on the host and with an upload each time; the
// floor is a raw-mode connection (handshake, login, one exec).
func BenchmarkFirstConnect(b *testing.B) {
	srv := sshtest.Start(b)
	ctx := context.Background()
	once := func(b *testing.B, o ssh.Options) {
		c, err := ssh.Dial(ctx, srv.URL(), o)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Exec(ctx, client.ExecRequest{Command: "true"}); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
	var floor float64
	b.Run("floor=raw", func(b *testing.B) {
		start := time.Now()
		for i := 0; i < b.N; i++ {
			once(b, opts(srv, ssh.ModeRaw))
		}
		floor = float64(time.Since(start).Nanoseconds()) / float64(b.N)
	})
	b.Run("agent-cached", func(b *testing.B) {
		once(b, opts(srv, ssh.ModeAgent)) // fills the cache
		b.ResetTimer()
		start := time.Now()
		for i := 0; i < b.N; i++ {
			once(b, opts(srv, ssh.ModeAgent))
		}
		b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N)/floor, "x_floor")
	})
	b.Run("agent-upload", func(b *testing.B) {
		start := time.Now()
		for i := 0; i < b.N; i++ {
			o := opts(srv, ssh.ModeAgent)
			o.CacheDir = filepath.Join(srv.CacheDir, "fresh-"+strconv.Itoa(i))
			once(b, o)
			os.RemoveAll(o.CacheDir)
		}
		b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N)/floor, "x_floor")
	})
}

// BenchmarkMap50: 50 commands (each `sleep 0.05`) over one loopback SSH
// connection in agent mode, run with process.map at 50 at once; the floor
// is the same 50 run one after another.
func BenchmarkMap50(b *testing.B) {
	srv := sshtest.Start(b)
	b.Setenv(ssh.AgentBinaryEnv, procshBin)
	script := func(parallel bool) string {
		body := `for i = 1, 50 do assert(conn.exec("sleep 0.05").ok) end`
		if parallel {
			body = `local items = {} for i = 1, 50 do items[i] = i end
				for _, r in ipairs(process.map(items, function() return conn.exec("sleep 0.05").ok end, {limit = 50})) do assert(r.ok and r.value, r.error) end`
		}
		return `conn = conn or assert(process.connect(` + strconv.Quote(srv.URL()) + `, {identity = ` + strconv.Quote(srv.KeyFile) +
			`, known_hosts = ` + strconv.Quote(srv.KnownHosts) + `, ssh_config = "none", agent = false, detach = true}))
			assert(conn.mode == "agent") ` + body
	}
	run := func(b *testing.B, parallel bool) float64 {
		h, err := luabind.New(localBackend(b))
		if err != nil {
			b.Fatal(err)
		}
		defer h.Close()
		if err := h.RunString(context.Background(), "warm.lua", script(false)); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		start := time.Now()
		for i := 0; i < b.N; i++ {
			if err := h.RunString(context.Background(), "map.lua", script(parallel)); err != nil {
				b.Fatal(err)
			}
		}
		ns := float64(time.Since(start).Nanoseconds()) / float64(b.N)
		b.StopTimer()
		_ = h.RunString(context.Background(), "close.lua", `conn.close()`)
		return ns
	}
	var floor float64
	b.Run("floor=sequential", func(b *testing.B) { floor = run(b, false) })
	b.Run("map-limit-50", func(b *testing.B) { b.ReportMetric(run(b, true)/floor, "x_floor") })
}
