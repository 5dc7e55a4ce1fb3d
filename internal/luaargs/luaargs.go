// Package luaargs is the one argument and error toolkit of procsh's Lua
// bindings (the process module in luabind and the stdlib modules): reading
// arguments and options tables with messages that name the function and the
// argument, and returning expected failures as nil, message, kind.
//
// Two kinds of failure are told apart. A programmer error (a wrong argument
// type, an unknown option key) raises a Lua error:
//
//	script.lua:3: fs.write: bad argument #3 (opts): unknown option "apend"
//
// An expected failure returns nil, message, kind, so that assert(f(...))
// works and scripts can branch on the kind. Kinds are the short names of
// the client package's kind table (client.KindName: "not_found",
// "conflict", "invalid", "timeout", "closed", "unsupported", "unauthorized",
// "unavailable") plus three that only Lua has: "canceled" (the run or the
// evaluation was cancelled), "failed" (a command run with check=true did
// not succeed) and "error" (anything else). Errors of the
// io/fs family map onto the same names (a missing file is "not_found", an
// existing one "conflict", a permission problem "unauthorized").
package luaargs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"sort"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/client"
)

// The kinds a failed call returns as its third value (or, for KindFailed,
// the kind of the error that check=true raises). All but KindCanceled,
// KindFailed and KindError are names from client's kind table (a test
// checks that).
const (
	KindNotFound     = "not_found"    // unknown session, command, PTY or file
	KindConflict     = "conflict"     // the id or file already exists
	KindInvalid      = "invalid"      // the backend rejected the request as written
	KindTimeout      = "timeout"      // a wait or deadline expired
	KindClosed       = "closed"       // the target has ended or was closed
	KindUnsupported  = "unsupported"  // the backend does not offer the operation
	KindUnauthorized = "unauthorized" // a missing or wrong token, or no permission
	KindUnavailable  = "unavailable"  // the backend could not be reached or failed
	KindCanceled     = "canceled"     // the run or the evaluation was cancelled
	KindFailed       = "failed"       // a command run with check=true exited non-zero or was killed
	KindError        = "error"        // anything else
)

// Kinds returns every kind name, in the order of client's table followed by
// the Lua-only ones. Documentation and editor stubs list them from here.
func Kinds() []string {
	var out []string
	for _, k := range client.Kinds() {
		out = append(out, k.Name)
	}
	return append(out, KindCanceled, KindFailed, KindError)
}

// Kind classifies err: context errors first (a cancelled context is
// "canceled", an expired deadline "timeout"), then client's sentinels, then
// io/fs errors; anything else is "error".
func Kind(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.Canceled):
		return KindCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout
	}
	if name := client.KindName(err); name != "" {
		return name
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return KindNotFound
	case errors.Is(err, fs.ErrExist):
		return KindConflict
	case errors.Is(err, fs.ErrPermission):
		return KindUnauthorized
	}
	return KindError
}

// Fail pushes nil, "fname: message", kind and returns 3, for a Go function
// to return.
func Fail(L *lua.LState, fname string, err error) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(fname + ": " + err.Error()))
	L.Push(lua.LString(Kind(err)))
	return 3
}

// FailKind pushes nil, msg, kind for a failure the binding detects itself,
// and returns 3.
func FailKind(L *lua.LState, msg, kind string) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(msg))
	L.Push(lua.LString(kind))
	return 3
}

// ArgError raises a programmer error naming the function and argument. n is
// the stack index; for methods (fname "obj:method") the receiver is not
// counted, as in Lua's own messages.
func ArgError(L *lua.LState, fname string, n int, name, msg string) {
	if strings.Contains(fname, ":") {
		n--
	}
	L.RaiseError("%s: bad argument #%d (%s): %s", fname, n, name, msg)
}

// TypeMsg is the "want expected, got type" part of a type error.
func TypeMsg(want string, got lua.LValue) string {
	return fmt.Sprintf("%s expected, got %s", want, got.Type())
}

