package repl

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/luabind/lua51"
)

// FormatOptions tunes Format.
type FormatOptions struct {
	// MaxDepth is how many levels of nested tables are expanded; deeper
	// tables print as "{...}". 0 means DefaultMaxDepth.
	MaxDepth int
	// MaxItems is how many entries of one table are printed before the rest
	// is summarised as "... (n more)". 0 means DefaultMaxItems.
	MaxItems int
	// Width is the line width under which a table is printed on one line.
	// 0 means DefaultWidth.
	Width int
	// MaxString is how many bytes of a string inside a table are shown
	// before the rest is summarised (a command's 50 MB of output should not
	// flood the terminal when its result is printed; the string itself,
	// printed on its own, is shown whole). 0 means DefaultMaxString.
	MaxString int
}

// Defaults for FormatOptions.
const (
	DefaultMaxDepth  = 4
	DefaultMaxItems  = 100
	DefaultWidth     = 72
	DefaultMaxString = 2000
)

// Format renders v for a person reading a REPL: strings quoted, tables
// expanded with nesting (array part first, then the other keys sorted),
// cycles marked, and a depth limit. It may call __tostring metamethods of
// userdata, so it must run with exclusive access to L (inside Host.Do).
func Format(L *lua.LState, v lua.LValue, opts FormatOptions) string {
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	if opts.MaxItems <= 0 {
		opts.MaxItems = DefaultMaxItems
	}
	if opts.Width <= 0 {
		opts.Width = DefaultWidth
	}
	if opts.MaxString <= 0 {
		opts.MaxString = DefaultMaxString
	}
	f := &formatter{L: L, opts: opts, path: map[*lua.LTable]bool{}}
	return f.value(v, 0, "")
}

type formatter struct {
	L    *lua.LState
	opts FormatOptions
	// path holds the tables being printed around the current one, so a
	// table that contains itself (directly or not) is marked instead of
	// recursing forever. A table reached twice on different branches is
	// printed twice: that is what a reader expects.
	path map[*lua.LTable]bool
}

func (f *formatter) value(v lua.LValue, depth int, indent string) string {
	switch v := v.(type) {
	case *lua.LNilType:
		return "nil"
	case lua.LBool:
		return v.String()
	case lua.LNumber:
		return formatNumber(float64(v))
	case lua.LString:
		if depth > 0 && len(v) > f.opts.MaxString {
			cut := f.opts.MaxString
			for cut > 0 && !utf8.RuneStart(v[cut]) {
				cut--
			}
			return fmt.Sprintf("%s... (%d more bytes)", Quote(string(v[:cut])), len(v)-cut)
		}
		return Quote(string(v))
	case *lua.LTable:
		return f.table(v, depth, indent)
	case *lua.LUserData:
		return f.userdata(v)
	default:
		return v.String()
	}
}

func formatNumber(n float64) string {
	return lua51.FormatNumber(lua.LNumber(n)) // as print shows it
}

// userdata prints a Go value through its __tostring metamethod when it has
// one (a failing metamethod must not take the REPL down, hence the pcall).
func (f *formatter) userdata(ud *lua.LUserData) string {
	if f.L != nil {
		if fn, ok := f.L.GetMetaField(ud, "__tostring").(*lua.LFunction); ok {
			if err := f.L.CallByParam(lua.P{Fn: fn, NRet: 1, Protect: true}, ud); err == nil {
				ret := f.L.Get(-1)
				f.L.Pop(1)
				if s, ok := ret.(lua.LString); ok {
					return string(s)
				}
			}
		}
		if name, ok := f.L.GetMetaField(ud, "__name").(lua.LString); ok {
			return fmt.Sprintf("%s: %p", string(name), ud)
		}
	}
	return ud.String()
}

type entry struct {
	key, val lua.LValue
}

