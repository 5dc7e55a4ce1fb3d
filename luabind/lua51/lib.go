package lua51

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strings"
	"syscall"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// DefaultMaxStringSize is the default bound on a string built by
// string.rep, string.format, string.gsub, table.concat and the ..
// operator: 256 MiB.
const DefaultMaxStringSize = 256 << 20

// Options configures Open.
type Options struct {
	// MaxStringSize bounds the strings the library functions and the ..
	// operator build; beyond it they raise a catchable error ("resulting
	// string too large") instead of letting the host run out of memory.
	// 0 means DefaultMaxStringSize.
	MaxStringSize int
	// Print, when not nil, replaces the global print with one writing to
	// Print (values formatted by ToString, tab-separated).
	Print io.Writer
}

type library struct {
	maxString int
	rand      *glibcRand // math.random's generator
	// collectgarbage's "setpause" and "setstepmul" values (Lua 5.1's
	// defaults), which only collectgarbage reads.
	gcPause, gcStepmul float64
	errorFn            *lua.LFunction // error, whose messages pcall keeps as they are
}

// Open installs Lua 5.1's behaviour into L's already opened standard
// libraries: tostring, tonumber, error, load, loadstring, loadfile and
// dofile (where present), the Lua-file searcher of require, string.find,
// match, gmatch, gsub, format and rep, table.concat, and the hidden
// concatenation function used by chunks compiled with Compile. Functions
// of libraries that are not open (a sandbox without dofile) stay absent.
func Open(L *lua.LState, opts Options) {
	lib := &library{maxString: opts.MaxStringSize, rand: newGlibcRand(1), gcPause: 200, gcStepmul: 200}
	if lib.maxString <= 0 {
		lib.maxString = DefaultMaxStringSize
	}
	setIfPresent := func(t *lua.LTable, name string, fn lua.LGFunction) {
		if t != nil && t.RawGetString(name) != lua.LNil {
			t.RawSetString(name, L.NewFunction(fn))
		}
	}
	g := L.G.Global
	g.RawSetString("tostring", L.NewFunction(lib.tostring))
	g.RawSetString("tonumber", L.NewFunction(lib.tonumber))
	lib.errorFn = L.NewFunction(lib.error)
	g.RawSetString("error", lib.errorFn)
	setIfPresent(g, "assert", lib.assert)
	g.RawSetString("pcall", L.NewFunction(lib.pcall))
	g.RawSetString("xpcall", L.NewFunction(lib.xpcall))
	setIfPresent(g, "setmetatable", lib.setmetatable)
	setIfPresent(g, "select", lib.selectFn)
	setIfPresent(g, "unpack", lib.unpack)
	setIfPresent(g, "next", lib.next)
	setIfPresent(g, "collectgarbage", lib.collectgarbage)
	g.RawSetString("gcinfo", L.NewFunction(lib.gcinfo)) // Lua 5.1's, deprecated; gopher-lua lacks it
	if co, ok := g.RawGetString("coroutine").(*lua.LTable); ok {
		if yield, ok := co.RawGetString("yield").(*lua.LFunction); ok && yield.IsG {
			co.RawSetString("yield", wrapYield(L, yield))
		}
		if resume, ok := co.RawGetString("resume").(*lua.LFunction); ok {
			co.RawSetString("resume", L.NewFunction(func(L *lua.LState) int {
				top := L.GetTop()
				L.Push(resume)
				for i := 1; i <= top; i++ {
					L.Push(L.Get(i))
				}
				L.Call(top, lua.MultRet)
				n := L.GetTop() - top
				if n == 2 && L.Get(top+1) == lua.LFalse {
					if s, ok := L.Get(top + 2).(lua.LString); ok {
						L.Replace(top+2, lua.LString(TranslateError(L, string(s))))
					}
				}
				return n
			}))
		}
	}
	setIfPresent(g, "load", lib.load)
	setIfPresent(g, "loadstring", lib.loadstring)
	setIfPresent(g, "loadfile", lib.loadfile)
	setIfPresent(g, "dofile", lib.dofile)
	if opts.Print != nil {
		w := opts.Print
		g.RawSetString("print", L.NewFunction(func(L *lua.LState) int {
			_, _ = io.WriteString(w, PrintLine(L))
			return 0
		}))
	}
	if str, ok := g.RawGetString("string").(*lua.LTable); ok {
		str.RawSetString("find", L.NewFunction(lib.strFind))
		str.RawSetString("match", L.NewFunction(lib.strMatch))
		str.RawSetString("gmatch", L.NewFunction(lib.strGmatch))
		str.RawSetString("gsub", L.NewFunction(lib.strGsub))
		str.RawSetString("format", L.NewFunction(lib.strFormat))
		str.RawSetString("rep", L.NewFunction(lib.strRep))
		str.RawSetString("sub", L.NewFunction(lib.strSub))
		str.RawSetString("byte", L.NewFunction(lib.strByte))
		str.RawSetString("char", L.NewFunction(lib.strChar))
		str.RawSetString("len", L.NewFunction(lib.strLen))
		str.RawSetString("upper", L.NewFunction(lib.strSimple("upper", asciiUpper)))
		str.RawSetString("lower", L.NewFunction(lib.strSimple("lower", asciiLower)))
		str.RawSetString("reverse", L.NewFunction(lib.strSimple("reverse", reverse)))
	}
	// The concatenation function is reached through the string
	// metatable's __index (see concatPrologue); it must exist even if a
	// script later replaces the global string.
	if mt, ok := L.GetMetatable(lua.LString("")).(*lua.LTable); ok {
		if idx, ok := mt.RawGetString("__index").(*lua.LTable); ok {
			idx.RawSetString(concatName, L.NewFunction(lib.concat))
			idx.RawSetString(modName, L.NewFunction(lib.mod))
		}
	}
	if m, ok := g.RawGetString("math").(*lua.LTable); ok {
		m.RawSetString("huge", lua.LNumber(math.Inf(1))) // gopher-lua has MaxFloat64
		setIfPresent(m, "random", lib.mathRandom)
		setIfPresent(m, "randomseed", lib.mathRandomseed)
	}
	if tab, ok := g.RawGetString("table").(*lua.LTable); ok {
		tab.RawSetString("concat", L.NewFunction(lib.tableConcat))
		setIfPresent(tab, "insert", lib.tableInsert)
		setIfPresent(tab, "remove", lib.tableRemove)
		setIfPresent(tab, "maxn", lib.tableMaxn)
		// Lua 5.1's deprecated functions, which gopher-lua lacks.
		tab.RawSetString("foreach", L.NewFunction(lib.tableForeach))
		tab.RawSetString("foreachi", L.NewFunction(lib.tableForeachi))
		tab.RawSetString("setn", L.NewFunction(lib.tableSetn))
	}
	if pkg, ok := g.RawGetString("package").(*lua.LTable); ok {
		if loaders, ok := pkg.RawGetString("loaders").(*lua.LTable); ok && loaders.Len() >= 2 {
			loaders.RawSetInt(2, L.NewFunction(lib.luaSearcher))
		}
	}
}