// Describe names a value in a message: a number shows itself, anything
// else its type.
func Describe(v lua.LValue) string {
	if n, ok := v.(lua.LNumber); ok {
		return n.String()
	}
	return v.Type().String()
}

// CheckString reads argument n as a string; a number is accepted too, as
// Lua's own string functions do.
func CheckString(L *lua.LState, fname string, n int, name string) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return v.String()
	}
	ArgError(L, fname, n, name, TypeMsg("string", L.Get(n)))
	return ""
}

// OptString is CheckString with a default for nil.
func OptString(L *lua.LState, fname string, n int, name, def string) string {
	if L.Get(n) == lua.LNil {
		return def
	}
	return CheckString(L, fname, n, name)
}

// CheckNumber reads argument n as a number.
func CheckNumber(L *lua.LState, fname string, n int, name string) float64 {
	if v, ok := L.Get(n).(lua.LNumber); ok {
		return float64(v)
	}
	ArgError(L, fname, n, name, TypeMsg("number", L.Get(n)))
	return 0
}

// OptSeconds reads an optional duration in seconds (a number ≥ 0); ok is
// false when the argument is nil.
func OptSeconds(L *lua.LState, fname string, n int, name string) (time.Duration, bool) {
	v := L.Get(n)
	if v == lua.LNil {
		return 0, false
	}
	num, isNum := v.(lua.LNumber)
	if !isNum || !(num >= 0) { // also rejects NaN
		ArgError(L, fname, n, name, "non-negative number of seconds expected, got "+Describe(v))
	}
	return Seconds(float64(num)), true
}

// Seconds converts a number of seconds to a Duration, saturating instead of
// overflowing.
func Seconds(s float64) time.Duration {
	if s*1e9 >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(s * float64(time.Second))
}

// Opts is an options table being decoded. Every key must be known: the
// getters mark keys as used and Done raises on leftovers, so a typo is an
// error rather than a silently ignored option.
type Opts struct {
	L     *lua.LState
	fname string
	n     int
	t     *lua.LTable
	used  map[string]bool
}

// CheckOpts reads argument n as an optional options table (nil is empty).
func CheckOpts(L *lua.LState, fname string, n int) *Opts {
	o := &Opts{L: L, fname: fname, n: n}
	switch v := L.Get(n).(type) {
	case *lua.LNilType:
	case *lua.LTable:
		o.t = v
		o.used = map[string]bool{}
	default:
		ArgError(L, fname, n, "opts", TypeMsg("table", v))
	}
	return o
}

// Table returns the options table, or nil when none was given.
func (o *Opts) Table() *lua.LTable { return o.t }

// Trace, when set, is called with the function name and the key of every
// option a binding reads, whether or not the table holds it. The tests of
// the documented surface set it, before any Lua code runs, to learn which
// options each function really accepts; it is called from whichever
// goroutine runs Lua.
var Trace func(fname, key string)

// Get returns the raw value of key (nil when absent) and marks it used.
func (o *Opts) Get(key string) lua.LValue {
	if Trace != nil {
		Trace(o.fname, key)
	}
	if o.t == nil {
		return lua.LNil
	}
	o.used[key] = true
	return o.t.RawGetString(key)
}

// Has reports whether key is set, and marks it used.
func (o *Opts) Has(key string) bool { return o.Get(key) != lua.LNil }

// Bad raises an error about the value of option key.
func (o *Opts) Bad(key, msg string) {
	ArgError(o.L, o.fname, o.n, "opts", fmt.Sprintf("option %q: %s", key, msg))
}

// Str reads a string option (numbers accepted).
func (o *Opts) Str(key, def string) string {
	switch v := o.Get(key).(type) {
	case *lua.LNilType:
		return def
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return v.String()
	default:
		o.Bad(key, TypeMsg("string", v))
	}
	return def
}

// Bool reads a boolean option.
func (o *Opts) Bool(key string, def bool) bool {
	switch v := o.Get(key).(type) {
	case *lua.LNilType:
		return def
	case lua.LBool:
		return bool(v)
	default:
		o.Bad(key, TypeMsg("boolean", v))
	}
	return def
}

