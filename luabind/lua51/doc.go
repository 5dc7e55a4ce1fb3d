// Package lua51 makes the gopher-lua that procsh embeds behave as PUC-Rio
// Lua 5.1 does, in procsh's own code: gopher-lua is used unmodified.
//
// Two parts:
//
//   - Compile parses a chunk, runs Rewrite over gopher-lua's AST to turn
//     each shape its compiler gets wrong into an equivalent one it compiles
//     correctly (multiple assignment with local targets, generic-for
//     headers, concatenation), and compiles the result. Every chunk procsh
//     compiles goes through it: scripts, -e, REPL lines, required modules,
//     load, loadstring, loadfile and dofile.
//   - Open replaces the standard-library functions whose behaviour differs
//     from Lua 5.1 (tostring and number formatting as "%.14g", tonumber,
//     setmetatable on tables only, select, unpack, next, collectgarbage, error
//     levels, assert, xpcall with a failing handler, the load family,
//     require's file searcher, string.find, match, gmatch and gsub with a
//     pattern matcher that has %f and %b, string.format with C's printf
//     semantics and %q, string.rep, string.char, table.concat, insert, remove
//     and maxn, math.huge, math.random and math.randomseed on a generator of
//     the state's own, coroutine.yield refusing to yield across a Go call as
//     lua_yield does), adds Lua 5.1's deprecated table.foreach, foreachi, setn
//     and gcinfo, and installs the function the rewritten .. operator calls.
//
// math.random is glibc's rand() (an unseeded state starts as srand(1), as
// C's does): a seed gives the same sequence in every run, and the values
// lua5.1 gives on Linux; C libraries with another rand() give other
// values, so equality with a given lua5.1 build is not a promise.
//
// Strings built by string.rep, string.format, string.gsub, table.concat,
// load and .. are bounded (Options.MaxStringSize): beyond the bound they
// raise a Lua error that pcall catches, so a script cannot take the host
// down with pcall(string.rep, "x", 1e12).
package lua51
