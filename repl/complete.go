package repl

import (
	"sort"
	"strings"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"
)

// Snapshot is a frozen view of the names reachable from the Lua globals,
// taken with exclusive access to the state and read afterwards by the
// completer. readline runs its completer on its own goroutine; that
// goroutine must never touch the Lua state, so it only ever sees a Snapshot.
type Snapshot struct {
	root *snapNode
}

type snapNode struct {
	isFunc   bool
	children map[string]*snapNode
}

// Limits that keep a snapshot cheap even with huge tables in _G.
const (
	snapMaxDepth    = 4
	snapMaxPerTable = 2000
)

// TakeSnapshot records the globals of L, their fields and the fields of
// their metatables' __index tables or the names in their __methods lists
// (the methods offered after ':'), a few levels deep. Call it only with
// exclusive access to L.
func TakeSnapshot(L *lua.LState) *Snapshot {
	seen := map[lua.LValue]*snapNode{}
	return &Snapshot{root: snapValue(L, L.G.Global, 0, seen)}
}

func snapValue(L *lua.LState, v lua.LValue, depth int, seen map[lua.LValue]*snapNode) *snapNode {
	n := &snapNode{}
	if _, ok := v.(*lua.LFunction); ok {
		n.isFunc = true
		return n
	}
	if depth >= snapMaxDepth {
		return n
	}
	tbl, isTable := v.(*lua.LTable)
	ud, isUD := v.(*lua.LUserData)
	if !isTable && !isUD {
		return n
	}
	if prev, ok := seen[v]; ok {
		return prev
	}
	seen[v] = n
	n.children = map[string]*snapNode{}
	add := func(t *lua.LTable) {
		count := 0
		t.ForEach(func(k, val lua.LValue) {
			s, ok := k.(lua.LString)
			if !ok || !IsIdentifier(string(s)) || count >= snapMaxPerTable {
				return
			}
			if _, dup := n.children[string(s)]; dup {
				return
			}
			count++
			n.children[string(s)] = snapValue(L, val, depth+1, seen)
		})
	}
	if isTable {
		add(tbl)
	}
	// Methods come from the metatable's __index (one level of the chain is
	// what userdata bindings and simple classes use).
	var mt lua.LValue = lua.LNil
	if isUD {
		mt = ud.Metatable
	} else {
		mt = tbl.Metatable
	}
	if mtt, ok := mt.(*lua.LTable); ok {
		if idx, ok := mtt.RawGetString("__index").(*lua.LTable); ok && idx != tbl {
			add(idx)
		}
		// A type whose __index is a function cannot be listed; it may name
		// its methods in __methods (a list of names, or a name → function
		// table) for tools such as this completer.
		if names, ok := mtt.RawGetString("__methods").(*lua.LTable); ok {
			names.ForEach(func(k, v lua.LValue) {
				name, ok := v.(lua.LString)
				if !ok {
					name, ok = k.(lua.LString)
				}
				if ok && IsIdentifier(string(name)) {
					if _, dup := n.children[string(name)]; !dup {
						n.children[string(name)] = &snapNode{isFunc: true}
					}
				}
			})
		}
	}
	return n
}

// Complete returns the candidates for the expression that ends line: the
// whole names that extend the last identifier, and the length of that
// identifier (what readline's AutoCompleter returns, as full names here).
// After "a.b." it offers the fields of a.b, after "a:" the functions of a.
func (s *Snapshot) Complete(line string) (names []string, prefixLen int) {
	if s == nil || s.root == nil {
		return nil, 0
	}
	start := len(line)
	for start > 0 {
		c := line[start-1]
		if c == '_' || c == '.' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') {
			start--
			continue
		}
		break
	}
	expr := line[start:]
	// Numbers such as "1.5" are not paths.
	if expr != "" && expr[0] >= '0' && expr[0] <= '9' {
		return nil, 0
	}
	last := strings.LastIndexAny(expr, ".:")
	prefix := expr[last+1:]
	node := s.root
	methodsOnly := false
	if last >= 0 {
		methodsOnly = expr[last] == ':'
		path := expr[:last]
		if strings.Contains(path, ":") {
			return nil, 0
		}
		for _, part := range strings.Split(path, ".") {
			next, ok := node.children[part]
			if !ok {
				return nil, 0
			}
			node = next
		}
	}
	// Metamethods and other "__" names (the string table holds its own
	// __index) are offered only once the user types "__".
	hideMeta := !strings.HasPrefix(prefix, "__")
	for name, child := range node.children {
		if !strings.HasPrefix(name, prefix) || (methodsOnly && !child.isFunc) {
			continue
		}
		if hideMeta && strings.HasPrefix(name, "__") {
			continue
		}
		names = append(names, name)
	}
	if last < 0 {
		for kw := range luaKeywords {
			if strings.HasPrefix(kw, prefix) && prefix != "" {
				names = append(names, kw)
			}
		}
	}
	sort.Strings(names)
	return names, len(prefix)
}

// completer adapts the current snapshot to readline.AutoCompleter.
type completer struct {
	snap atomic.Pointer[Snapshot]
}

// Do implements readline.AutoCompleter: it returns the untyped suffixes of
// the candidates and how many runes of the word are already typed.
func (c *completer) Do(line []rune, pos int) ([][]rune, int) {
	if pos > len(line) {
		pos = len(line)
	}
	names, n := c.snap.Load().Complete(string(line[:pos]))
	out := make([][]rune, 0, len(names))
	for _, name := range names {
		out = append(out, []rune(name[n:]))
	}
	return out, n
}
