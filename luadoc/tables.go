package luadoc

import (
	"strings"

	"github.com/procsh/procsh/luabind"
)

// Entry is one documented name: a function, method or field of a module or
// object.
type Entry struct {
	// Module is the module or object the entry belongs to ("process",
	// "cmd", "json").
	Module string
	// Sep joins Module and Name in calls: "." or ":".
	Sep  string
	Name string
	// Args is the parameter list as the registration tables write it:
	// "(cmd, {})", "{}" for a call with a table, "(list, timeout?)"; empty
	// for a field.
	Args string
	// Opts are the keys of the options table ("{}" in Args).
	Opts []string
	// Returns describes the results ("result", "string", "index, match").
	Returns string
	// Fails is true when an expected failure returns nil, message, kind
	// (nil, message for some stdlib functions) instead of Returns.
	Fails bool
	// Doc is one line of documentation.
	Doc string
}

// Field reports whether e is a field or constant.
func (e Entry) Field() bool { return e.Args == "" }

// FullName is the name as a script writes it: "process.exec", "cmd:wait".
func (e Entry) FullName() string { return e.Module + e.Sep + e.Name }

// Signature renders e as the docs write it:
// "process.exec(cmd, {cwd=, env=, ...}) → result".
func (e Entry) Signature() string {
	return luabind.Member{Name: e.Name, Args: e.Args, Opts: e.Opts, Returns: e.Returns}.Signature(e.Module + e.Sep)
}

// Module is a module or object type and its entries.
type Module struct {
	Name string
	// Class is the LuaLS class name of the module or object.
	Class string
	// Doc is one line about the module.
	Doc string
	// Require is true for modules loaded with require (all but the
	// process objects); Global for those that are also globals.
	Require, Global bool
	// TypeName is the Lua type metatable name of an object's userdata
	// ("procsh.session"), "" for modules.
	TypeName string
	Entries  []Entry
}

// processDocs are what the registration tables of luabind do not carry:
// module-level docs, classes and userdata type names.
var processDocs = map[string]struct{ class, doc, typeName string }{
	"process": {"process", "Runs commands, code, sessions and PTYs on the local machine or a server.", ""},
	"remote":  {"process.Remote", "A process module bound to a server (process.connect).", ""},
	"session": {"process.Session", "A shell whose state persists between commands.", "procsh.session"},
	"cmd":     {"process.Command", "A command started in a session.", "procsh.command"},
	"pty":     {"process.PTY", "A program on a pseudo-terminal, with expect.", "procsh.pty"},
	"task":    {"process.Task", "A concurrent task (process.spawn).", "procsh.task"},
}

// noFail lists the process members that never return nil, msg, kind.
var noFail = map[string]bool{
	"process.spawn": true, "process.quote": true, "process.with": true, "process.sleep": true,
	"process.wait_all": true, "process.wait_any": true, "process.map": true,
	"task:wait": true, "task:cancel": true, "task:done": true, "cmd:lines": true,
	"cmd:on_stdout": true, "cmd:on_stderr": true, "cmd:on_data": true, "cmd:on_exit": true,
	"pty:on_output": true, "pty:buffered": true, "remote:close": true,
}

