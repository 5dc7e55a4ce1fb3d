//go:build linux

package local_test

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// runAsHelper runs the test binary again, as the helper process of test t
// (only t runs, with env key=1), for tests that change process-wide state
// (resource limits, a subreaper) that the other tests must not see. It
// returns the helper's combined output.
func runAsHelper(t *testing.T, key string, timeout time.Duration) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v", "-test.timeout="+timeout.String())
	cmd.Env = append(os.Environ(), key+"=1")
	return cmd.CombinedOutput()
}
