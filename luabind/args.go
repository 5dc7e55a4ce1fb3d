package luabind

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/expect"
)

// Error kinds returned as the third value of a failed call (nil, message,
// kind). The set is small and stable so that scripts can branch on it.
const (
	KindNotFound    = "not_found"   // unknown session, command or PTY
	KindConflict    = "conflict"    // the id already exists
	KindInvalid     = "invalid"     // the backend rejected the request as written
	KindTimeout     = "timeout"     // a wait or deadline expired (nothing was killed by a wait)
	KindClosed      = "closed"      // the target has ended or was closed
	KindUnsupported = "unsupported" // the backend does not offer the operation
	KindUnavailable = "unavailable" // the backend could not be reached or failed
	KindCanceled    = "canceled"    // the run or the evaluation was cancelled
	KindError       = "error"       // anything else
)

// kindOf maps a Go error to its kind string.
func kindOf(err error) string {
	if errors.Is(err, context.Canceled) {
		return KindCanceled
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, expect.ErrTimeout) {
		return KindTimeout
	}
	if errors.Is(err, expect.ErrClosed) {
		return KindClosed
	}
	switch client.KindOf(err) {
	case client.ErrNotFound:
		return KindNotFound
	case client.ErrConflict:
		return KindConflict
	case client.ErrInvalidArgument:
		return KindInvalid
	case client.ErrTimeout:
		return KindTimeout
	case client.ErrClosed:
		return KindClosed
	case client.ErrUnsupported:
		return KindUnsupported
	case client.ErrUnavailable:
		return KindUnavailable
	}
	return KindError
}

// fail pushes nil, message, kind and returns 3.
func fail(L *lua.LState, fname string, err error) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(fname + ": " + err.Error()))
	L.Push(lua.LString(kindOf(err)))
	return 3
}

// failKind pushes nil, message, kind for a failure the host detects itself.
func failKind(L *lua.LState, msg, kind string) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(msg))
	L.Push(lua.LString(kind))
	return 3
}

// argError raises a programmer error naming the function and argument.
// n is the stack index; for methods (fname "obj:method") the receiver is
// not counted, as in Lua's own messages.
func argError(L *lua.LState, fname string, n int, name, msg string) {
	if strings.Contains(fname, ":") {
		n--
	}
	L.RaiseError("%s: bad argument #%d (%s): %s", fname, n, name, msg)
}

func typeMsg(want string, got lua.LValue) string {
	return fmt.Sprintf("%s expected, got %s", want, got.Type())
}

func checkString(L *lua.LState, fname string, n int, name string) string {
	v := L.Get(n)
	switch v := v.(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return v.String()
	}
	argError(L, fname, n, name, typeMsg("string", v))
	return ""
}

func optString(L *lua.LState, fname string, n int, name, def string) string {
	if L.Get(n) == lua.LNil {
		return def
	}
	return checkString(L, fname, n, name)
}

// optSeconds reads an optional duration in seconds (a number ≥ 0); ok is
// false when the argument is nil.
func optSeconds(L *lua.LState, fname string, n int, name string) (time.Duration, bool) {
	v := L.Get(n)
	if v == lua.LNil {
		return 0, false
	}
	num, isNum := v.(lua.LNumber)
	if !isNum || !(num >= 0) { // also rejects NaN
		argError(L, fname, n, name, "non-negative number of seconds expected, got "+describe(v))
	}
	return secondsToDuration(float64(num)), true
}

func secondsToDuration(s float64) time.Duration {
	if s > float64(1<<62)/float64(time.Second) {
		return 1 << 62
	}
	return time.Duration(s * float64(time.Second))
}

func describe(v lua.LValue) string {
	if n, ok := v.(lua.LNumber); ok {
		return n.String()
	}
	return v.Type().String()
}

// opts is an options table being decoded. Every key must be known: get
// marks keys as used and done raises on leftovers, so typos are caught.
type opts struct {
	L     *lua.LState
	fname string
	n     int
	t     *lua.LTable
	used  map[string]bool
}

