package lua51

import (
	"container/list"
	"errors"
	"hash/maphash"
	"regexp"
	"strconv"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// Lua 5.1 names the variable or field an error is about: "attempt to
// index local 'x' (a nil value)", where gopher-lua's VM says "attempt to
// index a non-table object(nil) with key 'y'". The VM's message does not
// carry the name, but the AST does: while rewriting a chunk, Compile
// records for each line the operations that can fail that way (indexing
// with its key, arithmetic with its operator, calls) and how Lua 5.1
// would describe their operands. TranslateError uses that record, the
// line in the message and what the message still says (the key, the
// operator, the operand types) to name the operand when exactly one
// description fits; otherwise it gives Lua 5.1's wording without a name.

type siteKind uint8

const (
	siteIndex siteKind = iota
	siteArith
	siteCall
	siteLen
	siteUnm
	siteConcat
)

// desc is how Lua 5.1 names an operand, kept unformatted so that
// recording it costs no allocation: "local 'x'" is {descLocal, "x"}.
type desc struct {
	kind uint8
	name string
}

const (
	descNone uint8 = iota
	descLocal
	descGlobal
	descUpvalue
	descField
	descMethod
)

var descWords = [...]string{"", "local", "global", "upvalue", "field", "method"}

func (d desc) String() string {
	if d.kind == descNone {
		return ""
	}
	return descWords[d.kind] + " '" + d.name + "'"
}

type site struct {
	line   int32
	kind   siteKind
	anyKey bool   // siteIndex: the key is computed, it may be any
	key    string // siteIndex: the constant key
	op     string // siteArith: add, sub, mul, div, mod, pow
	d1, d2 desc   // the operand (for arith, the left one; d2 the right)
	ops    []desc // siteConcat: every operand of the chain
}

// concatOperand describes operand i of an n-operand concatenation at the
// position "source:line: " of the calling Lua function, or "".
func concatOperand(source string, line, i, n int) string {
	ss, _ := lookupSites(source, line)
	var ds []string
	for _, s := range ss {
		if s.kind == siteConcat && len(s.ops) == n {
			ds = append(ds, s.ops[i].String())
		}
	}
	d, _ := unique(ds)
	return d
}

// chunkSites is the record of one source compiled under a chunk name.
// Its sites are computed on the first error that needs them, by parsing
// and walking the source again: errors are rare, compiles are not.
type chunkSites struct {
	hash  uint64
	src   string
	once  sync.Once
	sites []site
}

func (c *chunkSites) get() []site {
	c.once.Do(func() {
		chunk, err := parse.Parse(strings.NewReader(c.src), "")
		if err == nil {
			rw := newRewriter(c.src, true)
			rw.run(chunk)
			c.sites = rw.sites
		}
		c.src = ""
	})
	return c.sites
}

// The record is kept per chunk name, for the most recent 1024 names and
// at most 64 MiB of source, and per name for its 64 most recent distinct
// sources (a REPL compiles every line as "stdin"). A message is matched
// against the sites of all of a name's sources: a description is used
// only when they all agree.
const (
	maxRecordedChunks  = 1024
	maxRecordedBytes   = 64 << 20
	maxSourcesPerChunk = 64
)

var sites = struct {
	sync.Mutex
	byName map[string]*list.Element // of *namedSites
	order  *list.List
	bytes  int
	seed   maphash.Seed
}{byName: map[string]*list.Element{}, order: list.New(), seed: maphash.MakeSeed()}

type namedSites struct {
	name     string
	versions []*chunkSites // oldest first
	bytes    int
}

func recordSource(name, src string) {
	h := maphash.String(sites.seed, src)
	sites.Lock()
	defer sites.Unlock()
	e, ok := sites.byName[name]
	if !ok {
		e = sites.order.PushFront(&namedSites{name: name})
		sites.byName[name] = e
	}
	sites.order.MoveToFront(e)
	ns := e.Value.(*namedSites)
	for _, v := range ns.versions {
		if v.hash == h {
			return
		}
	}
	if len(ns.versions) >= maxSourcesPerChunk {
		ns.bytes -= len(ns.versions[0].src)
		sites.bytes -= len(ns.versions[0].src)
		ns.versions = append(ns.versions[:0], ns.versions[1:]...)
	}
	ns.versions = append(ns.versions, &chunkSites{hash: h, src: src})
	ns.bytes += len(src)
	sites.bytes += len(src)
	for sites.order.Len() > maxRecordedChunks || (sites.bytes > maxRecordedBytes && sites.order.Len() > 1) {
		last := sites.order.Back()
		sites.order.Remove(last)
		old := last.Value.(*namedSites)
		sites.bytes -= old.bytes
		delete(sites.byName, old.name)
	}
}

func lookupSites(name string, line int) ([]site, bool) {
	sites.Lock()
	e, ok := sites.byName[name]
	var versions []*chunkSites
	if ok {
		versions = append(versions, e.Value.(*namedSites).versions...)
	}
	sites.Unlock()
	if !ok {
		return nil, false
	}
	var out []site
	for _, v := range versions {
		for _, s := range v.get() {
			if int(s.line) == line {
				out = append(out, s)
			}
		}
	}
	return out, true
}

var (
	posRe     = regexp.MustCompile(`^(.*?):(\d+): (.*)$`)
	indexRe   = regexp.MustCompile(`^attempt to index a non-table object\((\w+)\) with key '(.*)'$`)
	arithRe   = regexp.MustCompile(`^cannot perform (\w+) operation between (\w+) and (\w+)$`)
	compareRe = regexp.MustCompile(`^attempt to compare (\w+) with (\w+)$`)
)

// TranslateError rewrites an error message of gopher-lua's VM into Lua
// 5.1's wording, naming the variable or field where the chunk's record
// allows (see above); L resolves the type of a called global. Messages
// that are not VM messages are returned unchanged, apart from the
// rewording of TranslateMessage.
func TranslateError(L *lua.LState, msg string) string {
	msg = TranslateMessage(msg)
	m := posRe.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	prefix, body := m[1]+":"+m[2]+": ", m[3]
	line, _ := strconv.Atoi(m[2])
	// Only the first line is the message; a traceback may follow.
	rest := ""
	if i := strings.IndexByte(body, '\n'); i >= 0 {
		body, rest = body[:i], body[i:]
	}
	if out, ok := translateBody(L, m[1], line, body); ok {
		return prefix + out + rest
	}
	return msg
}

// unique returns the description all of ds share, or false.
func unique(ds []string) (string, bool) {
	if len(ds) == 0 {
		return "", false
	}
	for _, d := range ds[1:] {
		if d != ds[0] {
			return "", false
		}
	}
	return ds[0], true
}

func withDesc(verb, desc, typ string) string {
	if desc == "" {
		return "attempt to " + verb + " a " + typ + " value"
	}
	return "attempt to " + verb + " " + desc + " (a " + typ + " value)"
}

func translateBody(L *lua.LState, chunk string, line int, body string) (string, bool) {
	if m := compareRe.FindStringSubmatch(body); m != nil {
		if m[1] == m[2] {
			return "attempt to compare two " + m[1] + " values", true
		}
		return body, true
	}
	ss, known := lookupSites(chunk, line)
	pick := func(kind siteKind, match func(site) (string, bool)) (string, bool) {
		var ds []string
		for _, s := range ss {
			if s.kind != kind {
				continue
			}
			if d, ok := match(s); ok {
				ds = append(ds, d)
			}
		}
		return unique(ds)
	}
	if m := indexRe.FindStringSubmatch(body); m != nil {
		typ, key := m[1], m[2]
		// A constant key equal to the message's decides; a computed key
		// might be any key.
		desc, ok := pick(siteIndex, func(s site) (string, bool) { return s.d1.String(), !s.anyKey && s.key == key })
		if !ok {
			desc, ok = pick(siteIndex, func(s site) (string, bool) { return s.d1.String(), s.anyKey || s.key == key })
		}
		if !ok || !known {
			desc = ""
		}
		return withDesc("index", desc, typ), true
	}
	if m := arithRe.FindStringSubmatch(body); m != nil {
		op, lt, rt := m[1], m[2], m[3]
		right := lt == "number"
		typ := lt
		if right {
			typ = rt
		} else if lt == "string" && rt != "number" {
			return body, false // which operand failed depends on the string's contents
		}
		desc, ok := pick(siteArith, func(s site) (string, bool) {
			if s.op != op {
				return "", false
			}
			if right {
				return s.d2.String(), true
			}
			return s.d1.String(), true
		})
		if !ok || !known {
			desc = ""
		}
		return withDesc("perform arithmetic on", desc, typ), true
	}
	var kind siteKind
	var verb string
	switch body {
	case "attempt to call a non-function object":
		kind, verb = siteCall, "call"
	case "__len undefined":
		kind, verb = siteLen, "get length of"
	case "__unm undefined":
		kind, verb = siteUnm, "perform arithmetic on"
	default:
		return body, false
	}
	// The message has no type: only a global's can be told afterwards, and
	// a global that holds a function now is not the one that failed.
	if L == nil || !known {
		return body, false
	}
	globalOf := func(desc string) (lua.LValue, bool) {
		if !strings.HasPrefix(desc, "global '") {
			return nil, false
		}
		return L.GetGlobal(strings.TrimSuffix(strings.TrimPrefix(desc, "global '"), "'")), true
	}
	desc, ok := pick(kind, func(s site) (string, bool) {
		if v, isGlobal := globalOf(s.d1.String()); isGlobal && kind == siteCall && v.Type() == lua.LTFunction {
			return "", false
		}
		return s.d1.String(), true
	})
	v, isGlobal := globalOf(desc)
	if !ok || !isGlobal {
		return body, false
	}
	return withDesc(verb, desc, v.Type().String()), true
}

// Translate applies TranslateError to the message of err when err is a
// Lua error (*lua.ApiError) with a string message, in place, and returns
// err. Hosts call it on what L.PCall returns, with the state still locked.
func Translate(L *lua.LState, err error) error {
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		if s, ok := ae.Object.(lua.LString); ok {
			ae.Object = lua.LString(TranslateError(L, string(s)))
		}
	}
	return err
}