// PrintLine formats the arguments of the calling Go function as print
// does: ToString of each, tab-separated, with a newline.
func PrintLine(L *lua.LState) string {
	var b strings.Builder
	for i := 1; i <= L.GetTop(); i++ {
		if i > 1 {
			b.WriteByte('\t')
		}
		b.WriteString(ToString(L, L.Get(i)))
	}
	b.WriteByte('\n')
	return b.String()
}

func (lib *library) checkSize(L *lua.LState, n int, fn string) {
	if n > lib.maxString {
		lib.tooLarge(L, fn, float64(n))
	}
}

func (lib *library) tooLarge(L *lua.LState, fn string, n float64) {
	raise(L, "%s: resulting string too large (%s bytes; the limit is %d)", fn, FormatNumber(lua.LNumber(n)), lib.maxString)
}

func (lib *library) tostring(L *lua.LState) int {
	if L.GetTop() < 1 {
		argError(L, 1, "tostring", "value expected")
	}
	L.Push(lua.LString(ToString(L, L.Get(1))))
	return 1
}

func (lib *library) tonumber(L *lua.LState) int {
	base := optInt(L, 2, "tonumber", 10)
	if base == 10 {
		if L.GetTop() < 1 {
			argError(L, 1, "tonumber", "value expected")
		}
		switch v := L.Get(1).(type) {
		case lua.LNumber:
			L.Push(v)
			return 1
		case lua.LString:
			if n, ok := ParseNumber(string(v)); ok {
				L.Push(n)
				return 1
			}
		}
		L.Push(lua.LNil)
		return 1
	}
	s := checkString(L, 1, "tonumber")
	if base < 2 || base > 36 {
		argError(L, 2, "tonumber", "base out of range")
	}
	if n, ok := parseInBase(s, int(base)); ok {
		L.Push(n)
		return 1
	}
	L.Push(lua.LNil)
	return 1
}

