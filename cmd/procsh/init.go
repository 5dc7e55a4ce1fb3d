package main

import (
	"flag"
	"fmt"

	"github.com/procsh/procsh/luadoc"
)

// initMain is `procsh init [--force] [dir]`: editor support for a project.
func (a *app) initMain(args []string) int {
	fs := flag.NewFlagSet("procsh init", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	force := fs.Bool("force", false, "replace an existing .luarc.json")
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fmt.Fprintf(a.stdout, "Usage: procsh init [--force] [dir]\n\nWrites %s/*.lua (LuaLS type stubs for every procsh module) and\n.luarc.json (Lua 5.1, procsh's globals, the stubs as a library) into dir\n(default .). An existing .luarc.json is kept unless --force.\n\n", luadoc.LibraryDir)
			fs.SetOutput(a.stdout)
			fs.PrintDefaults()
			return exitOK
		}
		fmt.Fprintln(a.stderr, "Run 'procsh init --help' for usage.")
		return exitUsage
	}
	if fs.NArg() > 1 {
		fmt.Fprintln(a.stderr, "procsh init: at most one directory")
		return exitUsage
	}
	dir := "."
	if fs.NArg() == 1 {
		dir = fs.Arg(0)
	}
	written, err := luadoc.Init(dir, *force)
	if err != nil {
		fmt.Fprintln(a.stderr, err)
		return exitError
	}
	for _, p := range written {
		fmt.Fprintln(a.stdout, "wrote", p)
	}
	return exitOK
}
