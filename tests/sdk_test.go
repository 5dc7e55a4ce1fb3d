package tests

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// sdkVersions are the releases of Daytona's TypeScript SDK (@daytonaio/sdk)
// pinned in tests/sdk/package-lock.json: the newest, and the last of the
// v0.190 generation.
var sdkVersions = []string{"0.218.0", "0.190.1"}

// sdkChecks are the checks tests/sdk/run.js reports, each of which must
// pass for every version.
var sdkChecks = []string{
	"exec",
	"code run",
	"session sync",
	"session async, logs and callbacks",
	"session input",
	"pty create, input, output, resize, exit code",
	"pty reconnect and kill",
	"typed errors",
}

// TestDaytonaSDK runs Daytona's own TypeScript SDK, unmodified, against
// `procsh serve` on a loopback port: exec, code run, sessions (sync,
// async, streamed logs with callbacks, input), PTYs (create over
// create-connect for the new SDK and POST + connect for the old one, input,
// output, resize, exit code, reconnect, kill) and typed errors. Missing
// node or packages fail the test; PROCSH_SKIP_SDK=1 skips it.
func TestDaytonaSDK(t *testing.T) {
	if os.Getenv("PROCSH_SKIP_SDK") == "1" {
		t.Skip("PROCSH_SKIP_SDK=1: Daytona SDK test skipped")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed; the Daytona SDK test needs it (tools/deps/daytona-sdk.sh installs it; PROCSH_SKIP_SDK=1 skips the test): %v", err)
	}
	dir, err := filepath.Abs("sdk")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range sdkVersions {
		b, err := os.ReadFile(filepath.Join(dir, "node_modules", "sdk-"+v, "package.json"))
		var pkg struct{ Name, Version string }
		if err != nil || json.Unmarshal(b, &pkg) != nil || pkg.Name != "@daytonaio/sdk" || pkg.Version != v {
			t.Fatalf("@daytonaio/sdk %s is not installed in tests/sdk (run tools/deps/daytona-sdk.sh, i.e. npm ci there; PROCSH_SKIP_SDK=1 skips the test): %v", v, err)
		}
	}
	srv := cliStartServer(t, "sdk-token")
	for _, v := range sdkVersions {
		t.Run(v, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, "run.js", v, srv.url, "sdk-token")
			cmd.Dir = dir
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("node run.js %s: %v\nstdout:\n%s\nstderr:\n%s", v, err, out, stderr.Bytes())
			}
			got := map[string]bool{}
			sc := bufio.NewScanner(bytes.NewReader(out))
			for sc.Scan() {
				var r struct {
					Check  string
					OK     bool
					Detail string
				}
				if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
					t.Errorf("unparsable line %q", sc.Text())
					continue
				}
				got[r.Check] = true
				if !r.OK {
					t.Errorf("%s: %s", r.Check, r.Detail)
				} else if r.Detail != "" {
					t.Logf("%s: %s", r.Check, r.Detail)
				}
			}
			for _, c := range sdkChecks {
				if !got[c] {
					t.Errorf("check %q did not run\nstdout:\n%s\nstderr:\n%s", c, out, stderr.Bytes())
				}
			}
		})
	}
}
