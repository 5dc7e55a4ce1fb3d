package tests

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/procsh/procsh/internal/sshtest"
)

// sshHosts starts n real sshd servers sharing one user key, whose sessions
// carry PROCSH_CLI_MARK=mark (so leftovers on the "remote" side are found),
// and returns them with a known_hosts file listing all of them.
func sshHosts(t *testing.T, n int, mark string) ([]*sshtest.Server, string) {
	t.Helper()
	first := sshtest.Start(t, sshtest.Options{Env: map[string]string{"PROCSH_CLI_MARK": mark}})
	srvs := []*sshtest.Server{first}
	for len(srvs) < n {
		srvs = append(srvs, sshtest.Start(t, sshtest.Options{KeyFile: first.KeyFile, Env: map[string]string{"PROCSH_CLI_MARK": mark}}))
	}
	var kh []byte
	for _, s := range srvs {
		b, err := os.ReadFile(s.KnownHosts)
		if err != nil {
			t.Fatal(err)
		}
		kh = append(kh, b...)
	}
	path := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(path, kh, 0o600); err != nil {
		t.Fatal(err)
	}
	return srvs, path
}

// TestCLIServerSSH: --server ssh://… runs the default process module on
// the host in agent mode, sessions included.
func TestCLIServerSSH(t *testing.T) {
	mark := cliMarker(t)
	srvs, kh := sshHosts(t, 1, mark)
	s := srvs[0]
	res := cliRun(t, cliCmd{args: []string{"--server", s.URL(), "--identity", s.KeyFile, "--known-hosts", kh, "-e", `
		local sess = process.session()
		sess:run("cd /tmp && X=42")
		print(sess:run("echo $X in $(pwd) as $HOME").stdout)
		local c = sess:start("sleep 30")
		c:kill()
		print("killed", c:wait().exit_code ~= 0)
	`}, env: []string{"PROCSH_CLI_MARK=" + mark}, timeout: time.Minute})
	if res.code != 0 || !strings.Contains(res.stdout, "42 in /tmp as "+s.Home) || !strings.Contains(res.stdout, "killed\ttrue") {
		t.Fatalf("code %d\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
	}
	cliAssertNoLeftovers(t, mark, -1)

	// An unknown host key is refused with a clear message and exit 1.
	empty := filepath.Join(t.TempDir(), "kh")
	os.WriteFile(empty, nil, 0o600)
	res = cliRun(t, cliCmd{args: []string{"--server", s.URL(), "--identity", s.KeyFile, "--known-hosts", empty, "-e", "print(1)"}, timeout: time.Minute})
	if res.code == 0 || !strings.Contains(res.stderr, "unknown host") {
		t.Fatalf("unknown host key: code %d stderr %s", res.code, res.stderr)
	}
}

// TestCLIScriptRollout runs scripts/rollout.lua against three loopback SSH
// hosts (one failing the change) and one unreachable host, two at a time.
func TestCLIScriptRollout(t *testing.T) {
	mark := cliMarker(t)
	srvs, kh := sshHosts(t, 3, mark)
	// The change fails on the host whose home holds a "broken" file.
	os.WriteFile(filepath.Join(srvs[1].Home, "broken"), nil, 0o600)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "ssh://" + srvs[0].User + "@" + ln.Addr().String()
	ln.Close()
	hosts := []string{srvs[0].URL(), srvs[1].URL(), srvs[2].URL(), dead}
	args := append([]string{"scripts/rollout.lua", "--limit", "2", "--identity", srvs[0].KeyFile, "--known-hosts", kh,
		`echo deploying; test ! -e "$HOME/broken" || exit 3; echo v2 > "$HOME/version"; echo done`}, hosts...)
	res := cliRun(t, cliCmd{args: args, dir: "..", env: []string{"PROCSH_CLI_MARK=" + mark}, timeout: 2 * time.Minute})
	if res.code != 1 {
		t.Fatalf("exit %d, want 1 (one host failed)\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
	}
	name := func(s string) string { return strings.TrimPrefix(s, "ssh://") }
	for _, i := range []int{0, 2} {
		b, err := os.ReadFile(filepath.Join(srvs[i].Home, "version"))
		if err != nil || string(b) != "v2\n" {
			t.Errorf("host %d: version %q %v", i, b, err)
		}
		cliWantLines(t, res.stdout, name(hosts[i])+" | deploying\n", name(hosts[i])+" | done\n")
		row := lineWith(res.stdout, name(hosts[i])+" ")
		if f := strings.Fields(row); len(f) != 4 || f[1] != "0" || f[3] != "agent" {
			t.Errorf("summary row %q", row)
		}
	}
	if f := strings.Fields(lineWith(res.stdout, name(hosts[1])+" ")); len(f) < 4 || f[1] != "3" || f[3] != "failed" {
		t.Errorf("failing host row: %v\n%s", f, res.stdout)
	}
	if row := lineWith(res.stdout, name(dead)+" "); !strings.Contains(row, "unavailable") {
		t.Errorf("unreachable host row %q", row)
	}
	cliWantLines(t, res.stdout, "2 of 4 hosts done")
	cliAssertNoLeftovers(t, mark, -1)
}

func lineWith(out, prefix string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) && !strings.Contains(l, " | ") {
			return l
		}
	}
	return ""
}
