package tests

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEExample runs the Lua example at the top of README.md with the
// real binary (its process.connect against a `procsh serve` started here),
// so the first thing a reader tries keeps working.
func TestREADMEExample(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "```lua\n")
	if !ok {
		t.Fatal("README.md has no ```lua block")
	}
	src, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("README.md's lua block is not closed")
	}
	const readmeURL = "http://127.0.0.1:2280"
	if !strings.Contains(src, readmeURL) {
		t.Fatalf("the example no longer connects to %s; update this test", readmeURL)
	}
	srv := cliStartServer(t, "readme-token")
	src = strings.ReplaceAll(src, readmeURL, srv.url)
	script := cliWriteFile(t, t.TempDir(), "readme.lua", src)

	res := cliRun(t, cliCmd{args: []string{script}, env: []string{"PROCSH_TOKEN=readme-token"}})
	if res.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	host, _ := os.Hostname()
	for _, want := range []string{
		"hello from /\n",
		"stdout\tstep 1\nstdout\tstep 2\nstdout\tstep 3\nstderr\toops\n0\n",
		"\n42\n0\n",
		host + "\n",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, res.stdout)
		}
	}
}
