//go:build linux

package local

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// toolboxShells are the shells the toolbox rule (docs/protocol.md §2) looks for in
// /etc/shells, in order of preference: zsh beats bash.
var toolboxShells = []string{"/usr/bin/zsh", "/bin/zsh", "/usr/bin/bash", "/bin/bash"}

// pickShell applies the toolbox rule: the first of toolboxShells that appears
// in the non-comment lines of /etc/shells; else $SHELL; else "sh". A failure
// to read /etc/shells means "sh", as in the reference daemon.
func pickShell(etcShells string, env []string) string {
	data, err := os.ReadFile(etcShells)
	if err != nil {
		return lookShell("sh")
	}
	var listed []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		listed = append(listed, line)
	}
	for _, s := range toolboxShells {
		// The reference daemon matches substrings; we match whole lines,
		// which picks the same shell on any sane /etc/shells and never a
		// "/usr/bin/bash-static" by accident.
		for _, l := range listed {
			if l == s {
				return s
			}
		}
	}
	if sh := envValue(env, "SHELL"); sh != "" {
		return sh
	}
	return lookShell("sh")
}

// lookShell resolves a shell name through PATH, falling back to the name.
func lookShell(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return name
}

// sessionShell picks the shell for persistent sessions. Sessions rely on
// bash's state introspection (declare -p, declare -f, shopt) to survive an
// `exit` in a command, so bash is preferred whatever the exec shell is; a
// configured POSIX sh is honoured with reduced state keeping (exported
// variables and cwd only). zsh is never used for sessions.
func sessionShell(configured string) (path string, isBash bool) {
	switch filepath.Base(configured) {
	case "bash":
		return lookShell(configured), true
	case "sh", "dash", "ash":
		return lookShell(configured), false
	}
	if p, err := exec.LookPath("bash"); err == nil {
		return p, true
	}
	return lookShell("sh"), false
}

// envValue returns the last value of key in a KEY=VALUE list.
func envValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}
