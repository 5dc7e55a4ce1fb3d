package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/procsh/procsh/luabind"
)

// initMain is `procsh init [dir]`: it writes editor support for procsh
// scripts into dir (default "."): a .luarc.json for the Lua language
// server and ---@meta definition files under .procsh/meta, generated from
// the tables that register the bindings. An existing .luarc.json is kept
// (the stubs are always rewritten, they are generated).
func initMain(args []string, stdout, stderr io.Writer) int {
	if len(args) > 1 {
		fmt.Fprintln(stderr, "Usage: procsh init [dir]")
		return exitUsage
	}
	dir := "."
	if len(args) == 1 {
		dir = args[0]
	}
	files, err := luabind.Stubs()
	if err != nil {
		fmt.Fprintf(stderr, "procsh init: %v\n", err)
		return exitError
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if name == ".luarc.json" {
			if _, err := os.Stat(path); err == nil {
				fmt.Fprintf(stdout, "kept %s (already there)\n", path)
				continue
			}
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			fmt.Fprintf(stderr, "procsh init: %v\n", err)
			return exitError
		}
		if err := os.WriteFile(path, []byte(files[name]), 0o644); err != nil {
			fmt.Fprintf(stderr, "procsh init: %v\n", err)
			return exitError
		}
		fmt.Fprintf(stdout, "wrote %s\n", path)
	}
	return exitOK
}
