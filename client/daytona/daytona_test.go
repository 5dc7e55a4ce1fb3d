package daytona_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/daytona"
	"github.com/procsh/procsh/internal/daytonatest"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newClient(t *testing.T, api *daytonatest.Server) *daytona.Client {
	c, err := daytona.New(daytona.Options{APIKey: api.APIKey, APIURL: api.URL, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLifecycle: create waits for started, get by id and name, list across
// cursor pages, connect runs a command in the sandbox's toolbox, delete.
func TestLifecycle(t *testing.T) {
	api := daytonatest.Start(t, "key-1")
	c := newClient(t, api)
	ctx := ctxT(t)
	var ids []string
	for _, name := range []string{"alpha", "beta", "gamma"} {
		s, err := c.Create(ctx, map[string]any{"name": name, "labels": map[string]string{"team": "qa"}, "cpu": 2})
		if err != nil {
			t.Fatal(err)
		}
		if s.State != "started" || s.Name != name || s.CPU != 2 || s.Labels["team"] != "qa" || s.ID == "" {
			t.Fatalf("created %+v", s)
		}
		ids = append(ids, s.ID)
	}
	got, err := c.Get(ctx, "beta")
	if err != nil || got.ID != ids[1] {
		t.Fatalf("get by name: %+v %v", got, err)
	}
	all, err := c.List(ctx)
	if err != nil || len(all) != 3 {
		t.Fatalf("list: %d %v", len(all), err)
	}
	r, err := c.Connect(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	res, err := r.Exec(ctx, client.ExecRequest{Command: "echo hi from $0"})
	if err != nil || !strings.HasPrefix(res.Result, "hi from") {
		t.Fatalf("exec: %+v %v", res, err)
	}
	if err := c.Delete(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, ids[0]); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("get deleted: %v", err)
	}
	if api.Count() != 2 {
		t.Fatalf("%d sandboxes left", api.Count())
	}
	// The routes are the API client's.
	want := map[string]bool{"POST /sandbox": true, "GET /sandbox/beta": true, "GET /sandbox": true, "DELETE /sandbox/" + ids[0]: true}
	for _, r := range api.Requests {
		delete(want, r)
	}
	if len(want) != 0 {
		t.Fatalf("routes not used: %v (requests %v)", want, api.Requests)
	}
}

// TestErrors: each API failure is a typed error carrying the API's message.
func TestErrors(t *testing.T) {
	api := daytonatest.Start(t, "key-1")
	c := newClient(t, api)
	ctx := ctxT(t)
	bad, _ := daytona.New(daytona.Options{APIKey: "wrong", APIURL: api.URL})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	deadURL := "http://" + ln.Addr().String() + "/api"
	ln.Close()
	dead, _ := daytona.New(daytona.Options{APIKey: "k", APIURL: deadURL})
	if _, err := c.Create(ctx, map[string]any{"name": "dup"}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		call func() error
		kind error
		msg  string
	}{
		{"wrong key", func() error { _, err := bad.List(ctx); return err }, client.ErrUnauthorized, "401"},
		{"unknown id", func() error { _, err := c.Get(ctx, "nope"); return err }, client.ErrNotFound, "not found"},
		{"bad id", func() error { _, err := c.Get(ctx, "a/b"); return err }, client.ErrInvalidArgument, "bad sandbox id"},
		{"too many cpus", func() error { _, err := c.Create(ctx, map[string]any{"cpu": 17}); return err }, client.ErrInvalidArgument, "exceeds maximum"},
		{"duplicate name", func() error { _, err := c.Create(ctx, map[string]any{"name": "dup"}); return err }, client.ErrConflict, "already exists"},
		{"error state", func() error { _, err := c.Create(ctx, map[string]any{"snapshot": "broken"}); return err }, client.ErrUnavailable, "snapshot broken not found"},
		{"unreachable", func() error { _, err := dead.List(ctx); return err }, client.ErrUnavailable, "cannot reach"},
		{"delete unknown", func() error { return c.Delete(ctx, "nope") }, client.ErrNotFound, "not found"},
	}
	for _, tc := range cases {
		err := tc.call()
		if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: err = %v, want kind %v with %q", tc.name, err, tc.kind, tc.msg)
		}
	}
	t.Setenv("DAYTONA_API_KEY", "")
	if _, err := daytona.New(daytona.Options{APIURL: api.URL}); !errors.Is(err, client.ErrInvalidArgument) || !strings.Contains(err.Error(), "DAYTONA_API_KEY") {
		t.Errorf("no key: %v", err)
	}
	if _, err := daytona.New(daytona.Options{APIKey: "k", APIURL: "ftp://x"}); !errors.Is(err, client.ErrInvalidArgument) {
		t.Errorf("bad URL: %v", err)
	}
}

// TestEnvDefaults: DAYTONA_API_KEY and DAYTONA_API_URL are the defaults.
func TestEnvDefaults(t *testing.T) {
	api := daytonatest.Start(t, "env-key")
	t.Setenv("DAYTONA_API_KEY", "env-key")
	t.Setenv("DAYTONA_API_URL", api.URL)
	c, err := daytona.New(daytona.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if list, err := c.List(ctxT(t)); err != nil || len(list) != 0 {
		t.Fatalf("%v %v", list, err)
	}
}
