package luadoc

import (
	"fmt"
	"io"
	"strings"

	lua "github.com/yuin/gopher-lua"
	luar "layeh.com/gopher-luar"
)

// HelpFunc returns the REPL's help function, which prints to w the doc of
// any procsh function, method or module, given as a value
// (help(process.exec), help(json), help(s) for a session) or by name
// (help("cmd:wait")); help() lists the modules. Pass it to
// luabind.WithGlobal.
func HelpFunc(w io.Writer) func(*luar.LState) int {
	return func(ls *luar.LState) int {
		L := ls.LState
		if L.GetTop() == 0 {
			fmt.Fprint(w, overview())
			return 0
		}
		v := L.Get(1)
		var m *Module
		var e *Entry
		if s, ok := v.(lua.LString); ok {
			m, e = Lookup(string(s))
		} else {
			m, e = identify(L, v)
		}
		switch {
		case e != nil:
			fmt.Fprint(w, describeEntry(*e))
		case m != nil:
			fmt.Fprint(w, describeModule(*m))
		default:
			what := v.String()
			if _, ok := v.(lua.LString); !ok {
				what = "this " + v.Type().String()
			} else {
				what = fmt.Sprintf("%q", what)
			}
			fmt.Fprintf(w, "help: no procsh function, method or module is %s; try help() for the list\n", what)
		}
		return 0
	}
}

// identify finds the module or entry a Lua value is: a module table, a
// function of one, an object (userdata) or one of its methods.
func identify(L *lua.LState, v lua.LValue) (*Module, *Entry) {
	mods := Modules()
	loaded, _ := L.GetField(L.GetField(L.Get(lua.GlobalsIndex), "package"), "loaded").(*lua.LTable)
	for i := range mods {
		m := &mods[i]
		var members *lua.LTable
		switch {
		case m.TypeName != "":
			mt, ok := L.GetTypeMetatable(m.TypeName).(*lua.LTable)
			if !ok {
				continue
			}
			if ud, ok := v.(*lua.LUserData); ok && ud.Metatable == mt {
				return m, nil
			}
			members, _ = mt.RawGetString("__methods").(*lua.LTable)
		case m.Name == "process":
			members, _ = L.GetGlobal("process").(*lua.LTable)
		case loaded != nil:
			members, _ = loaded.RawGetString(m.Name).(*lua.LTable)
		}
		if members == nil {
			continue
		}
		if v == lua.LValue(members) {
			return m, nil
		}
		for j := range m.Entries {
			e := &m.Entries[j]
			if !e.Field() && members.RawGetString(e.Name) == v {
				return m, e
			}
		}
	}
	return nil, nil
}

func describeEntry(e Entry) string {
	var b strings.Builder
	b.WriteString(e.Signature() + "\n")
	b.WriteString("  " + e.Doc + "\n")
	if e.Fails {
		b.WriteString("  An expected failure returns nil, message, kind.\n")
	}
	return b.String()
}

func describeModule(m Module) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s — %s\n", m.Name, m.Doc)
	for _, e := range m.Entries {
		fmt.Fprintf(&b, "  %s\n      %s\n", e.Signature(), e.Doc)
	}
	return b.String()
}

func overview() string {
	var b strings.Builder
	b.WriteString("procsh modules and objects (help(x) for one of them, or help(\"process.exec\")):\n")
	for _, m := range Modules() {
		fmt.Fprintf(&b, "  %-8s %s\n", m.Name, m.Doc)
	}
	return b.String()
}
