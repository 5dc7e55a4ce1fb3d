package luabind

import (
	"fmt"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// help(x): documentation at the prompt, from the registration tables
// (surface.go) that also build the bindings.

// typeObjects maps a userdata type to its Object in the surface.
var typeObjects = map[string]*Object{typeSession: &sessionObject, typeCommand: &commandObject, typePTY: &ptyObject, typeTask: &taskObject}

// docEntry is what help shows for one function.
type docEntry struct {
	sig, doc string
}

// recordDocs remembers the doc entry of every function in mod (a process
// module) and of every method of the object types, so help(fn) finds it.
// The caller holds the GIL.
func (h *Host) recordDocs(L *lua.LState, mod *lua.LTable, prefix string) {
	if h.docs == nil {
		h.docs = map[*lua.LFunction]docEntry{}
	}
	for _, m := range processObject().Members {
		if f, ok := mod.RawGetString(m.Name).(*lua.LFunction); ok {
			h.docs[f] = docEntry{m.Signature(prefix + "."), m.Doc}
		}
	}
	for typ, o := range typeObjects {
		mt, ok := L.GetTypeMetatable(typ).(*lua.LTable)
		if !ok {
			continue
		}
		methods, _ := mt.RawGetString("__methods").(*lua.LTable)
		for _, m := range o.Members {
			if methods == nil || m.Field() {
				continue
			}
			if f, ok := methods.RawGetString(m.Name).(*lua.LFunction); ok {
				h.docs[f] = docEntry{m.Signature(o.Name + o.Sep), m.Doc}
			}
		}
	}
}

// objectHelp lists an object's members, one per line.
func objectHelp(o *Object) string {
	var b strings.Builder
	for _, m := range o.Members {
		sep := o.Sep
		if m.Field() {
			sep = "."
		}
		fmt.Fprintf(&b, "%s\n    %s\n", m.Signature(o.Name+sep), m.Doc)
	}
	return b.String()
}

// helpText returns the documentation of v: a process function or method, a
// process object (session, cmd, pty, task), the process module, or a name
// such as "cmd:wait" or "process.exec". ok is false when there is none.
func (h *Host) helpText(L *lua.LState, v lua.LValue) (string, bool) {
	switch v := v.(type) {
	case *lua.LNilType:
		var names []string
		for _, o := range Surface() {
			names = append(names, o.Name)
		}
		return "procsh help: help(x) documents a function, method, object or module of process,\n" +
			"e.g. help(process.exec), help(process), help(\"cmd:wait\"), help(my_session).\n" +
			"Objects: " + strings.Join(names, ", ") + ". Kinds of failures: " + strings.Join(kindsList(), ", ") + ".\n", true
	case *lua.LFunction:
		if e, ok := h.docs[v]; ok {
			return e.sig + "\n    " + e.doc + "\n", true
		}
	case *lua.LUserData:
		for typ, o := range typeObjects {
			if mt, ok := L.GetTypeMetatable(typ).(*lua.LTable); ok && v.Metatable == mt {
				return objectHelp(o), true
			}
		}
	case *lua.LTable:
		if v == h.process || v.RawGetString("exec") != lua.LNil && h.docs[asFunc(v.RawGetString("exec"))].sig != "" {
			o := processObject()
			return objectHelp(&o), true
		}
	case lua.LString:
		name := string(v)
		for _, o := range Surface() {
			if name == o.Name {
				return objectHelp(&o), true
			}
			for _, m := range o.Members {
				sep := o.Sep
				if m.Field() {
					sep = "."
				}
				if name == o.Name+sep+m.Name || (o.Name == "cmd" && name == "command"+sep+m.Name) {
					return m.Signature(o.Name+sep) + "\n    " + m.Doc + "\n", true
				}
			}
		}
	}
	return "", false
}

func asFunc(v lua.LValue) *lua.LFunction { f, _ := v.(*lua.LFunction); return f }

func kindsList() []string {
	k := []string{KindNotFound, KindConflict, KindInvalid, KindTimeout, KindClosed, KindUnsupported, KindUnauthorized, KindUnavailable, KindCanceled, KindFailed, KindError}
	sort.Strings(k)
	return k
}

// luaHelp is the global help(x): it prints the documentation of x to the
// host's stdout (see helpText), or says there is none.
func (h *Host) luaHelp(L *lua.LState) int {
	text, ok := h.helpText(L, L.Get(1))
	if !ok {
		text = fmt.Sprintf("help: no documentation for %s (help() lists what has some)\n", L.ToStringMeta(L.Get(1)).String())
	}
	_, _ = h.stdout.Write([]byte(text))
	return 0
}
