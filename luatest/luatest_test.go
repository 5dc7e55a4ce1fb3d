package luatest_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/luatest"
)

func TestFind(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a_test.lua", "b_spec.lua", "c.lua", "sub/d_test.lua", ".hidden/e_test.lua", "node_modules/f_spec.lua", "sub/g_spec.lua.bak"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	j := func(s string) string { return filepath.Join(dir, s) }
	for _, c := range []struct {
		name  string
		paths []string
		want  []string
	}{
		{"directory", []string{dir}, []string{j("a_test.lua"), j("b_spec.lua"), j("sub/d_test.lua")}},
		{"a file as given, whatever its name", []string{j("c.lua")}, []string{j("c.lua")}},
		{"no duplicates", []string{j("a_test.lua"), dir}, []string{j("a_test.lua"), j("b_spec.lua"), j("sub/d_test.lua")}},
		{"subdirectory", []string{j("sub")}, []string{j("sub/d_test.lua")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := luatest.Find(c.paths)
			if err != nil || !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Find(%q) = %q, %v; want %q", c.paths, got, err, c.want)
			}
		})
	}
	if _, err := luatest.Find([]string{j("missing")}); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing path: %v", err)
	}
}

func TestParseFormat(t *testing.T) {
	for _, c := range []struct {
		in   string
		want luatest.Format
		err  error
	}{
		{"", luatest.Text, nil}, {"text", luatest.Text, nil}, {"tap", luatest.TAP, nil},
		{"junit", luatest.JUnit, nil}, {"TAP", luatest.Text, client.ErrInvalidArgument}, {"xml", luatest.Text, client.ErrInvalidArgument},
	} {
		got, err := luatest.ParseFormat(c.in)
		if got != c.want || !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
			t.Errorf("ParseFormat(%q) = %v, %v", c.in, got, err)
		}
	}
}
