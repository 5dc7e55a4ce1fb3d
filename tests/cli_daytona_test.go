package tests

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/procsh/procsh/client/daytona"
	"github.com/procsh/procsh/internal/daytonatest"
)

// TestCLISandboxID: --sandbox-id runs the process module in a Daytona
// sandbox found through the API (the in-test API server: no Daytona
// service is reachable from the tests).
func TestCLISandboxID(t *testing.T) {
	api := daytonatest.Start(t, "cli-key")
	dc, err := daytona.New(daytona.Options{APIKey: "cli-key", APIURL: api.URL, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sb, err := dc.Create(ctx, map[string]any{"name": "cli-box"})
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"DAYTONA_API_KEY=cli-key", "DAYTONA_API_URL=" + api.URL}
	res := cliRun(t, cliCmd{args: []string{"--sandbox-id", sb.ID, "-e", `print(process.exec("echo in-sandbox").stdout)`}, env: env})
	if res.code != 0 || !strings.Contains(res.stdout, "in-sandbox") {
		t.Fatalf("code %d stdout %q stderr %s", res.code, res.stdout, res.stderr)
	}
	res = cliRun(t, cliCmd{args: []string{"--sandbox-id", "missing", "-e", `print(1)`}, env: env})
	if res.code == 0 || !strings.Contains(res.stderr, "404") {
		t.Fatalf("unknown sandbox: code %d stderr %s", res.code, res.stderr)
	}
	res = cliRun(t, cliCmd{args: []string{"--sandbox-id", sb.ID, "-e", `print(1)`}, env: []string{"DAYTONA_API_KEY=bad", "DAYTONA_API_URL=" + api.URL}})
	if res.code == 0 || !strings.Contains(res.stderr, "401") {
		t.Fatalf("bad key: code %d stderr %s", res.code, res.stderr)
	}
}
