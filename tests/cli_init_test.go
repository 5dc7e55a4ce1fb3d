package tests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCLIInit(t *testing.T) {
	dir := t.TempDir()
	res := cliRun(t, cliCmd{args: []string{"init", dir}})
	if res.code != 0 {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	var rc struct {
		Runtime string   `json:"runtime.version"`
		Globals []string `json:"diagnostics.globals"`
		Library []string `json:"workspace.library"`
	}
	data, err := os.ReadFile(filepath.Join(dir, ".luarc.json"))
	if err != nil || json.Unmarshal(data, &rc) != nil {
		t.Fatalf(".luarc.json: %v\n%s", err, data)
	}
	if rc.Runtime != "Lua 5.1" || len(rc.Library) != 1 || !strings.Contains(strings.Join(rc.Globals, " "), "process") {
		t.Fatalf(".luarc.json: %s", data)
	}
	for _, m := range []string{"process", "json", "str", "time", "fs", "env", "log", "path", "t"} {
		p := filepath.Join(dir, rc.Library[0], m+".lua")
		src, err := os.ReadFile(p)
		if err != nil || !strings.HasPrefix(string(src), "---@meta "+m+"\n") {
			t.Errorf("%s: %v", p, err)
		}
		if !strings.Contains(res.stdout, "wrote "+p) {
			t.Errorf("output does not name %s:\n%s", p, res.stdout)
		}
	}
	// Default directory: the current one; a second run keeps .luarc.json.
	cwd := t.TempDir()
	if res := cliRun(t, cliCmd{args: []string{"init"}, dir: cwd}); res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	_ = os.WriteFile(filepath.Join(cwd, ".luarc.json"), []byte(`{"mine": true}`), 0o644)
	if res := cliRun(t, cliCmd{args: []string{"init"}, dir: cwd}); res.code != 0 || strings.Contains(res.stdout, ".luarc.json") {
		t.Fatalf("exit %d: %s%s", res.code, res.stdout, res.stderr)
	}
	if data, _ := os.ReadFile(filepath.Join(cwd, ".luarc.json")); string(data) != `{"mine": true}` {
		t.Errorf("user's .luarc.json replaced: %s", data)
	}
	if res := cliRun(t, cliCmd{args: []string{"init", "--force"}, dir: cwd}); res.code != 0 || !strings.Contains(res.stdout, ".luarc.json") {
		t.Fatalf("--force: exit %d: %s%s", res.code, res.stdout, res.stderr)
	}
	// Usage errors.
	if res := cliRun(t, cliCmd{args: []string{"init", "a", "b"}}); res.code != 2 || !strings.Contains(res.stderr, "at most one directory") {
		t.Errorf("two dirs: exit %d: %s", res.code, res.stderr)
	}
	file := filepath.Join(t.TempDir(), "f")
	_ = os.WriteFile(file, nil, 0o644)
	if res := cliRun(t, cliCmd{args: []string{"init", file}}); res.code != 1 || !strings.Contains(res.stderr, "procsh init:") {
		t.Errorf("a file as dir: exit %d: %s", res.code, res.stderr)
	}
}

func TestCLISubcommandHelp(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"test", "--help"}, "Usage: procsh [flags] test"},
		{[]string{"init", "-h"}, "Usage: procsh init"},
	} {
		res := cliRun(t, cliCmd{args: c.args})
		if res.code != 0 || !strings.Contains(res.stdout, c.want) || !strings.Contains(res.stdout, "-") {
			t.Errorf("%q: exit %d\nstdout: %s\nstderr: %s", c.args, res.code, res.stdout, res.stderr)
		}
	}
	res := cliRun(t, cliCmd{args: []string{"init", "--bogus"}})
	if res.code != 2 || !strings.Contains(res.stderr, "flag provided but not defined: -bogus") || !strings.Contains(res.stderr, "procsh init --help") {
		t.Errorf("bad flag: exit %d: %s", res.code, res.stderr)
	}
}
