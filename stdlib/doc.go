// Package stdlib holds the Lua modules that procsh ships with: json, str,
// time, fs, env, log, path and t. [Open] registers them in a Lua state's
// package.preload, so a script loads each one with require:
//
//	local json = require("json")
//
// Two profiles exist. The full profile has every module. The sandboxed
// profile ([Options].Sandbox) leaves out fs and env and the path.abs
// function, so a sandboxed script can reach neither the host's files nor its
// environment (which often holds credentials); the other modules behave the
// same in both. [Modules] lists the names of a profile.
//
// Conventions shared by every module: names are snake_case; an expected
// failure returns nil and a message ("fs.read: open x: no such file or
// directory"), and fs adds a third value, the kind; a programmer error (a
// wrong argument type, an unknown option key) raises an error that names the
// function and the argument, positioned at the caller's line:
//
//	script.lua:3: fs.write: bad argument #3 (opts): unknown option "apend"
//
// Where a string is expected a number is accepted too, as in Lua's own string
// functions. Option tables reject unknown keys, so a typo is an error.
//
// # json
//
//	json.encode(value [, {indent=}]) -> string | nil, message
//	json.decode(text) -> value | nil, message
//	json.null         -- JSON null, a unique userdata (tostring gives "json.null")
//	json.object([t])  -> t, marked so that it encodes as an object even when empty
//
// Encoding: a table whose keys are exactly 1..n is an array; a table with
// string keys is an object, written with sorted keys so the output is
// deterministic; an empty table is [] unless marked with json.object. Other
// tables (sparse arrays, mixed keys, non-integer number keys), cycles, NaN and
// infinities, functions, threads, other userdata and strings that are not
// valid UTF-8 fail with nil and a message naming where in the value the
// problem is ("json.encode: at ["a"][2]: cannot encode function"). A table
// referenced twice is fine. indent (a number of spaces or a string of spaces
// and tabs) pretty-prints. <, > and & are not escaped.
//
// Decoding: null becomes json.null, in arrays (which keep their length) and
// objects (which keep their keys) alike, so test for it with v == json.null.
// Decoded objects carry the json.object mark, so decode then encode gives the
// same text back, {} included. Numbers are Lua numbers (doubles): integers are
// exact up to 2^53 and larger ones round. Invalid input gives nil and a
// message with the byte offset. Duplicate keys: the last wins.
//
// # str
//
// Named str so that it never shadows Lua's string library.
//
//	str.split(s [, sep [, {plain=}]]) -> list   -- sep is a Lua pattern unless plain; no sep: split on whitespace
//	str.trim(s), str.ltrim(s), str.rtrim(s) -> string
//	str.starts_with(s, prefix), str.ends_with(s, suffix), str.contains(s, sub) -> boolean (plain text)
//	str.lines(s) -> iterator over lines, without "\n" or "\r\n"
//	str.join(list [, sep]) -> string             -- tostring on each element
//	str.replace(s, old, new [, n]) -> string     -- plain text, first n or all
//
// With sep, split keeps empty fields: split("a,,b", ",") is {"a", "", "b"}
// and split("", ",") is {""}. Without sep it drops them, like a shell.
//
// # time
//
//	time.now() -> seconds since the Unix epoch (float)
//	time.monotonic() -> seconds since an arbitrary fixed point (float, never goes back)
//	time.sleep(seconds)     -- through Options.Block; raises when the run is cancelled
//	time.format([t [, layout [, {utc=}]]]) -> string
//	time.parse(text [, layout]) -> seconds | nil, message
//
// Layouts are Go's (https://pkg.go.dev/time#pkg-constants), by default RFC
// 3339 with fractional seconds when there are any. format uses local time
// unless utc=true; parse reads text without a zone as UTC.
//
// # fs (full profile only)
//
//	fs.read(path) -> string
//	fs.write(path, data [, {append=, mode=}]) -> true
//	fs.exists(path) -> boolean
//	fs.is_dir(path) -> boolean
//	fs.list(dir) -> sorted names
//	fs.glob(pattern) -> sorted paths
//	fs.mkdir(path [, {parents=, mode=}]) -> true
//	fs.remove(path [, {recursive=}]) -> true
//	fs.tempdir([prefix]) -> path
//
// Failures return nil, message, kind, with the kinds every procsh binding
// uses: "not_found", "conflict" (the path exists), "unauthorized"
// (permission denied) or "error" (Go's io/fs classification: removing a
// non-empty directory is "conflict"). mode is a number or an octal string ("0600") and
// applies when the file or directory is created, less the umask; defaults are
// 0644 and 0755. exists does not follow a final symlink, is_dir does. glob
// uses path/filepath.Match syntax (no **). remove with recursive=true
// succeeds when the path is already gone. tempdir creates a new directory
// that the script must remove.
//
// # env (full profile only)
//
//	env.get(name [, default]) -> string | default | nil
//	env.all() -> {name = value}
//
// env is read-only: the environment belongs to the whole Go process, so a
// setter would leak between scripts of one host and race with other
// goroutines. Commands get their own environment through process options.
//
// # log
//
//	log.debug(msg [, fields]), log.info(...), log.warn(...), log.error(...)
//	log.level([name]) -> the previous level   -- "debug", "info" (default), "warn", "error"
//
// Each record is one line on Options.Stderr: the level in capitals, the
// message (tostring), then key=value for each field in sorted key order.
// Values are quoted when they contain spaces, quotes, '=' or control
// characters; tables are written as JSON. There is no timestamp (the log
// collector adds one). The level belongs to the Lua state.
//
// # path
//
//	path.join(...), path.dir(p), path.base(p), path.ext(p), path.clean(p) -> string
//	path.split(p) -> dir, file
//	path.is_abs(p) -> boolean
//	path.abs(p) -> string | nil, message    -- full profile only (reads the working directory)
//
// These are the lexical operations of Go's path/filepath on Linux.
//
// # t
//
// A small assertion module for Lua tests. A failed assertion raises an error
// positioned at the assertion's line.
//
//	t.eq(actual, expected [, msg])   -- deep equality; "t.eq failed: expected X, got Y" plus the first differing path
//	t.neq(actual, other [, msg])
//	t.ok(v [, msg]) -> v
//	t.raises(fn [, pattern [, args...]]) -> the error   -- pattern is a Lua pattern matched against tostring(err)
//	t.fail([msg])
//	t.repr(v) -> string              -- the deterministic rendering used in messages
//
// Tables compare by raw contents, ignoring metatables; cycles are handled and
// NaN equals NaN.
package stdlib
