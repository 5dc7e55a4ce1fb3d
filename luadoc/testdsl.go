package luadoc

import (
	"fmt"
	"strings"
)

// The test DSL that `procsh test` provides as globals (package luatest's
// runner), for editors: TestDSLStubMatchesRunner checks these names
// against the runner's live globals.

type dslFunc struct{ name, params, doc string }

var dslFuncs = []dslFunc{
	{"describe", "name: string, fn: fun()", "Declares a block of tests; fn runs at once to declare them."},
	{"context", "name: string, fn: fun()", "Alias of describe."},
	{"it", "name: string, fn?: fun()", "Declares a test; without fn it is pending."},
	{"test", "name: string, fn?: fun()", "Alias of it."},
	{"spec", "name: string, fn?: fun()", "Alias of it."},
	{"pending", "name: string", "Declares a test not written yet."},
	{"before_each", "fn: fun()", "Runs fn before each test of the block (outer blocks first)."},
	{"after_each", "fn: fun()", "Runs fn after each test of the block, also when it failed (inner blocks first)."},
	{"setup", "fn: fun()", "Runs fn once before the block's tests; what it starts lives until teardown."},
	{"teardown", "fn: fun()", "Runs fn once after the block's tests."},
	{"lazy_setup", "fn: fun()", "Alias of setup."},
	{"strict_setup", "fn: fun()", "Alias of setup."},
	{"lazy_teardown", "fn: fun()", "Alias of teardown."},
	{"strict_teardown", "fn: fun()", "Alias of teardown."},
}

// dslAsserts are the assertions under their main names; each also exists
// negated (is_not.*, not_*) and under busted's aliases.
var dslAsserts = []dslFunc{
	{"equal", "expected: any, actual: any, msg?: any", "expected == actual."},
	{"same", "expected: any, actual: any, msg?: any", "Deep equality of tables (metatables ignored)."},
	{"truthy", "v: any, msg?: any", "v is neither nil nor false."},
	{"falsy", "v: any, msg?: any", "v is nil or false."},
	{"is_true", "v: any, msg?: any", "v == true."},
	{"is_false", "v: any, msg?: any", "v == false."},
	{"is_nil", "v: any, msg?: any", "v == nil."},
	{"matches", "pattern: string, s: string, msg?: any", "s matches the Lua pattern."},
	{"raises", "fn: fun(), pattern?: string, msg?: any", "fn raises an error whose message matches pattern."},
	{"has_error", "fn: fun(), pattern?: string, msg?: any", "Alias of raises."},
	{"fail", "msg?: any", "Fails unconditionally."},
}

// dslModifiers chain assertions: assert.is.equal, assert.is_not.same.
var dslModifiers = []string{"is", "are", "has", "was", "does", "is_not", "are_not", "has_no", "was_not", "does_not", "no", "not_"}

func testDSLStub() string {
	var b strings.Builder
	b.WriteString("---@meta procsh_test\n" + header + "-- The globals of `procsh test` spec files.\n\n")
	for _, f := range dslFuncs {
		var names []string
		for _, p := range strings.Split(f.params, ", ") {
			name, typ, _ := strings.Cut(p, ": ")
			fmt.Fprintf(&b, "---@param %s %s\n", name, typ)
			names = append(names, strings.TrimSuffix(name, "?"))
		}
		fmt.Fprintf(&b, "---%s\nfunction %s(%s) end\n\n", f.doc, f.name, strings.Join(names, ", "))
	}
	b.WriteString("---busted's assertions; assert(v, msg) is still Lua's assert.\n---@class procsh.assert\n---@overload fun(v: any, msg?: any, ...: any): any\n")
	for _, m := range dslModifiers {
		fmt.Fprintf(&b, "---@field %s procsh.assert\n", m)
	}
	b.WriteString("assert = {}\n\n")
	for _, f := range dslAsserts {
		var names []string
		for _, p := range strings.Split(f.params, ", ") {
			name, typ, _ := strings.Cut(p, ": ")
			fmt.Fprintf(&b, "---@param %s %s\n", name, typ)
			names = append(names, strings.TrimSuffix(name, "?"))
		}
		fmt.Fprintf(&b, "---%s\nfunction assert.%s(%s) end\n\n", f.doc, f.name, strings.Join(names, ", "))
	}
	return b.String()
}
