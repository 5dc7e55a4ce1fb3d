// Command procsh runs Lua scripts that automate processes, locally or on a
// remote procsh (or Daytona toolbox) server, opens a Lua REPL, or serves the
// process API.
//
// Usage:
//
//	procsh [flags] script.lua [args...]   run a script (arg[1..n] = args)
//	procsh [flags] run script.lua [args...]
//	procsh [flags] -e 'code'              run code given on the command line
//	procsh [flags] -                       run a script read from stdin
//	procsh [flags] < script.lua            (stdin not a terminal: the same)
//	procsh [flags]                         on a terminal: the interactive REPL
//	procsh serve [--listen addr] [--token-file f] [--allow-origin o]
//	procsh [flags] test [--filter p] [--format text|tap|junit] [paths...]
//	procsh init [--force] [dir]          editor type stubs and .luarc.json
//
// Flags come before the script name; everything after it goes to the
// script. Run `procsh --help` for the flags.
//
// Exit status: 0 on success; 1 when the script raises an error (the message,
// "file:line: message", and a traceback go to stderr) or procsh cannot
// start; the script's own code when it calls os.exit(code); 124 when
// --timeout expires; 130 after Ctrl-C (SIGINT) and 143 after SIGTERM, in both
// cases once every process the run started has been ended; 2 for a usage
// error.
//
// As PID 1 (a container's main process) procsh runs as two processes: PID
// 1 reaps the container's orphans and passes signals on to the real procsh,
// whose status it exits with (see pid1_linux.go).
package main

import (
	"os"
)

func main() {
	if status, ok := asInit(); ok {
		os.Exit(status)
	}
	os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