// checkOpts reads argument n as an optional options table.
func checkOpts(L *lua.LState, fname string, n int) *opts {
	o := &opts{L: L, fname: fname, n: n, used: map[string]bool{}}
	switch v := L.Get(n).(type) {
	case *lua.LNilType:
	case *lua.LTable:
		o.t = v
	default:
		argError(L, fname, n, "options", typeMsg("table", v))
	}
	return o
}

func (o *opts) get(key string) lua.LValue {
	o.used[key] = true
	if o.t == nil {
		return lua.LNil
	}
	return o.t.RawGetString(key)
}

func (o *opts) bad(key, msg string) {
	o.L.RaiseError("%s: bad option '%s': %s", o.fname, key, msg)
}

func (o *opts) str(key, def string) string {
	switch v := o.get(key).(type) {
	case *lua.LNilType:
		return def
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return v.String()
	default:
		o.bad(key, typeMsg("string", v))
	}
	return def
}

func (o *opts) boolean(key string, def bool) bool {
	switch v := o.get(key).(type) {
	case *lua.LNilType:
		return def
	case lua.LBool:
		return bool(v)
	default:
		o.bad(key, typeMsg("boolean", v))
	}
	return def
}

func (o *opts) number(key string, def float64) float64 {
	switch v := o.get(key).(type) {
	case *lua.LNilType:
		return def
	case lua.LNumber:
		return float64(v)
	default:
		o.bad(key, typeMsg("number", v))
	}
	return def
}

func (o *opts) seconds(key string) time.Duration {
	v := o.get(key)
	if v == lua.LNil {
		return 0
	}
	num, ok := v.(lua.LNumber)
	if !ok || !(num >= 0) { // also rejects NaN
		o.bad(key, "non-negative number of seconds expected, got "+describe(v))
	}
	return secondsToDuration(float64(num))
}

func (o *opts) function(key string) *lua.LFunction {
	switch v := o.get(key).(type) {
	case *lua.LNilType:
		return nil
	case *lua.LFunction:
		return v
	default:
		o.bad(key, typeMsg("function", v))
	}
	return nil
}

// env reads a table of environment variables (string or number values).
func (o *opts) env(key string) map[string]string {
	v := o.get(key)
	if v == lua.LNil {
		return nil
	}
	t, ok := v.(*lua.LTable)
	if !ok {
		o.bad(key, typeMsg("table", v))
	}
	m := map[string]string{}
	t.ForEach(func(k, val lua.LValue) {
		ks, ok := k.(lua.LString)
		if !ok {
			o.bad(key, "keys must be strings, got "+k.Type().String())
		}
		switch val := val.(type) {
		case lua.LString:
			m[string(ks)] = string(val)
		case lua.LNumber:
			m[string(ks)] = val.String()
		case lua.LBool:
			m[string(ks)] = val.String()
		default:
			o.bad(key, fmt.Sprintf("value of %s must be a string, got %s", ks, val.Type()))
		}
	})
	return m
}

// strings reads a list of strings.
func (o *opts) strings(key string) []string {
	v := o.get(key)
	if v == lua.LNil {
		return nil
	}
	t, ok := v.(*lua.LTable)
	if !ok {
		o.bad(key, typeMsg("table (list of strings)", v))
	}
	var out []string
	for i := 1; i <= t.Len(); i++ {
		switch e := t.RawGetInt(i).(type) {
		case lua.LString:
			out = append(out, string(e))
		case lua.LNumber:
			out = append(out, e.String())
		default:
			o.bad(key, fmt.Sprintf("element %d must be a string, got %s", i, e.Type()))
		}
	}
	return out
}

// done raises when the table holds keys that were never asked for.
func (o *opts) done() {
	if o.t == nil {
		return
	}
	var unknown []string
	o.t.ForEach(func(k, _ lua.LValue) {
		ks, ok := k.(lua.LString)
		if !ok || !o.used[string(ks)] {
			unknown = append(unknown, k.String())
		}
	})
	if len(unknown) > 0 {
		sort.Strings(unknown)
		o.L.RaiseError("%s: unknown option '%s'", o.fname, strings.Join(unknown, "', '"))
	}
}