// where returns "source:line:" of the Lua function at level (1 is the
// function that called the current Go function), or "" for a Go
// function, as luaL_where does.
func where(L *lua.LState, level int) string {
	dbg, ok := L.GetStack(level)
	if !ok {
		return ""
	}
	if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil || dbg.CurrentLine < 0 || dbg.What == "G" {
		return ""
	}
	return fmt.Sprintf("%s:%d: ", dbg.Source, dbg.CurrentLine)
}

// error is Lua 5.1's error: the level counts from the function calling
// error (gopher-lua's is off by one above level 1), numbers get the
// position too, and error() raises nil.
func (lib *library) error(L *lua.LState) int {
	v := L.Get(1)
	level := optInt(L, 2, "error", 1)
	switch x := v.(type) {
	case lua.LString:
		if level > 0 {
			v = lua.LString(where(L, int(level)) + string(x))
		}
	case lua.LNumber:
		if level > 0 {
			v = lua.LString(where(L, int(level)) + FormatNumber(x))
		}
	}
	L.Error(v, 0)
	return 0
}

// assert is Lua 5.1's assert: a value is required, and the message is a
// string or a number, raised with the caller's position.
func (lib *library) assert(L *lua.LState) int {
	if L.GetTop() < 1 {
		argError(L, 1, "assert", "value expected")
	}
	if !lua.LVAsBool(L.Get(1)) {
		raise(L, "%s", optString(L, 2, "assert", "assertion failed!"))
	}
	return L.GetTop()
}

// ChunkID returns how Lua 5.1 shows a chunk name in messages: "=name"
// as name, "@file" as file, and source text as [string "first line..."].
func ChunkID(source string) string {
	const idSize = 60
	switch {
	case strings.HasPrefix(source, "="):
		s := source[1:]
		if len(s) > idSize-1 {
			s = s[:idSize-1]
		}
		return s
	case strings.HasPrefix(source, "@"):
		s := source[1:]
		if max := idSize - len(" '...' ") - 1; len(s) > max {
			s = "..." + s[len(s)-max:]
		}
		return s
	default:
		n := strings.IndexAny(source, "\n\r")
		if n < 0 {
			n = len(source)
		}
		max := idSize - len(` [string "..."] `) - 1
		if n > max {
			n = max
		}
		if n < len(source) {
			return `[string "` + source[:n] + `..."]`
		}
		return `[string "` + source + `"]`
	}
}

// SyntaxMessage formats a compile error as "chunk:line: message near
// 'token'", the shape of Lua's messages.
func SyntaxMessage(err error) string {
	var pe *parse.Error
	if errors.As(err, &pe) {
		msg := strings.TrimSpace(pe.Message)
		if pe.Pos.Line == parse.EOF {
			return fmt.Sprintf("%s: %s near <eof>", pe.Pos.Source, msg)
		}
		return fmt.Sprintf("%s:%d: %s near '%s'", pe.Pos.Source, pe.Pos.Line, msg, pe.Token)
	}
	return err.Error()
}

func (lib *library) loadChunk(L *lua.LState, chunkname, src string) int {
	fn, err := Load(L, ChunkID(chunkname), src)
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(SyntaxMessage(err)))
		return 2
	}
	L.Push(fn)
	return 1
}

func (lib *library) loadstring(L *lua.LState) int {
	s := checkString(L, 1, "loadstring")
	return lib.loadChunk(L, optString(L, 2, "loadstring", s), s)
}

func (lib *library) load(L *lua.LState) int {
	reader := L.CheckFunction(1)
	name := optString(L, 2, "load", "=(load)")
	var b strings.Builder
	for {
		L.Push(reader)
		L.Call(0, 1)
		v := L.Get(-1)
		L.Pop(1)
		if v == lua.LNil {
			break
		}
		s, ok := v.(lua.LString)
		if !ok {
			if n, isNum := v.(lua.LNumber); isNum {
				s, ok = lua.LString(FormatNumber(n)), true
			}
		}
		if !ok {
			L.Push(lua.LNil)
			L.Push(lua.LString("reader function must return a string"))
			return 2
		}
		if s == "" {
			break
		}
		b.WriteString(string(s))
		lib.checkSize(L, b.Len(), "load")
	}
	return lib.loadChunk(L, name, b.String())
}

