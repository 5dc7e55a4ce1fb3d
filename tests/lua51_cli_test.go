package tests

import (
	"testing"
	"time"
)

// TestCLILua51StringLimit: pcall(string.rep, "x", 1e12) is a catchable
// error in the real binary, in both profiles, and the script goes on.
func TestCLILua51StringLimit(t *testing.T) {
	for _, profile := range [][]string{nil, {"--sandbox"}} {
		args := append(append([]string{}, profile...), "-e",
			`local ok, err = pcall(string.rep, "x", 1e12) print(ok, err)
			 print(pcall(string.format, "%099d", 1) and "format ok")
			 print("after")`)
		res := cliRun(t, cliCmd{args: args})
		want := "false\trep: resulting string too large (1000000000000 bytes; the limit is 268435456)\nformat ok\nafter\n"
		if res.code != 0 || res.stdout != want {
			t.Errorf("%v: exit %d\nstdout: %q\nwant:   %q\nstderr: %s", profile, res.code, res.stdout, want, res.stderr)
		}
	}
	// The .. operator in a loop, at the default limit (256 MiB).
	res := cliRun(t, cliCmd{args: []string{"-e", `local s = "x"
		local ok, err = pcall(function() for i = 1, 40 do s = s .. s end end)
		print(ok, err, #s)`}})
	want := "false\t(command line):2: concatenation: resulting string too large (536870912 bytes; the limit is 268435456)\t268435456\n"
	if res.code != 0 || res.stdout != want {
		t.Errorf("concat loop: exit %d\nstdout: %q\nwant:   %q\nstderr: %s", res.code, res.stdout, want, res.stderr)
	}
}

// TestCLILua51Chunks: every way the binary compiles a chunk goes through
// the Lua 5.1 rewrite: the script file, -e, required modules, load,
// loadstring, dofile and REPL lines. Each runs the swap gopher-lua
// miscompiles (a, b = b, a gives 2 2) and a method call on a call's field
// in a for-in header.
func TestCLILua51Chunks(t *testing.T) {
	dir := t.TempDir()
	const probe = `local a, b = 1, 2; a, b = b, a
local function f() return {s = "x y"} end
local n = 0
for w in f().s:gmatch("%a") do n = n + 1 end
`
	cliWriteFile(t, dir, "mod.lua", probe+`return a .. b .. n`)
	cliWriteFile(t, dir, "dof.lua", probe+`return a .. b .. n`)
	script := cliWriteFile(t, dir, "main.lua", probe+`
print("script", a .. b .. n)
print("require", require("mod"))
print("dofile", dofile("dof.lua"))
print("loadstring", loadstring([[`+probe+` return a .. b .. n]])())
local parts, i = {[[`+probe+`]], " return a .. b .. n"}, 0
print("load", load(function() i = i + 1 return parts[i] end)())
`)
	res := cliRun(t, cliCmd{args: []string{script}, dir: dir})
	want := "script\t212\nrequire\t212\ndofile\t212\nloadstring\t212\nload\t212\n"
	if res.code != 0 || res.stdout != want {
		t.Errorf("script: exit %d\nstdout: %q\nwant:   %q\nstderr: %s", res.code, res.stdout, want, res.stderr)
	}
	res = cliRun(t, cliCmd{args: []string{"-e", probe + `print("e", a .. b .. n)`}})
	if res.code != 0 || res.stdout != "e\t212\n" {
		t.Errorf("-e: exit %d\nstdout: %q\nstderr: %s", res.code, res.stdout, res.stderr)
	}
	ct := cliStartTerm(t)
	ct.expect(`Lua REPL`, 20*time.Second)
	ct.prompt()
	ct.send("x, y = 1, 2; x, y = y, x\r")
	ct.prompt()
	ct.line("x .. y", `"21"`)
	ct.line("2^53", "9.007199254741e+15")
	ct.line(`local n = 0; for w in ({s = "a b"}).s:gmatch("%a") do n = n + 1 end; return n`, "2")
}
