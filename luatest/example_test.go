package luatest_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/luabind"
	"github.com/procsh/procsh/luatest"
)

// Run a spec file against the local machine and report in TAP.
func ExampleRun() {
	dir, _ := os.MkdirTemp("", "luatest-example")
	defer os.RemoveAll(dir)
	spec := filepath.Join(dir, "echo_spec.lua")
	_ = os.WriteFile(spec, []byte(`
describe("echo", function()
  it("prints", function()
    assert.equal("hi\n", process.exec("echo hi").stdout)
  end)
  it("fails", function() assert.equal(1, 2) end)
end)
`), 0o644)

	backend, err := local.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer backend.Close()
	var report bytes.Buffer
	sum, err := luatest.Run(context.Background(), []string{spec}, luatest.Config{
		NewHost: func(stdout, stderr io.Writer, extra ...luabind.Option) (*luabind.Host, error) {
			return luabind.New(backend, append(extra, luabind.WithStdout(stdout), luabind.WithStderr(stderr))...)
		},
		Format: luatest.TAP,
		Stdout: &report,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range sum.Results {
		fmt.Println(strings.TrimSpace(fmt.Sprintf("%s: %s %s", r.Status, r.Name(), strings.TrimPrefix(r.Message, dir+"/"))))
	}
	fmt.Println("ok:", sum.OK())
	// Output:
	// pass: echo prints
	// fail: echo fails echo_spec.lua:6: expected 1, got 2
	// ok: false
}
