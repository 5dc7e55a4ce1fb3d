//go:build linux

package tests

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/remote"
	"github.com/procsh/procsh/internal/proctable"
)

// pidsOf lists the processes running exactly argv.
func pidsOf(t *testing.T, argv ...string) []int {
	t.Helper()
	pids, err := proctable.WithCmdline(argv...)
	if err != nil {
		t.Fatal(err)
	}
	return pids
}

// A `procsh --server` script that is SIGKILLed loses its session and its
// processes once the lease grace passes; a detached session survives and
// is listed, and another client can reclaim it.
func TestLeaseVanishedClient(t *testing.T) {
	const grace = time.Second
	srv := cliStartServerWith(t, "tok-lease", []string{"--token", "tok-lease", "--lease-grace", grace.String()}, nil)
	leasedArg, detachedArg := "300.4711", "300.4712"
	mark := cliMarker(t)
	script := `local s = process.session("leased")
s:start("sleep ` + leasedArg + `")
print("ready")
io.stdout:flush()
process.sleep(600)`
	cli := cliStart(t, mark, "--server", srv.url, "--token", "tok-lease", "-e", script)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(cli.stdout.String(), "ready") || len(pidsOf(t, "sleep", leasedArg)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("script did not start its session: %q %q", cli.stdout.String(), cli.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	det, err := remote.New(srv.url, remote.WithToken("tok-lease"), remote.WithDetached())
	if err != nil {
		t.Fatal(err)
	}
	if err := det.CreateSession(ctx, client.SessionOptions{ID: "kept"}); err != nil {
		t.Fatal(err)
	}
	if _, err := det.ExecSession(ctx, "kept", client.SessionExecRequest{Command: "sleep " + detachedArg, Async: true}); err != nil {
		t.Fatal(err)
	}
	// det is abandoned without Close, as a vanished client would be.

	// Renewals keep a live client's session past several grace periods.
	time.Sleep(3 * grace)
	if len(pidsOf(t, "sleep", leasedArg)) == 0 {
		t.Fatal("the live client's session ended while it was renewing its lease")
	}

	if err := cli.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cli.Wait()
	killed := time.Now()
	var gone time.Duration
	for {
		if len(pidsOf(t, "sleep", leasedArg)) == 0 {
			gone = time.Since(killed)
			break
		}
		if time.Since(killed) > 30*time.Second {
			t.Fatal("the vanished client's session still runs 30 s after it was killed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("lease expiry: processes gone %v after SIGKILL (grace %v)", gone.Round(time.Millisecond), grace)
	if gone < grace/2 {
		t.Errorf("session ended after %v, before the grace period %v", gone, grace)
	}

	chk, err := remote.New(srv.url, remote.WithToken("tok-lease"))
	if err != nil {
		t.Fatal(err)
	}
	defer chk.Close()
	if _, err := chk.GetSession(ctx, "leased"); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("leased session after expiry: %v", err)
	}
	if _, err := chk.GetSession(ctx, "kept"); err != nil {
		t.Errorf("detached session: %v", err)
	}
	if len(pidsOf(t, "sleep", detachedArg)) != 1 {
		t.Error("the detached session's process is gone")
	}

	// Listed as detached.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.url+"/procsh/v1/lease", nil)
	req.Header.Set("Authorization", "Bearer tok-lease")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		GraceMs  int64 `json:"graceMs"`
		Detached struct {
			Sessions []string `json:"sessions"`
		} `json:"detached"`
	}
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil || list.GraceMs != grace.Milliseconds() || len(list.Detached.Sessions) != 1 || list.Detached.Sessions[0] != "kept" {
		t.Fatalf("lease list: %v %+v", err, list)
	}

	// Reclaimed by chk, it ends with chk's Close.
	if err := chk.Reclaim(ctx, []string{"kept"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := chk.Reclaim(ctx, []string{"no-such"}, nil); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("reclaim of a missing session: %v", err)
	}
	if err := chk.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := det.GetSession(ctx, "kept"); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("reclaimed session after its owner's Close: %v", err)
	}
}

// process.connect(url, {detach = true}) from a script creates detached
// sessions: they outlive the script's process past the lease grace.
func TestLeaseLuaDetachedConnect(t *testing.T) {
	const grace = 500 * time.Millisecond
	srv := cliStartServerWith(t, "tok-lease2", []string{"--token", "tok-lease2", "--lease-grace", grace.String()}, nil)
	arg := "300.4713"
	script := `local r = assert(process.connect("` + srv.url + `", {token = "tok-lease2", detach = true}))
local s = r.session{id = "luakept", detach = true}
s:start("sleep ` + arg + `", {detach = true})
print("started")`
	res := cliRun(t, cliCmd{args: []string{"-e", script}, timeout: time.Minute})
	if res.code != 0 || !strings.Contains(res.stdout, "started") {
		t.Fatalf("script: %d %q %q", res.code, res.stdout, res.stderr)
	}
	time.Sleep(4 * grace)
	if len(pidsOf(t, "sleep", arg)) != 1 {
		t.Fatal("a detached connection's session ended after its script exited")
	}
	c, err := remote.New(srv.url, remote.WithToken("tok-lease2"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.DeleteSession(context.Background(), "luakept"); err != nil {
		t.Fatal(err)
	}
}
