package stdlib

import (
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// TestREADMEListsEveryFunction: the README's table of shipped modules
// names every function of each module, and nothing else.
func TestREADMEListsEveryFunction(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	L := newState(t, Options{})
	word := regexp.MustCompile("`([a-z_]+)`")
	for _, name := range Modules(false) {
		var row string
		for _, ln := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(ln, "| `"+name+"` |") {
				row = strings.TrimPrefix(ln, "| `"+name+"` |")
			}
		}
		if row == "" {
			t.Errorf("README.md has no row for module %s", name)
			continue
		}
		var documented []string
		for _, m := range word.FindAllStringSubmatch(row, -1) {
			if !slices.Contains(documented, m[1]) {
				documented = append(documented, m[1])
			}
		}
		if err := L.DoString(`_mod = require("` + name + `")`); err != nil {
			t.Fatal(err)
		}
		var have []string
		L.GetGlobal("_mod").(*lua.LTable).ForEach(func(k, _ lua.LValue) { have = append(have, k.String()) })
		sort.Strings(have)
		sort.Strings(documented)
		if !slices.Equal(have, documented) {
			t.Errorf("module %s has %q; README.md's row names %q", name, have, documented)
		}
	}
}