// fileMessage is "cannot open name: No such file or directory", C's
// strerror wording.
func fileMessage(what, name string, err error) string {
	var errno syscall.Errno
	msg := err.Error()
	if errors.As(err, &errno) {
		msg = errno.Error()
		if msg != "" {
			msg = strings.ToUpper(msg[:1]) + msg[1:]
		}
	}
	return fmt.Sprintf("cannot %s %s: %s", what, name, msg)
}

func (lib *library) loadFile(L *lua.LState, path string) (*lua.LFunction, string) {
	b, err := os.ReadFile(path)
	if err != nil {
		what := "open"
		if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, os.ErrPermission) {
			what = "read"
		}
		return nil, fileMessage(what, path, err)
	}
	src := string(b)
	if strings.HasPrefix(src, "#") {
		if i := strings.IndexByte(src, '\n'); i >= 0 {
			src = "--" + src[i:] // keep the line count
		} else {
			src = ""
		}
	}
	fn, err := Load(L, ChunkID("@"+path), src)
	if err != nil {
		return nil, SyntaxMessage(err)
	}
	return fn, ""
}

func (lib *library) loadfile(L *lua.LState) int {
	fn, msg := lib.loadFile(L, checkString(L, 1, "loadfile"))
	if fn == nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(msg))
		return 2
	}
	L.Push(fn)
	return 1
}

func (lib *library) dofile(L *lua.LState) int {
	fn, msg := lib.loadFile(L, checkString(L, 1, "dofile"))
	if fn == nil {
		raise(L, "%s", msg)
	}
	top := L.GetTop()
	L.Push(fn)
	L.Call(0, lua.MultRet)
	return L.GetTop() - top
}

// luaSearcher is package.loaders[2]: it finds name on package.path and
// compiles the file through Compile.
func (lib *library) luaSearcher(L *lua.LState) int {
	name := checkString(L, 1, "require")
	pkg, _ := L.GetGlobal("package").(*lua.LTable)
	var path string
	if pkg != nil {
		p, ok := pkg.RawGetString("path").(lua.LString)
		if !ok {
			raise(L, "'package.path' must be a string")
		}
		path = string(p)
	}
	fname := strings.ReplaceAll(name, ".", string(os.PathSeparator))
	var tried strings.Builder
	for _, tmpl := range strings.Split(path, ";") {
		if tmpl == "" {
			continue
		}
		file := strings.ReplaceAll(tmpl, "?", fname)
		f, err := os.Open(file)
		if err != nil {
			fmt.Fprintf(&tried, "\n\tno file '%s'", file)
			continue
		}
		_ = f.Close()
		fn, msg := lib.loadFile(L, file)
		if fn == nil {
			raise(L, "error loading module '%s' from file '%s':\n\t%s", name, file, msg)
		}
		L.Push(fn)
		return 1
	}
	L.Push(lua.LString(tried.String()))
	return 1
}

