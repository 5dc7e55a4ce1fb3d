package luabind_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/procsh/procsh/luabind"
)

// TestStubsMatchBindings: the generated process stub declares exactly the
// registration table's members (a binding without a stub, or a stub without
// a binding, fails), every file is valid Lua 5.1 for PUC-Rio's parser, and
// .luarc.json points the language server at them.
func TestStubsMatchBindings(t *testing.T) {
	files, err := luabind.Stubs()
	if err != nil {
		t.Fatal(err)
	}
	stub := files[".procsh/meta/process.lua"]
	decl := regexp.MustCompile(`(?m)^function (\w+)([.:])(\w+)\(`)
	field := regexp.MustCompile(`(?m)^---@class procsh\.(\w+)|^---@field (\w+) `)
	var got, want []string
	for _, m := range decl.FindAllStringSubmatch(stub, -1) {
		got = append(got, m[1]+m[2]+m[3])
	}
	class := ""
	for _, m := range field.FindAllStringSubmatch(stub, -1) {
		if m[1] != "" {
			class = m[1]
		} else if class != "result" {
			got = append(got, class+"."+m[2])
		}
	}
	for _, o := range luabind.Surface() {
		for _, m := range o.Members {
			sep := o.Sep
			if m.Field() {
				sep = "."
			}
			want = append(want, o.Name+sep+m.Name)
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	got = slices.DeleteFunc(got, func(s string) bool { return s == "help" })
	if !slices.Equal(got, want) {
		t.Errorf("stub declares %q\nbindings are %q", got, want)
	}
	if !strings.Contains(stub, `---@alias procsh.kind "canceled"|`) || !strings.Contains(stub, `"TERM"`) {
		t.Error("stub lacks the kind or signal aliases")
	}
	var rc map[string]any
	if err := json.Unmarshal([]byte(files[".luarc.json"]), &rc); err != nil || rc["runtime.version"] != "Lua 5.1" {
		t.Errorf(".luarc.json: %v %v", rc, err)
	}
	luac, err := exec.LookPath("luac5.1")
	if err != nil {
		t.Skip("luac5.1 not installed (tools/deps installs lua5.1)")
	}
	dir := t.TempDir()
	for name, text := range files {
		if !strings.HasSuffix(name, ".lua") {
			continue
		}
		path := filepath.Join(dir, filepath.Base(name))
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(luac, "-p", path).CombinedOutput(); err != nil {
			t.Errorf("%s is not valid Lua 5.1: %v %s", name, err, out)
		}
	}
}
