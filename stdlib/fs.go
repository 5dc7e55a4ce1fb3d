package stdlib

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/internal/luaargs"
)

// fsLoader builds the fs module (full profile only). Expected failures
// return nil, message, kind with the kinds of every procsh binding
// (internal/luaargs): "not_found", "conflict" (exists already),
// "unauthorized" (permission denied) or "error", following Go's io/fs
// classification (so removing a non-empty directory is "conflict"):
//
//	fs.read(path) -> string
//	fs.write(path, data [, {append=, mode=}]) -> true   -- mode applies on creation (umask too), default 0644
//	fs.exists(path) -> boolean
//	fs.is_dir(path) -> boolean                          -- false if missing
//	fs.list(dir) -> {names...}                          -- sorted, without "." and ".."
//	fs.glob(pattern) -> {paths...}                      -- sorted; path/filepath.Match syntax, no **
//	fs.mkdir(path [, {parents=, mode=}]) -> true        -- mode default 0755
//	fs.remove(path [, {recursive=}]) -> true            -- recursive: a missing path is not an error
//	fs.tempdir([prefix]) -> path                        -- a new directory; the script removes it
func fsLoader(*state) lua.LGFunction {
	return func(L *lua.LState) int {
		mod := L.NewTable()
		L.SetFuncs(mod, map[string]lua.LGFunction{
			"read":    fsRead,
			"write":   fsWrite,
			"exists":  fsExists,
			"is_dir":  fsIsDir,
			"list":    fsList,
			"glob":    fsGlob,
			"mkdir":   fsMkdir,
			"remove":  fsRemove,
			"tempdir": fsTempdir,
		})
		L.Push(mod)
		return 1
	}
}

func fsRead(L *lua.LState) int {
	p := luaargs.CheckString(L, "fs.read", 1, "path")
	b, err := os.ReadFile(p)
	if err != nil {
		return luaargs.Fail(L, "fs.read", err)
	}
	L.Push(lua.LString(b))
	return 1
}

// optMode reads a permission option given as a number (0x1a4, or
// tonumber("644", 8)) or as an octal string ("0644", "644").
func optMode(o *luaargs.Opts, def fs.FileMode) fs.FileMode {
	v := o.Get("mode")
	if v == lua.LNil {
		return def
	}
	var m uint64
	switch v := v.(type) {
	case lua.LNumber:
		if v < 0 || v > 0o7777 || float64(v) != float64(int64(v)) {
			o.Bad("mode", "integer 0..0o7777 expected")
		}
		m = uint64(v)
	case lua.LString:
		var err error
		m, err = strconv.ParseUint(string(v), 8, 32)
		if err != nil || m > 0o7777 {
			o.Bad("mode", fmt.Sprintf("octal string expected, got %q", string(v)))
		}
	default:
		o.Bad("mode", luaargs.TypeMsg("number or octal string", v))
	}
	// Go spells setuid/setgid/sticky as separate mode bits.
	mode := fs.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		mode |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		mode |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

func fsWrite(L *lua.LState) int {
	p := luaargs.CheckString(L, "fs.write", 1, "path")
	data := luaargs.CheckString(L, "fs.write", 2, "data")
	o := luaargs.CheckOpts(L, "fs.write", 3)
	mode := optMode(o, 0o644)
	appendTo := o.Bool("append", false)
	o.Done()
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if appendTo {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	f, err := os.OpenFile(p, flags, mode)
	if err != nil {
		return luaargs.Fail(L, "fs.write", err)
	}
	_, err = f.WriteString(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return luaargs.Fail(L, "fs.write", err)
	}
	L.Push(lua.LTrue)
	return 1
}

func fsExists(L *lua.LState) int {
	p := luaargs.CheckString(L, "fs.exists", 1, "path")
	_, err := os.Lstat(p)
	switch {
	case err == nil:
		L.Push(lua.LTrue)
	case errors.Is(err, fs.ErrNotExist):
		L.Push(lua.LFalse)
	default:
		return luaargs.Fail(L, "fs.exists", err)
	}
	return 1
}

func fsIsDir(L *lua.LState) int {
	p := luaargs.CheckString(L, "fs.is_dir", 1, "path")
	fi, err := os.Stat(p)
	switch {
	case err == nil:
		L.Push(lua.LBool(fi.IsDir()))
	case errors.Is(err, fs.ErrNotExist):
		L.Push(lua.LFalse)
	default:
		return luaargs.Fail(L, "fs.is_dir", err)
	}
	return 1
}

func pushStrings(L *lua.LState, ss []string) {
	t := L.CreateTable(len(ss), 0)
	for _, s := range ss {
		t.Append(lua.LString(s))
	}
	L.Push(t)
}

func fsList(L *lua.LState) int {
	p := luaargs.CheckString(L, "fs.list", 1, "dir")
	entries, err := os.ReadDir(p)
	if err != nil {
		return luaargs.Fail(L, "fs.list", err)
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	sort.Strings(names)
	pushStrings(L, names)
	return 1
}

func fsGlob(L *lua.LState) int {
	pattern := luaargs.CheckString(L, "fs.glob", 1, "pattern")
	matches, err := filepath.Glob(pattern)
	if err != nil {
		// The only error Glob returns is a malformed pattern.
		luaargs.ArgError(L, "fs.glob", 1, "pattern", err.Error())
	}
	sort.Strings(matches)
	pushStrings(L, matches)
	return 1
}

func fsMkdir(L *lua.LState) int {
	p := luaargs.CheckString(L, "fs.mkdir", 1, "path")
	o := luaargs.CheckOpts(L, "fs.mkdir", 2)
	mode := optMode(o, 0o755)
	parents := o.Bool("parents", false)
	o.Done()
	var err error
	if parents {
		err = os.MkdirAll(p, mode)
	} else {
		err = os.Mkdir(p, mode)
	}
	if err != nil {
		return luaargs.Fail(L, "fs.mkdir", err)
	}
	L.Push(lua.LTrue)
	return 1
}

func fsRemove(L *lua.LState) int {
	p := luaargs.CheckString(L, "fs.remove", 1, "path")
	o := luaargs.CheckOpts(L, "fs.remove", 2)
	recursive := o.Bool("recursive", false)
	o.Done()
	var err error
	if recursive {
		if p == "" {
			luaargs.ArgError(L, "fs.remove", 1, "path", "must not be empty")
		}
		err = os.RemoveAll(p)
	} else {
		err = os.Remove(p)
	}
	if err != nil {
		return luaargs.Fail(L, "fs.remove", err)
	}
	L.Push(lua.LTrue)
	return 1
}

func fsTempdir(L *lua.LState) int {
	prefix := luaargs.OptString(L, "fs.tempdir", 1, "prefix", "procsh-")
	dir, err := os.MkdirTemp("", prefix+"*")
	if err != nil {
		return luaargs.Fail(L, "fs.tempdir", err)
	}
	L.Push(lua.LString(dir))
	return 1
}
