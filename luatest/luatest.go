package luatest

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/luabind"
	"github.com/procsh/procsh/luabind/lua51"
)

//go:embed runner.lua
var runnerSrc string

// Status is the outcome of one test.
type Status int

const (
	// Pass: the test returned, its after_each hooks too, and it left
	// nothing running.
	Pass Status = iota
	// Fail: an assertion or another error, a failed hook, a timeout, or a
	// process left running.
	Fail
	// Pending: declared with pending(name) or it(name) without a function.
	Pending
)

// String returns "pass", "fail" or "pending".
func (s Status) String() string {
	switch s {
	case Pass:
		return "pass"
	case Fail:
		return "fail"
	}
	return "pending"
}

// Result is the outcome of one test, or of a block's setup/teardown or a
// file's top level when those fail.
type Result struct {
	File     string
	Names    []string // the enclosing describe names, then the test's name
	Status   Status
	Message  string   // why it failed
	Left     []string // what it left running (ended since)
	Output   string   // what it printed (TAP and JUnit formats only)
	Duration time.Duration
}

// Name is the test's full name: its describe names and its own, joined
// by spaces, as busted and --filter see it.
func (r Result) Name() string { return strings.Join(r.Names, " ") }

// Summary is the outcome of a whole run.
type Summary struct {
	Results                 []Result
	Passed, Failed, Pending int
	Duration                time.Duration
}

// OK reports whether nothing failed.
func (s *Summary) OK() bool { return s.Failed == 0 }

// Format selects the report format.
type Format int

const (
	// Text is a readable line per test and the failures' details.
	Text Format = iota
	// TAP is the Test Anything Protocol (version 13).
	TAP
	// JUnit is JUnit XML, written once the run is over.
	JUnit
)

// ParseFormat maps "text", "tap" and "junit" to a Format.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "text", "":
		return Text, nil
	case "tap":
		return TAP, nil
	case "junit":
		return JUnit, nil
	}
	return Text, fmt.Errorf("unknown format %q (want text, tap or junit): %w", s, client.ErrInvalidArgument)
}

// Config configures Run.
type Config struct {
	// NewHost creates the Lua host of one test file, writing what the
	// tests print to stdout and stderr and with the extra options. Each
	// file gets a host of its own, so globals do not leak between files.
	NewHost func(stdout, stderr io.Writer, extra ...luabind.Option) (*luabind.Host, error)
	// Filter, when set, is a Lua pattern: only tests whose full name
	// (describe names and test name joined by spaces) matches it run.
	Filter string
	// Format is the report format; Text by default.
	Format Format
	// Timeout bounds each test (with its before_each and after_each
	// hooks); zero means no bound.
	Timeout time.Duration
	// Watch, when set, finds processes a test left behind that the host's
	// cleanup could not see or end (started through os.execute, or
	// daemonized).
	Watch *Watch
	// Stdout receives the report; Stderr what a failing file reports
	// outside any test in text format.
	Stdout, Stderr io.Writer
}

// Find returns the test files named by paths: files as given, directories
// searched recursively for *_test.lua and *_spec.lua. No paths means the
// current directory. The list is sorted and free of duplicates.
func Find(paths []string) ([]string, error) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("procsh test: %w", err)
		}
		if !st.IsDir() {
			add(p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if d.IsDir() {
				if path != p && (strings.HasPrefix(name, ".") || name == "node_modules") {
					return filepath.SkipDir
				}
				return nil
			}
			if IsTestFile(name) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("procsh test: %w", err)
		}
		sort.Strings(found)
		for _, f := range found {
			add(f)
		}
	}
	return out, nil
}

// IsTestFile reports whether a file name is one Find collects.
func IsTestFile(name string) bool {
	return strings.HasSuffix(name, "_test.lua") || strings.HasSuffix(name, "_spec.lua")
}