// Number reads a number option.
func (o *Opts) Number(key string, def float64) float64 {
	switch v := o.Get(key).(type) {
	case *lua.LNilType:
		return def
	case lua.LNumber:
		return float64(v)
	default:
		o.Bad(key, TypeMsg("number", v))
	}
	return def
}

// Seconds reads a duration option in seconds (a number ≥ 0); absent is 0
// (use Has to tell absent from zero).
func (o *Opts) Seconds(key string) time.Duration {
	v := o.Get(key)
	if v == lua.LNil {
		return 0
	}
	num, isNum := v.(lua.LNumber)
	if !isNum || !(num >= 0) { // also rejects NaN
		o.Bad(key, "non-negative number of seconds expected, got "+Describe(v))
	}
	return Seconds(float64(num))
}

// Function reads a function option.
func (o *Opts) Function(key string) *lua.LFunction {
	switch v := o.Get(key).(type) {
	case *lua.LNilType:
		return nil
	case *lua.LFunction:
		return v
	default:
		o.Bad(key, TypeMsg("function", v))
	}
	return nil
}

// Env reads a table of environment variables (string, number or boolean
// values).
func (o *Opts) Env(key string) map[string]string {
	v := o.Get(key)
	if v == lua.LNil {
		return nil
	}
	t, ok := v.(*lua.LTable)
	if !ok {
		o.Bad(key, TypeMsg("table", v))
	}
	m := map[string]string{}
	t.ForEach(func(k, val lua.LValue) {
		ks, ok := k.(lua.LString)
		if !ok {
			o.Bad(key, "keys must be strings, got "+k.Type().String())
		}
		switch val := val.(type) {
		case lua.LString:
			m[string(ks)] = string(val)
		case lua.LNumber, lua.LBool:
			m[string(ks)] = val.String()
		default:
			o.Bad(key, fmt.Sprintf("value of %s must be a string, got %s", ks, val.Type()))
		}
	})
	return m
}

// Strings reads a list of strings (numbers accepted).
func (o *Opts) Strings(key string) []string {
	v := o.Get(key)
	if v == lua.LNil {
		return nil
	}
	t, ok := v.(*lua.LTable)
	if !ok {
		o.Bad(key, TypeMsg("table (list of strings)", v))
	}
	out, err := StringList(t)
	if err != nil {
		o.Bad(key, err.Error())
	}
	return out
}

// StringList reads t as a list of strings (numbers accepted). Keys other
// than 1..n are an error, so a map passed by mistake is not half read.
func StringList(t *lua.LTable) ([]string, error) {
	n := t.Len()
	out := make([]string, 0, n)
	for i := 1; i <= n; i++ {
		switch e := t.RawGetInt(i).(type) {
		case lua.LString:
			out = append(out, string(e))
		case lua.LNumber:
			out = append(out, e.String())
		default:
			return nil, fmt.Errorf("element %d must be a string, got %s", i, e.Type())
		}
	}
	var extra error
	t.ForEach(func(k, _ lua.LValue) {
		if num, ok := k.(lua.LNumber); ok && num >= 1 && int(num) <= n && lua.LNumber(int(num)) == num {
			return
		}
		if extra == nil {
			extra = fmt.Errorf("a list expected, got key %s", k.String())
		}
	})
	return out, extra
}

// Done raises when the table holds keys that were never asked for.
func (o *Opts) Done() {
	if o.t == nil {
		return
	}
	var unknown []string
	o.t.ForEach(func(k, _ lua.LValue) {
		ks, ok := k.(lua.LString)
		if !ok || !o.used[string(ks)] {
			unknown = append(unknown, fmt.Sprintf("%q", k.String()))
		}
	})
	if len(unknown) > 0 {
		sort.Strings(unknown)
		word := "option"
		if len(unknown) > 1 {
			word = "options"
		}
		ArgError(o.L, o.fname, o.n, "opts", "unknown "+word+" "+strings.Join(unknown, ", "))
	}
}
