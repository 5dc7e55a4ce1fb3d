// Package luadoc is procsh's Lua documentation, in one place for the
// editor and the REPL: the process module and its objects come from
// luabind's registration tables (luabind.Surface: name, parameters,
// options, results and a one-line doc per binding), the stdlib modules
// from a table here that TestStubsCoverBindings keeps in step with the
// modules' registrations.
//
// Files renders them as LuaLS definition files ("---@meta", with @class,
// @field, @param, @return and the string-union aliases procsh.Kind and
// procsh.Signal), and Init writes those into a project with a .luarc.json
// (runtime Lua 5.1, procsh's globals, the stubs as workspace.library), as
// `procsh init` does. HelpFunc is the REPL's help(x).
//
// Parameter types are derived from parameter names (cmd is
// string|string[], timeout a number, ...), since the registration tables
// name parameters without typing them.
package luadoc