// Run runs the test files in order and reports every test as it ends (Text
// and TAP) or at the end (JUnit). The error is non-nil only when the run
// could not proceed (no host, ctx cancelled, os.exit in a test); failing
// tests are in the summary.
func Run(ctx context.Context, files []string, cfg Config) (*Summary, error) {
	if cfg.NewHost == nil {
		return nil, fmt.Errorf("luatest.Run: no NewHost: %w", client.ErrInvalidArgument)
	}
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	if cfg.Stderr == nil {
		cfg.Stderr = io.Discard
	}
	rep := newReporter(cfg)
	start := time.Now()
	sum := &Summary{}
	var runErr error
	for _, f := range files {
		if err := runFile(ctx, f, cfg, rep, sum); err != nil {
			runErr = err
			break
		}
	}
	sum.Duration = time.Since(start)
	rep.finish(sum)
	return sum, runErr
}

// capture collects what tests print, between two reports, for the TAP and
// JUnit formats.
type capture struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *capture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.Write(p)
}

func (c *capture) take() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.buf.String()
	c.buf.Reset()
	return s
}

func runFile(ctx context.Context, file string, cfg Config, rep *reporter, sum *Summary) error {
	var stdout, stderr io.Writer = cfg.Stdout, cfg.Stderr
	var capt *capture
	if cfg.Format != Text {
		capt = &capture{}
		stdout, stderr = capt, capt
	}
	var host *luabind.Host
	last := time.Now()
	record := func(r Result) {
		r.File = file
		now := time.Now()
		r.Duration = now.Sub(last)
		last = now
		if capt != nil {
			r.Output = capt.take()
		}
		switch r.Status {
		case Pass:
			sum.Passed++
		case Fail:
			sum.Failed++
		default:
			sum.Pending++
		}
		sum.Results = append(sum.Results, r)
		rep.result(r)
	}
	core := func(L *lua.LState) int {
		t := L.NewTable()
		L.SetFuncs(t, map[string]lua.LGFunction{
			"isolate": func(L *lua.LState) int {
				fn := L.CheckFunction(1)
				var timeout time.Duration
				if L.ToBool(2) {
					timeout = cfg.Timeout
				}
				var before map[int]bool
				if cfg.Watch != nil {
					before = cfg.Watch.snapshot()
				}
				iso := host.CallIsolated(L, timeout, fn)
				var escaped []string
				var exitErr *luabind.ExitError
				if errors.As(iso.Err, &exitErr) {
					// os.exit in a test ends the whole run, so the Lua side
					// does not get to report: the test fails here.
					iso.Err = fmt.Errorf("os.exit(%d) called in a test", exitErr.Code)
					r := Result{Status: Fail, Message: iso.Err.Error()}
					if names, ok := L.Get(3).(*lua.LTable); ok {
						names.ForEach(func(_, v lua.LValue) { r.Names = append(r.Names, v.String()) })
					}
					if cfg.Watch != nil {
						if r.Left = cfg.Watch.leaked(before); len(r.Left) > 0 {
							r.Message += "\nleft running after the test: " + strings.Join(r.Left, ", ")
						}
					}
					if len(r.Names) > 0 {
						record(r)
					}
				} else if cfg.Watch != nil {
					// The scan waits while strays die: let the enclosing
					// blocks' tasks run meanwhile.
					_ = host.Block(L, "", func(context.Context) error {
						escaped = cfg.Watch.leaked(before)
						return nil
					})
				}
				L.Push(lua.LBool(iso.Err == nil))
				if iso.Err != nil {
					L.Push(lua.LString(errorText(iso.Err)))
				} else {
					L.Push(lua.LNil)
				}
				for _, list := range [][]string{iso.Left, escaped} {
					lt := L.NewTable()
					for _, s := range list {
						lt.Append(lua.LString(s))
					}
					L.Push(lt)
				}
				return 4
			},
			"report": func(L *lua.LState) int {
				status := L.CheckString(1)
				var names []string
				L.CheckTable(2).ForEach(func(_, v lua.LValue) { names = append(names, v.String()) })
				r := Result{Names: names}
				switch status {
				case "pass":
					r.Status = Pass
				case "fail":
					r.Status = Fail
				default:
					r.Status = Pending
				}
				if s, ok := L.Get(3).(lua.LString); ok {
					r.Message = string(s)
				}
				if lt, ok := L.Get(4).(*lua.LTable); ok {
					lt.ForEach(func(_, v lua.LValue) { r.Left = append(r.Left, v.String()) })
				}
				if len(r.Left) > 0 && r.Message == "" {
					r.Message = "left running after the test: " + strings.Join(r.Left, ", ")
				} else if len(r.Left) > 0 {
					r.Message += "\nleft running after the test: " + strings.Join(r.Left, ", ")
				}
				record(r)
				return 0
			},
			"raise": raiseAt,
			"runner": func(L *lua.LState) int {
				fn, err := lua51.Load(L, "=procsh test", runnerSrc)
				if err != nil {
					L.RaiseError("%v", err)
				}
				L.Push(fn)
				return 1
			},
			"load": func(L *lua.LState) int {
				path := L.CheckString(1)
				b, err := os.ReadFile(path)
				if err != nil {
					L.RaiseError("%v", err)
				}
				src := string(b)
				if strings.HasPrefix(src, "#") {
					if i := strings.IndexByte(src, '\n'); i >= 0 {
						src = "--" + src[i:]
					} else {
						src = ""
					}
				}
				fn, err := lua51.Load(L, path, src)
				if err != nil {
					L.RaiseError("%s", strings.TrimSpace(err.Error()))
				}
				L.Push(fn)
				return 1
			},
		})
		L.Push(t)
		return 1
	}
	var err error
	host, err = cfg.NewHost(stdout, stderr, luabind.WithModule("procsh.test.core", core))
	if err != nil {
		return fmt.Errorf("procsh test: %s: %w", file, err)
	}
	defer host.Close()
	err = host.RunString(ctx, "=procsh test", runnerChunk(file, cfg.Filter))
	var exitErr *luabind.ExitError
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("procsh test: %w", context.Cause(ctx))
	case errors.As(err, &exitErr):
		return fmt.Errorf("procsh test: %s: os.exit(%d) called in a test", file, exitErr.Code)
	case err != nil:
		// The runner itself failed (a bad --filter pattern, ...).
		record(Result{Names: []string{"(file)"}, Status: Fail, Message: errorText(err)})
	}
	return nil
}