// stdlibModules documents the stdlib modules, whose registration (package
// stdlib) carries names but no docs. TestStubsCoverBindings keeps the two
// in step.
var stdlibModules = []Module{
	{Name: "json", Doc: "JSON encoding and decoding.", Entries: []Entry{
		{Name: "encode", Args: "(value, {}?)", Opts: []string{"indent"}, Returns: "string", Fails: true, Doc: "Encodes value as JSON (objects with sorted keys; indent pretty-prints)."},
		{Name: "decode", Args: "(text)", Returns: "value", Fails: true, Doc: "Decodes JSON text; null becomes json.null."},
		{Name: "null", Doc: "The JSON null, a unique value."},
		{Name: "object", Args: "(t?)", Returns: "table", Doc: "Marks t (default a new table) to encode as an object even when empty."},
	}},
	{Name: "str", Doc: "String helpers (plain text unless noted).", Entries: []Entry{
		{Name: "split", Args: "(s, sep?, {}?)", Opts: []string{"plain"}, Returns: "list", Doc: "Splits s on sep (a Lua pattern unless plain), or on whitespace."},
		{Name: "trim", Args: "(s)", Returns: "string", Doc: "Removes leading and trailing whitespace."},
		{Name: "ltrim", Args: "(s)", Returns: "string", Doc: "Removes leading whitespace."},
		{Name: "rtrim", Args: "(s)", Returns: "string", Doc: "Removes trailing whitespace."},
		{Name: "starts_with", Args: "(s, prefix)", Returns: "boolean", Doc: "Whether s starts with prefix."},
		{Name: "ends_with", Args: "(s, suffix)", Returns: "boolean", Doc: "Whether s ends with suffix."},
		{Name: "contains", Args: "(s, sub)", Returns: "boolean", Doc: "Whether s contains sub."},
		{Name: "lines", Args: "(s)", Returns: "iterator", Doc: "Iterates over the lines of s, without line endings."},
		{Name: "join", Args: "(list, sep?)", Returns: "string", Doc: "Joins the elements of list (tostring on each) with sep."},
		{Name: "replace", Args: "(s, old, new, n?)", Returns: "string", Doc: "Replaces the first n (default all) occurrences of old."},
	}},
	{Name: "time", Doc: "Clocks, sleeping, formatting and parsing times.", Entries: []Entry{
		{Name: "now", Args: "()", Returns: "number", Doc: "Seconds since the Unix epoch (fractional)."},
		{Name: "monotonic", Args: "()", Returns: "number", Doc: "Seconds since a fixed point; never goes back."},
		{Name: "sleep", Args: "(seconds)", Doc: "Sleeps; other tasks run meanwhile."},
		{Name: "format", Args: "(t?, layout?, {}?)", Opts: []string{"utc"}, Returns: "string", Doc: "Formats t (default now) with a Go layout (default RFC 3339)."},
		{Name: "parse", Args: "(text, layout?)", Returns: "number", Fails: true, Doc: "Parses text with a Go layout into seconds since the epoch."},
	}},
	{Name: "fs", Doc: "Files and directories (full profile only).", Entries: []Entry{
		{Name: "read", Args: "(path)", Returns: "string", Fails: true, Doc: "Reads a whole file."},
		{Name: "write", Args: "(path, data, {}?)", Opts: []string{"append", "mode"}, Returns: "true", Fails: true, Doc: "Writes (or appends) data to a file."},
		{Name: "exists", Args: "(path)", Returns: "boolean", Doc: "Whether path exists (a final symlink is not followed)."},
		{Name: "is_dir", Args: "(path)", Returns: "boolean", Doc: "Whether path is a directory."},
		{Name: "list", Args: "(dir)", Returns: "list", Fails: true, Doc: "The sorted names in dir."},
		{Name: "glob", Args: "(pattern)", Returns: "list", Fails: true, Doc: "The sorted paths matching pattern (path/filepath.Match syntax)."},
		{Name: "mkdir", Args: "(path, {}?)", Opts: []string{"parents", "mode"}, Returns: "true", Fails: true, Doc: "Creates a directory."},
		{Name: "remove", Args: "(path, {}?)", Opts: []string{"recursive"}, Returns: "true", Fails: true, Doc: "Removes a file or directory."},
		{Name: "tempdir", Args: "(prefix?)", Returns: "string", Fails: true, Doc: "Creates a new temporary directory, which the script must remove."},
	}},
	{Name: "env", Doc: "The environment of procsh, read-only (full profile only).", Entries: []Entry{
		{Name: "get", Args: "(name, default?)", Returns: "string", Doc: "The value of name, or default, or nil."},
		{Name: "all", Args: "()", Returns: "table", Doc: "Every variable: {name = value}."},
	}},
	{Name: "log", Doc: "Leveled log lines on stderr.", Entries: []Entry{
		{Name: "debug", Args: "(msg, fields?)", Doc: "Logs at level debug, with key=value fields."},
		{Name: "info", Args: "(msg, fields?)", Doc: "Logs at level info, with key=value fields."},
		{Name: "warn", Args: "(msg, fields?)", Doc: "Logs at level warn, with key=value fields."},
		{Name: "error", Args: "(msg, fields?)", Doc: "Logs at level error, with key=value fields."},
		{Name: "level", Args: "(name?)", Returns: "string", Doc: "Sets the level (debug, info, warn, error); returns the previous one."},
	}},
	{Name: "path", Doc: "Lexical path operations (Go's path/filepath).", Entries: []Entry{
		{Name: "join", Args: "(...)", Returns: "string", Doc: "Joins path elements."},
		{Name: "dir", Args: "(p)", Returns: "string", Doc: "All but the last element."},
		{Name: "base", Args: "(p)", Returns: "string", Doc: "The last element."},
		{Name: "ext", Args: "(p)", Returns: "string", Doc: "The extension, with its dot."},
		{Name: "clean", Args: "(p)", Returns: "string", Doc: "The shortest equivalent path."},
		{Name: "split", Args: "(p)", Returns: "dir, file", Doc: "Splits p after its last separator."},
		{Name: "is_abs", Args: "(p)", Returns: "boolean", Doc: "Whether p is absolute."},
		{Name: "abs", Args: "(p)", Returns: "string", Fails: true, Doc: "The absolute path (full profile only: reads the working directory)."},
	}},
	{Name: "t", Doc: "Assertions for Lua tests.", Entries: []Entry{
		{Name: "eq", Args: "(actual, expected, msg?)", Doc: "Deep equality, or raises naming the first difference."},
		{Name: "neq", Args: "(actual, other, msg?)", Doc: "The negation of t.eq."},
		{Name: "ok", Args: "(v, msg?)", Returns: "v", Doc: "v must be neither nil nor false; returns it."},
		{Name: "raises", Args: "(fn, pattern?, ...)", Returns: "err", Doc: "fn(...) must raise an error matching pattern; returns the error."},
		{Name: "fail", Args: "(msg?)", Doc: "Fails unconditionally."},
		{Name: "repr", Args: "(v)", Returns: "string", Doc: "The deterministic rendering used in messages."},
	}},
}

