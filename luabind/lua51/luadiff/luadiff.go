// Package luadiff runs Lua programs in PUC-Rio Lua 5.1 (Debian's lua5.1)
// and compares what they print with procsh's Lua: the differential
// harness behind the lua51 conformance tests and cmd/luadiff. It also
// generates random well-formed programs (Generate).
package luadiff

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// Result is what a program did: its standard output and, when it ended
// with an uncaught error, the error message (first line, without the
// interpreter's "lua5.1: " prefix or the traceback).
type Result struct {
	Stdout string
	Error  string
}

// ErrNoReference means lua5.1 is not installed.
var ErrNoReference = errors.New("luadiff: lua5.1 not found on PATH (tools/deps/lua51.sh installs it)")

// Reference returns the path of lua5.1.
func Reference() (string, error) {
	p, err := exec.LookPath("lua5.1")
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoReference, err)
	}
	return p, nil
}

// RunReference runs the program file (a path relative to dir) with lua5.1
// in dir, so that chunk names and relative paths match procsh's run.
func RunReference(ctx context.Context, dir, file string) (Result, error) {
	lua, err := Reference()
	if err != nil {
		return Result{}, err
	}
	cmd := exec.CommandContext(ctx, lua, file)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LUA_PATH=./?.lua", "LUA_INIT=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	res := Result{Stdout: out.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		msg := errb.String()
		msg = strings.TrimPrefix(msg, lua+": ")
		if i := strings.Index(msg, "\nstack traceback:"); i >= 0 {
			msg = msg[:i]
		}
		res.Error = strings.TrimRight(msg, "\n")
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("luadiff: run %s: %w", file, err)
	}
	return res, nil
}

var (
	addr    = regexp.MustCompile(`0x[0-9a-f]+`)
	negZero = regexp.MustCompile(`(^|[^0-9.eE])-(0(?:\.0+)?)([^0-9.]|$)`)
)

// Normalize replaces what legitimately differs between two runs of the
// same program by fixed text: addresses ("table: 0x..."), and the sign of
// a zero, a documented difference (gopher-lua boxes integral numbers
// through a cache that drops the sign of -0).
func Normalize(s string) string {
	s = addr.ReplaceAllString(s, "0xADDR")
	for negZero.MatchString(s) {
		s = negZero.ReplaceAllStringFunc(s, func(m string) string {
			sm := negZero.FindStringSubmatch(m)
			if sm[1] == " " {
				return "  " + sm[2] + sm[3] // keep a printf width: " -0.0" is "  0.0"
			}
			return sm[1] + sm[2] + sm[3]
		})
	}
	return s
}

// Diff returns "" when got matches want, else a description of the first
// difference.
func Diff(want, got Result) string {
	w, g := Normalize(want.Stdout), Normalize(got.Stdout)
	if w != g {
		wl, gl := strings.Split(w, "\n"), strings.Split(g, "\n")
		for i := 0; i < len(wl) || i < len(gl); i++ {
			var a, b string
			if i < len(wl) {
				a = wl[i]
			}
			if i < len(gl) {
				b = gl[i]
			}
			if a != b {
				return fmt.Sprintf("stdout line %d:\n  lua5.1: %q\n  procsh: %q", i+1, a, b)
			}
		}
	}
	if Normalize(want.Error) != Normalize(got.Error) {
		return fmt.Sprintf("error:\n  lua5.1: %q\n  procsh: %q", want.Error, got.Error)
	}
	return ""
}

// Corpus returns the .lua files directly in dir, sorted.
func Corpus(dir string) ([]string, error) {
	m, err := filepath.Glob(filepath.Join(dir, "*.lua"))
	if err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("luadiff: no .lua files in %s", dir)
	}
	return m, nil
}

// DiffAll is Diff listing every differing stdout line (and the error),
// for counting divergences.
func DiffAll(want, got Result) []string {
	var out []string
	wl, gl := strings.Split(Normalize(want.Stdout), "\n"), strings.Split(Normalize(got.Stdout), "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var a, b string
		if i < len(wl) {
			a = wl[i]
		}
		if i < len(gl) {
			b = gl[i]
		}
		if a != b {
			out = append(out, fmt.Sprintf("line %d: lua5.1 %q, procsh %q", i+1, a, b))
		}
	}
	if Normalize(want.Error) != Normalize(got.Error) {
		out = append(out, fmt.Sprintf("error: lua5.1 %q, procsh %q", want.Error, got.Error))
	}
	return out
}
