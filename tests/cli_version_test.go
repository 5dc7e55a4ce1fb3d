package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// buildProcsh builds cmd/procsh with extra go build arguments in dir (the
// repository when dir is "").
func buildProcsh(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "procsh")
	cmd := exec.Command("go", append(append([]string{"build", "-o", bin}, args...), "github.com/procsh/procsh/cmd/procsh")...)
	cmd.Dir = dir
	if dir == "" {
		cmd.Dir = ".."
	}
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func procshVersion(t *testing.T, bin string) string {
	t.Helper()
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("procsh --version: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// A release build names its version: set at link time, or taken from the
// module version the toolchain records when procsh is built as a required
// module (as `go install github.com/procsh/procsh/cmd/procsh@v1.2.3` does).
func TestCLIVersionReleaseBuilds(t *testing.T) {
	tail := `go1\.\S+ \w+/\w+, Lua 5\.1 \(gopher-lua v\d+\.\d+\.\d+\)$`
	t.Run("ldflags", func(t *testing.T) {
		bin := buildProcsh(t, "", nil, "-ldflags", "-X main.version=v7.8.9-rc.1")
		if got := procshVersion(t, bin); !regexp.MustCompile(`^procsh v7\.8\.9-rc\.1 (\(\w+(-dirty)?\) )?` + tail).MatchString(got) {
			t.Errorf("--version = %q", got)
		}
	})
	t.Run("module version", func(t *testing.T) {
		root, err := filepath.Abs("..")
		if err != nil {
			t.Fatal(err)
		}
		mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
		if err != nil {
			t.Fatal(err)
		}
		goLine := regexp.MustCompile(`(?m)^go \S+$`).Find(mod)
		dir := t.TempDir()
		cliWriteFile(t, dir, "go.mod", "module example.com/wrap\n\n"+string(goLine)+"\n\nrequire github.com/procsh/procsh v1.2.3\n\nreplace github.com/procsh/procsh => "+root+"\n")
		sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
		if err != nil {
			t.Fatal(err)
		}
		cliWriteFile(t, dir, "go.sum", string(sum))
		bin := buildProcsh(t, dir, []string{"GOFLAGS=-mod=mod -buildvcs=false"})
		if got := procshVersion(t, bin); !regexp.MustCompile(`^procsh v1\.2\.3 ` + tail).MatchString(got) {
			t.Errorf("--version = %q", got)
		}
	})
	t.Run("development build", func(t *testing.T) {
		if got := procshVersion(t, cliBinary(t)); !regexp.MustCompile(`^procsh (\(devel\)|v\S+) ` + `(\(\w+(-dirty)?\) )?` + tail).MatchString(got) {
			t.Errorf("--version = %q", got)
		}
	})
}