func (f *formatter) table(t *lua.LTable, depth int, indent string) string {
	if f.path[t] {
		return fmt.Sprintf("<cycle: %s>", t.String())
	}
	if f.L != nil {
		if fn, ok := f.L.GetMetaField(t, "__tostring").(*lua.LFunction); ok {
			if err := f.L.CallByParam(lua.P{Fn: fn, NRet: 1, Protect: true}, t); err == nil {
				ret := f.L.Get(-1)
				f.L.Pop(1)
				if s, ok := ret.(lua.LString); ok {
					return string(s)
				}
			}
		}
	}
	// The array part is the run of non-nil values from 1; every other key
	// (holes and beyond included) is printed with its key.
	var array, rest []entry
	n := 0
	for v := t.RawGetInt(1); v != lua.LNil; v = t.RawGetInt(n + 1) {
		n++
		array = append(array, entry{lua.LNumber(n), v})
	}
	t.ForEach(func(k, v lua.LValue) {
		if kn, ok := k.(lua.LNumber); ok && float64(kn) == math.Trunc(float64(kn)) && kn >= 1 && int(kn) <= n {
			return
		}
		rest = append(rest, entry{k, v})
	})
	if len(array)+len(rest) == 0 {
		return "{}"
	}
	if depth >= f.opts.MaxDepth {
		return "{...}"
	}
	sort.Slice(rest, func(i, j int) bool { return keyLess(rest[i].key, rest[j].key) })

	f.path[t] = true
	defer delete(f.path, t)

	inner := indent + "  "
	var parts []string
	total := len(array) + len(rest)
	for i, e := range append(array, rest...) {
		if i >= f.opts.MaxItems {
			parts = append(parts, fmt.Sprintf("... (%d more)", total-i))
			break
		}
		val := f.value(e.val, depth+1, inner)
		if i < len(array) {
			parts = append(parts, val)
			continue
		}
		parts = append(parts, formatKey(e.key)+" = "+val)
	}
	oneLine := "{ " + strings.Join(parts, ", ") + " }"
	if !strings.Contains(oneLine, "\n") && len(indent)+utf8.RuneCountInString(oneLine) <= f.opts.Width {
		return oneLine
	}
	var b strings.Builder
	b.WriteString("{\n")
	for _, p := range parts {
		b.WriteString(inner)
		b.WriteString(p)
		b.WriteString(",\n")
	}
	b.WriteString(indent)
	b.WriteString("}")
	return b.String()
}

// keyLess orders table keys: numbers first (numerically), then strings,
// then booleans, then everything else by its printed form, so output is
// stable from one run to the next.
func keyLess(a, b lua.LValue) bool {
	ra, rb := keyRank(a), keyRank(b)
	if ra != rb {
		return ra < rb
	}
	switch a := a.(type) {
	case lua.LNumber:
		return a < b.(lua.LNumber)
	case lua.LString:
		return a < b.(lua.LString)
	case lua.LBool:
		return !bool(a) && bool(b.(lua.LBool))
	}
	return a.String() < b.String()
}

func keyRank(v lua.LValue) int {
	switch v.(type) {
	case lua.LNumber:
		return 0
	case lua.LString:
		return 1
	case lua.LBool:
		return 2
	}
	return 3
}

func formatKey(k lua.LValue) string {
	if s, ok := k.(lua.LString); ok && IsIdentifier(string(s)) {
		return string(s)
	}
	switch k := k.(type) {
	case lua.LString:
		return "[" + Quote(string(k)) + "]"
	case lua.LNumber:
		return "[" + formatNumber(float64(k)) + "]"
	}
	return "[" + k.String() + "]"
}

var luaKeywords = map[string]bool{
	"and": true, "break": true, "do": true, "else": true, "elseif": true, "end": true,
	"false": true, "for": true, "function": true, "goto": true, "if": true, "in": true,
	"local": true, "nil": true, "not": true, "or": true, "repeat": true, "return": true,
	"then": true, "true": true, "until": true, "while": true,
}

// IsIdentifier reports whether s is a Lua name (and not a keyword), i.e.
// whether t.s is valid syntax.
func IsIdentifier(s string) bool {
	if s == "" || luaKeywords[s] {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
		case i > 0 && r >= '0' && r <= '9':
		default:
			return false
		}
	}
	return true
}

// Quote returns s as a double-quoted Lua string literal that reads back as
// the same bytes. Printable UTF-8 is kept as is; control bytes and invalid
// UTF-8 use Lua's three-digit \ddd form, which a following digit cannot
// extend.
func Quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, "\\%03d", s[i])
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\%03d", r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
	return b.String()
}