// Modules returns every documented module and object: the process module
// and its objects from luabind's registration tables, then the stdlib
// modules.
func Modules() []Module {
	var out []Module
	for _, o := range luabind.Surface() {
		d := processDocs[o.Name]
		m := Module{Name: o.Name, Class: d.class, Doc: d.doc, TypeName: d.typeName}
		if o.Name == "process" {
			m.Require, m.Global = true, true
		}
		for _, mem := range o.Members {
			e := Entry{Module: o.Name, Sep: o.Sep, Name: mem.Name, Args: mem.Args, Opts: mem.Opts, Returns: mem.Returns, Doc: mem.Doc}
			if mem.Field() {
				e.Sep = "."
			}
			e.Fails = !e.Field() && !noFail[o.Name+o.Sep+mem.Name] && !noFail[o.Name+":"+mem.Name]
			m.Entries = append(m.Entries, e)
		}
		out = append(out, m)
	}
	for _, m := range stdlibModules {
		m.Class, m.Require = m.Name, true
		entries := make([]Entry, len(m.Entries))
		for i, e := range m.Entries {
			e.Module, e.Sep = m.Name, "."
			entries[i] = e
		}
		m.Entries = entries
		out = append(out, m)
	}
	return out
}

// Lookup finds an entry or module by the name a script writes:
// "process.exec", "cmd:wait", "cmd.wait", "json".
func Lookup(name string) (*Module, *Entry) {
	name = strings.TrimSpace(name)
	mods := Modules()
	for i := range mods {
		m := &mods[i]
		if m.Name == name || m.Class == name {
			return m, nil
		}
		for j := range m.Entries {
			e := &m.Entries[j]
			if e.FullName() == name || m.Name+"."+e.Name == name || m.Name+":"+e.Name == name {
				return m, e
			}
		}
	}
	return nil, nil
}
