package stdlib

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/internal/luaargs"
)

// The json module is written here rather than taken from
// layeh.com/gopher-json, because that library is not round-trip safe:
// it drops nulls inside arrays ([1,null,3] decodes to {1,3}), turns {} into
// [], rejects a table that appears twice in a value (it never unmarks
// visited tables, so {a=t, b=t} is reported as "recursively nested"),
// escapes <, > and & and silently replaces invalid UTF-8.

// jsonState holds the per-Lua-state sentinels.
type jsonState struct {
	null     *lua.LUserData // json.null
	objectMT *lua.LTable    // marks a table as a JSON object
}

func (st *state) jsonState(L *lua.LState) *jsonState {
	if st.json == nil {
		js := &jsonState{null: L.NewUserData(), objectMT: L.NewTable()}
		nullMT := L.NewTable()
		nullMT.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
			L.Push(lua.LString("json.null"))
			return 1
		}))
		nullMT.RawSetString("__metatable", lua.LString("json.null"))
		js.null.Metatable = nullMT
		js.objectMT.RawSetString("__name", lua.LString("json.object"))
		st.json = js
	}
	return st.json
}

// jsonLoader builds the json module:
//
//	json.encode(value [, {indent=}]) -> string | nil, message
//	json.decode(text) -> value | nil, message
//	json.null                          -- the JSON null (a unique userdata)
//	json.object([t]) -> t              -- marks t as an object, so {} encodes as {}
func jsonLoader(st *state) lua.LGFunction {
	return func(L *lua.LState) int {
		js := st.jsonState(L)
		mod := L.NewTable()
		L.SetFuncs(mod, map[string]lua.LGFunction{
			"encode": js.encode,
			"decode": js.decode,
			"object": js.object,
		})
		mod.RawSetString("null", js.null)
		L.Push(mod)
		return 1
	}
}

func (js *jsonState) encode(L *lua.LState) int {
	if L.GetTop() == 0 {
		luaargs.ArgError(L, "json.encode", 1, "value", "value expected")
	}
	v := L.Get(1)
	o := luaargs.CheckOpts(L, "json.encode", 2)
	iv := o.Get("indent")
	o.Done()
	indent := ""
	if iv != lua.LNil {
		switch iv := iv.(type) {
		case lua.LNumber:
			if iv < 0 || iv > 16 || float64(iv) != math.Trunc(float64(iv)) {
				o.Bad("indent", "integer 0..16 expected")
			}
			indent = strings.Repeat(" ", int(iv))
		case lua.LString:
			if strings.Trim(string(iv), " \t") != "" {
				o.Bad("indent", "only spaces and tabs allowed")
			}
			indent = string(iv)
		default:
			o.Bad("indent", luaargs.TypeMsg("number or string", iv))
		}
	}
	e := encoder{js: js, active: map[*lua.LTable]bool{}}
	if err := e.value(v, 0); err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString("json.encode: " + err.Error()))
		return 2
	}
	out := e.buf
	if indent != "" {
		var b bytes.Buffer
		if err := json.Indent(&b, out, "", indent); err != nil {
			// Cannot happen: the encoder produces valid JSON.
			panic(err)
		}
		out = b.Bytes()
	}
	L.Push(lua.LString(out))
	return 1
}

// maxDepth bounds nesting on encode, matching encoding/json's decode limit.
const maxDepth = 10000

// encoder appends the JSON encoding of Lua values to buf. active holds the
// tables on the current path, so that cycles are errors but a table shared
// by two branches is fine.
type encoder struct {
	js     *jsonState
	buf    []byte
	active map[*lua.LTable]bool
}

// pathError records where in the value encoding failed.
type pathError struct {
	path []string // innermost first
	msg  string
}

func (e *pathError) Error() string {
	if len(e.path) == 0 {
		return e.msg
	}
	var b strings.Builder
	for i := len(e.path) - 1; i >= 0; i-- {
		b.WriteString(e.path[i])
	}
	return "at " + b.String() + ": " + e.msg
}

func atKey(err error, key string) error {
	var pe *pathError
	if errors.As(err, &pe) {
		pe.path = append(pe.path, key)
	}
	return err
}

func (e *encoder) value(v lua.LValue, depth int) error {
	switch v := v.(type) {
	case *lua.LNilType:
		e.buf = append(e.buf, "null"...)
	case lua.LBool:
		e.buf = strconv.AppendBool(e.buf, bool(v))
	case lua.LNumber:
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return &pathError{msg: "cannot encode " + v.String() + " (NaN and infinities have no JSON form)"}
		}
		e.buf = appendNumber(e.buf, f)
	case lua.LString:
		if !utf8.ValidString(string(v)) {
			return &pathError{msg: "cannot encode a string that is not valid UTF-8"}
		}
		e.buf = appendString(e.buf, string(v))
	case *lua.LUserData:
		if v != e.js.null {
			return &pathError{msg: "cannot encode userdata"}
		}
		e.buf = append(e.buf, "null"...)
	case *lua.LTable:
		if depth >= maxDepth {
			return &pathError{msg: "nesting deeper than 10000"}
		}
		if e.active[v] {
			return &pathError{msg: "cannot encode a table that contains itself"}
		}
		e.active[v] = true
		err := e.table(v, depth)
		delete(e.active, v)
		return err
	default:
		return &pathError{msg: "cannot encode " + v.Type().String()}
	}
	return nil
}