// runnerChunk is the Lua source that runs one file: the embedded runner,
// given its core, the file and the filter.
func runnerChunk(file, filter string) string {
	return "local core = require('procsh.test.core')\n" +
		"core.runner()(core, " + luaQuote(file) + ", " + luaQuote(filter) + ")\n"
}

// luaQuote renders s as a Lua string literal.
func luaQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString("\\n")
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// errorText is an error as a test report shows it: a script error's
// message without the traceback.
func errorText(err error) string {
	var se *luabind.ScriptError
	if errors.As(err, &se) {
		return se.Message
	}
	return err.Error()
}

// raiseAt(msg, level) raises msg prefixed with the position of the Lua
// function at level, counted as in Lua 5.1 (1 is the caller of raiseAt):
// gopher-lua's error(msg, level) reports one level too low.
func raiseAt(L *lua.LState) int {
	msg := L.CheckString(1)
	for level := L.OptInt(2, 1); ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		fn, err := L.GetInfo("fSl", dbg, lua.LNil)
		if err != nil {
			break
		}
		if f, ok := fn.(*lua.LFunction); ok && f.IsG {
			continue
		}
		msg = fmt.Sprintf("%s:%d: %s", dbg.Source, dbg.CurrentLine, msg)
		break
	}
	L.Error(lua.LString(msg), 0)
	return 0
}