// concat is the .. operator of chunks compiled with Compile:
// (concat)(v1, ..., vn). It concatenates right to left as the VM does: runs of
// strings and numbers at once, anything else pairwise through __concat.
func (lib *library) concat(L *lua.LState) int {
	n := L.GetTop()
	total := n
	vals := make([]lua.LValue, n)
	for i := range n {
		vals[i] = L.Get(i + 1)
	}
	isStr := func(v lua.LValue) bool {
		t := v.Type()
		return t == lua.LTString || t == lua.LTNumber
	}
	str := func(v lua.LValue) string {
		if num, ok := v.(lua.LNumber); ok {
			return FormatNumber(num)
		}
		return string(v.(lua.LString))
	}
	// orig[i] is the operand index a value came from, for error names;
	// -1 once it is a result.
	orig := make([]int, n)
	for i := range orig {
		orig[i] = i
	}
	for n > 1 {
		a, b := vals[n-2], vals[n-1]
		if isStr(a) && isStr(b) {
			// Collect the longest run of strings and numbers at the top.
			k := n - 2
			for k > 0 && isStr(vals[k-1]) {
				k--
			}
			size := 0
			for _, v := range vals[k:n] {
				if s, ok := v.(lua.LString); ok {
					size += len(s)
				} else {
					size += 24
				}
			}
			if size > lib.maxString+24*(n-k) {
				lib.tooLarge(L, "concatenation", float64(size))
			}
			var sb strings.Builder
			sb.Grow(size)
			for _, v := range vals[k:n] {
				sb.WriteString(str(v))
			}
			lib.checkSize(L, sb.Len(), "concatenation")
			vals[k] = lua.LString(sb.String())
			orig[k] = -1
			n = k + 1
			continue
		}
		mm := L.GetMetaField(a, "__concat")
		if mm == lua.LNil {
			mm = L.GetMetaField(b, "__concat")
		}
		if mm == lua.LNil {
			bad := n - 2
			if isStr(a) {
				bad = n - 1
			}
			desc := ""
			if o := orig[bad]; o >= 0 {
				if dbg, ok := L.GetStack(1); ok {
					if _, err := L.GetInfo("Sl", dbg, lua.LNil); err == nil && dbg.What != "G" {
						if d := concatOperand(dbg.Source, dbg.CurrentLine, o, total); d != "" {
							desc = d + " "
						}
					}
				}
			}
			if desc == "" {
				raise(L, "attempt to concatenate a %s value", vals[bad].Type().String())
			}
			raise(L, "attempt to concatenate %s(a %s value)", desc, vals[bad].Type().String())
		}
		L.Push(mm)
		L.Push(a)
		L.Push(b)
		L.Call(2, 1)
		vals[n-2] = L.Get(-1)
		L.Pop(1)
		orig[n-2] = -1
		n--
	}
	if n == 0 {
		return 0
	}
	L.Push(vals[0])
	return 1
}

// pcall is Lua 5.1's pcall. It differs from gopher-lua's in what the
// message of an error raised by a Go function called directly
// (pcall(string.rep)) says: Lua 5.1 gives no position there, gopher-lua
// the line of the pcall; and VM messages are translated to Lua 5.1's
// wording (TranslateMessage).
func (lib *library) pcall(L *lua.LState) int {
	top := L.GetTop()
	if top < 1 {
		argError(L, 1, "pcall", "value expected")
	}
	fn := L.Get(1)
	if fn.Type() != lua.LTFunction && L.GetMetaField(fn, "__call").Type() != lua.LTFunction {
		L.Push(lua.LFalse)
		L.Push(lua.LString("attempt to call a " + fn.Type().String() + " value"))
		return 2
	}
	// gopher-lua's Go functions position their errors at the nearest Lua
	// function, here pcall's caller; error positions its message as told
	// (pcall(error, "m", 2) names pcall's caller on purpose).
	prefix := ""
	if f, ok := fn.(*lua.LFunction); ok && f.IsG && f != lib.errorFn {
		prefix = where(L, 1)
	}
	L.Push(fn)
	for i := 2; i <= top; i++ {
		L.Push(L.Get(i))
	}
	if err := protectedCall(L, top-1, nil); err != nil {
		L.Push(lua.LFalse)
		var ae *lua.ApiError
		if !errors.As(err, &ae) {
			L.Push(lua.LString(err.Error()))
			return 2
		}
		v := ae.Object
		if s, ok := v.(lua.LString); ok {
			msg := string(s)
			if prefix != "" && strings.HasPrefix(msg, prefix) {
				msg = msg[len(prefix):]
			}
			v = lua.LString(TranslateError(L, msg))
		}
		L.Push(v)
		return 2
	}
	n := L.GetTop() - top
	L.Push(lua.LTrue)
	L.Insert(lua.LTrue, top+1)
	L.Pop(1)
	return n + 1
}

var vmMessages = strings.NewReplacer(
	"for statement init must be a number", "'for' initial value must be a number",
	"for statement limit must be a number", "'for' limit must be a number",
	"for statement step must be a number", "'for' step must be a number",
	"can not resume a dead thread", "cannot resume dead coroutine",
	"can not yield from outside of a coroutine", "attempt to yield across metamethod/C-call boundary",
)

