package stdlib

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/internal/luaargs"
)

// Log levels, in increasing severity.
var levelNames = []string{"debug", "info", "warn", "error"}

type logState struct {
	level int // index into levelNames; guarded by the host's Lua lock like the rest of the state
}

// logLoader builds the log module, which writes one line per record to
// Options.Stderr:
//
//	log.debug(msg [, fields])  log.info(...)  log.warn(...)  log.error(...)
//	log.level([name]) -> previous level name   -- "debug", "info" (default), "warn", "error"
//
// A record reads `LEVEL message key=value ...`, keys sorted. Values are
// written as they are unless they contain spaces, quotes, '=' or control
// characters, in which case they are quoted; tables are written as JSON.
// There is no timestamp: the host's log collector adds one.
func logLoader(st *state) lua.LGFunction {
	return func(L *lua.LState) int {
		if st.log == nil {
			st.log = &logState{level: 1}
		}
		mod := L.NewTable()
		funcs := map[string]lua.LGFunction{"level": st.logLevel}
		for i, name := range levelNames {
			funcs[name] = st.logAt(i)
		}
		L.SetFuncs(mod, funcs)
		L.Push(mod)
		return 1
	}
}

func (st *state) logLevel(L *lua.LState) int {
	prev := levelNames[st.log.level]
	if L.Get(1) != lua.LNil {
		name := luaargs.CheckString(L, "log.level", 1, "name")
		i := levelIndex(name)
		if i < 0 {
			luaargs.ArgError(L, "log.level", 1, "name", fmt.Sprintf("unknown level %q (want debug, info, warn or error)", name))
		}
		st.log.level = i
	}
	L.Push(lua.LString(prev))
	return 1
}

func levelIndex(name string) int {
	for i, n := range levelNames {
		if n == name {
			return i
		}
	}
	return -1
}

func (st *state) logAt(level int) lua.LGFunction {
	fn := "log." + levelNames[level]
	return func(L *lua.LState) int {
		var fields *lua.LTable
		switch v := L.Get(2).(type) {
		case *lua.LNilType:
		case *lua.LTable:
			fields = v
		default:
			luaargs.ArgError(L, fn, 2, "fields", luaargs.TypeMsg("table", L.Get(2)))
		}
		// Validate the fields even when the record is dropped, so that a
		// bad call fails the same way at every level.
		var vals map[string]lua.LValue
		if fields != nil {
			vals = map[string]lua.LValue{}
			fields.ForEach(func(k, v lua.LValue) {
				ks, ok := k.(lua.LString)
				if !ok {
					luaargs.ArgError(L, fn, 2, "fields", fmt.Sprintf("keys must be strings, got %s", k.Type()))
				}
				vals[string(ks)] = v
			})
		}
		if level < st.log.level {
			return 0
		}
		var b strings.Builder
		b.WriteString(strings.ToUpper(levelNames[level]))
		b.WriteByte(' ')
		b.WriteString(L.ToStringMeta(L.Get(1)).String())
		for _, k := range sortedKeys(vals) {
			b.WriteByte(' ')
			b.WriteString(logfmtValue(k))
			b.WriteByte('=')
			b.WriteString(st.fieldString(L, vals[k]))
		}
		b.WriteByte('\n')
		// One Write per record, so that a writer shared with other
		// goroutines (if it is safe for that) never interleaves records. A
		// failing stderr must not fail the script: there is nowhere left to
		// report it.
		_, _ = st.opts.Stderr.Write([]byte(b.String()))
		return 0
	}
}

// fieldString formats a field value. A table without __tostring is written
// as JSON, unquoted: JSON delimits itself and stays readable.
func (st *state) fieldString(L *lua.LState, v lua.LValue) string {
	if t, ok := v.(*lua.LTable); ok && L.GetMetaField(t, "__tostring") == lua.LNil {
		e := encoder{js: st.jsonState(L), active: map[*lua.LTable]bool{}}
		if e.value(t, 0) == nil {
			return string(e.buf)
		}
	}
	return logfmtValue(L.ToStringMeta(v).String())
}

// logfmtValue quotes s if it would otherwise be ambiguous in a key=value line.
func logfmtValue(s string) string {
	if s == "" || !utf8.ValidString(s) {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if r <= ' ' || r == '=' || r == '"' || r == 0x7f || r == utf8.RuneError {
			return strconv.Quote(s)
		}
	}
	return s
}
