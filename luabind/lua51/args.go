package lua51

import (
	"fmt"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// Argument checks with Lua 5.1's wording: bad argument #1 to 'find'
// (string expected, got nil). Numbers are accepted where strings are
// expected (formatted with "%.14g") and numeric strings where numbers are,
// as luaL_checklstring and luaL_checknumber do.

func typeName(L *lua.LState, n int) string {
	if n > L.GetTop() {
		return "no value"
	}
	return L.Get(n).Type().String()
}

// raise raises a string error positioned as luaL_error does: at the
// function that called the library function when that is a Lua function,
// and without a position when it is a Go function (pcall(string.rep)).
// gopher-lua's RaiseError positions at the nearest Lua function instead.
func raise(L *lua.LState, format string, args ...any) {
	L.Error(lua.LString(where(L, 1)+fmt.Sprintf(format, args...)), 0)
}

// calledFromGo reports whether the running Go function was called by
// another Go function (pcall), where Lua 5.1 names it '?'.
func calledFromGo(L *lua.LState) bool {
	dbg, ok := L.GetStack(1)
	if !ok {
		return true
	}
	if _, err := L.GetInfo("S", dbg, lua.LNil); err != nil {
		return true
	}
	return dbg.What == "G"
}

func argError(L *lua.LState, n int, fn, msg string) {
	if calledFromGo(L) {
		fn = "?"
	} else if name, method, ok := callName(L, fn); ok {
		fn = name
		if method {
			// As luaL_argerror: self is not counted.
			n--
			if n == 0 {
				raise(L, "calling '%s' on bad self (%s)", fn, msg)
			}
		}
	}
	raise(L, "bad argument #%d to '%s' (%s)", n, fn, msg)
}

// callName finds how the calling Lua function called the running Go
// function, from the call sites recorded for the caller's line: through a
// method (s:rep()), or under which name (local r = string.rep; r()), as
// Lua 5.1's argument errors say.
func callName(L *lua.LState, fn string) (name string, method, ok bool) {
	dbg, found := L.GetStack(1)
	if !found {
		return "", false, false
	}
	if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil || dbg.What == "G" {
		return "", false, false
	}
	self, found := L.GetStack(0)
	if !found {
		return "", false, false
	}
	cur, err := L.GetInfo("f", self, lua.LNil)
	if err != nil {
		return "", false, false
	}
	ss, _ := lookupSites(dbg.Source, dbg.CurrentLine)
	var sure, maybe []desc
	for _, s := range ss {
		if s.kind != siteCall {
			continue
		}
		switch d := s.d1; d.kind {
		case descMethod, descField:
			if d.name == fn {
				sure = append(sure, d)
			}
		case descGlobal:
			if L.GetGlobal(d.name) == cur {
				sure = append(sure, d)
			}
		case descLocal, descUpvalue:
			maybe = append(maybe, d)
		}
	}
	pick := sure
	if len(pick) == 0 {
		pick = maybe
	}
	if len(pick) == 0 {
		return "", false, false
	}
	for _, d := range pick[1:] {
		if d != pick[0] {
			return "", false, false
		}
	}
	return pick[0].name, pick[0].kind == descMethod, true
}

func typeError(L *lua.LState, n int, fn, want string) {
	argError(L, n, fn, fmt.Sprintf("%s expected, got %s", want, typeName(L, n)))
}

func checkString(L *lua.LState, n int, fn string) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return FormatNumber(v)
	}
	typeError(L, n, fn, "string")
	return ""
}

func optString(L *lua.LState, n int, fn, def string) string {
	if L.Get(n) == lua.LNil {
		return def
	}
	return checkString(L, n, fn)
}

func checkNumber(L *lua.LState, n int, fn string) float64 {
	switch v := L.Get(n).(type) {
	case lua.LNumber:
		return float64(v)
	case lua.LString:
		if f, ok := ParseNumber(string(v)); ok {
			return float64(f)
		}
	}
	typeError(L, n, fn, "number")
	return 0
}

// toInteger converts as C's cast of a double to ptrdiff_t does on amd64:
// truncation, and the "integer indefinite" value for NaN and out of range.
func toInteger(f float64) int64 {
	if math.IsNaN(f) || f >= 9.223372036854775807e18 || f < -9.223372036854775808e18 {
		return math.MinInt64
	}
	return int64(f)
}

func checkInt(L *lua.LState, n int, fn string) int64 {
	return toInteger(checkNumber(L, n, fn))
}

func optInt(L *lua.LState, n int, fn string, def int64) int64 {
	if L.Get(n) == lua.LNil {
		return def
	}
	return checkInt(L, n, fn)
}

func checkFunction(L *lua.LState, n int, fn string) *lua.LFunction {
	f, ok := L.Get(n).(*lua.LFunction)
	if !ok {
		typeError(L, n, fn, "function")
	}
	return f
}