// TranslateMessage rewrites the error messages of gopher-lua's VM that
// have a Lua 5.1 counterpart of a different wording ("for statement limit
// must be a number" is "'for' limit must be a number").
// gopher-lua's own argument errors ("bad argument #1 to sub (string
// expected...)") quote the function's name as Lua 5.1 does.
func TranslateMessage(msg string) string {
	msg = vmMessages.Replace(msg)
	if strings.Contains(msg, "bad argument #") {
		msg = gopherArgRe.ReplaceAllStringFunc(msg, func(m string) string {
			sm := gopherArgRe.FindStringSubmatch(m)
			name := sm[2]
			if name == "(anonymous)" {
				name = "?"
			}
			return "bad argument #" + sm[1] + " to '" + name + "' ("
		})
	}
	return msg
}

var gopherArgRe = regexp.MustCompile(`bad argument #(\d+) to ([^' ]+) \(`)

const errorInErrorHandling = "error in error handling"

// maxHandlerCalls is how many times lua5.1 calls an xpcall handler that
// keeps failing, from a main chunk, before LUA_ERRERR (the C stack limit,
// LUAI_MAXCCALLS plus its margin, counts the calls).
const maxHandlerCalls = 220

// xpcall is Lua 5.1's xpcall: the handler sees the message in Lua 5.1's
// wording (TranslateError).
func (lib *library) xpcall(L *lua.LState) int {
	fn := L.Get(1)
	handler := L.Get(2)
	if L.GetTop() < 2 {
		argError(L, 2, "xpcall", "value expected")
	}
	errfunc := func(L *lua.LState, v lua.LValue) lua.LValue {
		h, ok := handler.(*lua.LFunction)
		if !ok {
			return lua.LString(errorInErrorHandling)
		}
		// An error in the handler goes to the handler again, as
		// luaG_errormsg does, until Lua 5.1's C stack limit turns it into
		// "error in error handling".
		for range maxHandlerCalls {
			if s, ok := v.(lua.LString); ok {
				v = lua.LString(TranslateError(L, string(s)))
			}
			base := L.GetTop()
			L.Push(h)
			L.Push(v)
			err := protectedCall(L, 1, nil)
			if err == nil {
				v = L.Get(base + 1) // the first result, nil if none
				L.SetTop(base)
				return v
			}
			var ae *lua.ApiError
			if !errors.As(err, &ae) {
				return lua.LString(err.Error())
			}
			v = ae.Object
		}
		return lua.LString(errorInErrorHandling)
	}
	top := L.GetTop()
	L.Push(fn)
	if err := protectedCall(L, 0, errfunc); err != nil {
		L.Push(lua.LFalse)
		var ae *lua.ApiError
		if errors.As(err, &ae) {
			L.Push(ae.Object)
		} else {
			L.Push(lua.LString(err.Error()))
		}
		return 2
	}
	n := L.GetTop() - top
	L.Insert(lua.LTrue, top+1)
	return n + 1
}

// mod is the % operator of chunks compiled with Compile: Lua 5.1's
// a - floor(a/b)*b, numeric strings converted, else __mod, else the VM's
// arithmetic error (which TranslateError names).
func (lib *library) mod(L *lua.LState) int {
	a, b := L.Get(1), L.Get(2)
	if x, ok := a.(lua.LNumber); ok {
		if y, ok := b.(lua.LNumber); ok {
			L.Push(lua.LNumber(float64(x) - math.Floor(float64(x)/float64(y))*float64(y)))
			return 1
		}
	}
	x, okx := arithNumber(a)
	y, oky := arithNumber(b)
	if okx && oky {
		L.Push(lua.LNumber(x - math.Floor(x/y)*y))
		return 1
	}
	mm := L.GetMetaField(a, "__mod")
	if mm == lua.LNil {
		mm = L.GetMetaField(b, "__mod")
	}
	if mm == lua.LNil {
		lt, rt := a.Type().String(), b.Type().String()
		if okx {
			lt = "number"
		}
		if oky {
			rt = "number"
		}
		L.RaiseError("cannot perform mod operation between %s and %s", lt, rt)
	}
	L.Push(mm)
	L.Push(a)
	L.Push(b)
	L.Call(2, 1)
	return 1
}

func arithNumber(v lua.LValue) (float64, bool) {
	switch x := v.(type) {
	case lua.LNumber:
		return float64(x), true
	case lua.LString:
		if n, ok := ParseNumber(string(x)); ok {
			return float64(n), true
		}
	}
	return 0, false
}
