package luabind_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/procsh/procsh/internal/sshtest"
	"github.com/procsh/procsh/luabind"
)

// TestConnectSSH: process.connect("ssh://…") in raw mode against a real
// sshd; bad options and refused host keys come back as nil, message, kind.
func TestConnectSSH(t *testing.T) {
	srv := sshtest.Start(t)
	h, _, _, out := newHost(t)
	empty := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(empty, nil, 0o600)
	q := strconv.Quote
	err := h.RunString(context.Background(), "ssh.lua", `
		local opts = {identity = `+q(srv.KeyFile)+`, known_hosts = `+q(srv.KnownHosts)+`,
			ssh_config = "none", agent = false, mode = "raw", password = nil}
		local r = assert(process.connect(`+q(srv.URL())+`, opts))
		assert(r.mode == "raw" and r.url == `+q(srv.URL())+`)
		local res = r.exec("echo $HOME; exit 3", {tee = "h1"})
		assert(res.exit_code == 3 and res.stdout == `+q(srv.Home+"\n")+`, res.result)
		local _, err, kind = r.session()
		print("session", kind)
		r.close()
		local _, err, kind = process.connect(`+q(srv.URL())+`, {identity = `+q(srv.KeyFile)+`, known_hosts = `+q(empty)+`, ssh_config = "none"})
		print("unknown", kind, err)
		local _, err, kind = process.connect(`+q(srv.URL())+`, {mode = "turbo", ssh_config = "none"})
		print("mode", kind)
	`)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"h1 | " + srv.Home + "\n", "session\tunsupported", "unknown\tunauthorized", "unknown host", "mode\tinvalid"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestConnectSSHRestricted: the restricted profile refuses SSH.
func TestConnectSSHRestricted(t *testing.T) {
	h, _, _, _ := newHost(t, luabind.WithProfile(luabind.ProfileSandbox))
	v, err := h.Eval(context.Background(), `local c, e, k = process.connect("ssh://127.0.0.1:1"); return k`)
	if err != nil || len(v) != 1 || v[0].String() != "unsupported" {
		t.Fatalf("%v %v", v, err)
	}
}