func (e *encoder) table(t *lua.LTable, depth int) error {
	asObject := t.Metatable == lua.LValue(e.js.objectMT)
	n, nStr, nInt := 0, 0, 0
	maxInt := 0
	var badKey lua.LValue
	t.ForEach(func(k, _ lua.LValue) {
		n++
		switch k := k.(type) {
		case lua.LString:
			nStr++
		case lua.LNumber:
			if f := float64(k); f == math.Trunc(f) && f >= 1 && f <= math.MaxInt32 {
				nInt++
				maxInt = max(maxInt, int(f))
				return
			}
			if asObject && float64(k) == math.Trunc(float64(k)) && !math.IsInf(float64(k), 0) {
				nInt++ // any integer may be an object key
				return
			}
			badKey = k
		default:
			badKey = k
		}
	})
	switch {
	case badKey != nil:
		return &pathError{msg: "cannot encode a table with key " + describeKey(badKey)}
	case n == 0 && !asObject:
		e.buf = append(e.buf, "[]"...)
		return nil
	case !asObject && nStr == 0 && maxInt == n:
		e.buf = append(e.buf, '[')
		for i := 1; i <= n; i++ {
			if i > 1 {
				e.buf = append(e.buf, ',')
			}
			if err := e.value(t.RawGetInt(i), depth+1); err != nil {
				return atKey(err, "["+strconv.Itoa(i)+"]")
			}
		}
		e.buf = append(e.buf, ']')
		return nil
	case !asObject && nInt > 0 && nStr == 0:
		return &pathError{msg: "cannot encode a sparse array (integer keys that are not 1..n); use json.object to encode it as an object"}
	case !asObject && nInt > 0:
		return &pathError{msg: "cannot encode a table with both string and integer keys"}
	}
	// An object, with keys sorted so that the output is deterministic.
	keys := make([]string, 0, n)
	vals := make(map[string]lua.LValue, n)
	var dup string
	t.ForEach(func(k, v lua.LValue) {
		var ks string
		if s, ok := k.(lua.LString); ok {
			ks = string(s)
		} else {
			ks = strconv.FormatFloat(float64(k.(lua.LNumber)), 'f', -1, 64)
		}
		if _, seen := vals[ks]; seen {
			dup = ks
		}
		keys = append(keys, ks)
		vals[ks] = v
	})
	if dup != "" {
		return &pathError{msg: fmt.Sprintf("cannot encode an object with the key %q twice (as a string and a number)", dup)}
	}
	sort.Strings(keys)
	e.buf = append(e.buf, '{')
	for i, k := range keys {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		if !utf8.ValidString(k) {
			return &pathError{msg: "cannot encode a key that is not valid UTF-8"}
		}
		e.buf = appendString(e.buf, k)
		e.buf = append(e.buf, ':')
		if err := e.value(vals[k], depth+1); err != nil {
			return atKey(err, "["+strconv.Quote(k)+"]")
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

func describeKey(k lua.LValue) string {
	if n, ok := k.(lua.LNumber); ok {
		return n.String()
	}
	return "of type " + k.Type().String()
}

// appendNumber formats like encoding/json (and ECMAScript): integers
// without exponent below 1e21, shortest round-trip digits otherwise.
func appendNumber(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// 1e-07 -> 1e-7
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendString quotes s, which must be valid UTF-8. Unlike encoding/json it
// leaves <, > and & alone: the output is data, not HTML.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		// U+2028 and U+2029 are valid JSON but end a line in JavaScript.
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func (js *jsonState) decode(L *lua.LState) int {
	v, err := js.decodeString(L, luaargs.CheckString(L, "json.decode", 1, "text"))
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString("json.decode: " + err.Error()))
		return 2
	}
	L.Push(v)
	return 1
}

func (js *jsonState) decodeString(L *lua.LState, text string) (lua.LValue, error) {
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%w (at byte %d)", err, se.Offset)
		}
		return nil, err
	}
	return js.toLua(L, v), nil
}

// toLua converts the result of json.Unmarshal into Lua values. null becomes
// json.null (so that arrays keep their length and objects their keys) and
// objects carry the object marker (so that {} re-encodes as {}).
func (js *jsonState) toLua(L *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case nil:
		return js.null
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case []any:
		t := L.CreateTable(len(v), 0)
		for i, item := range v {
			t.RawSetInt(i+1, js.toLua(L, item))
		}
		return t
	case map[string]any:
		t := L.CreateTable(0, len(v))
		for k, item := range v {
			t.RawSetString(k, js.toLua(L, item))
		}
		t.Metatable = js.objectMT
		return t
	}
	panic(fmt.Sprintf("json: unexpected %T from encoding/json", v))
}

func (js *jsonState) object(L *lua.LState) int {
	var t *lua.LTable
	switch v := L.Get(1).(type) {
	case *lua.LNilType:
		t = L.NewTable()
	case *lua.LTable:
		t = v
		if t.Metatable != lua.LNil && t.Metatable != lua.LValue(js.objectMT) {
			luaargs.ArgError(L, "json.object", 1, "t", "table already has a metatable")
		}
	default:
		luaargs.ArgError(L, "json.object", 1, "t", luaargs.TypeMsg("table or nil", L.Get(1)))
	}
	t.Metatable = js.objectMT
	L.Push(t)
	return 1
}
