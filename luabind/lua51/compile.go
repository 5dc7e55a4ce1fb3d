package lua51

import (
	"fmt"
	"io"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"
)

// Compile parses src as the chunk name, rewrites the shapes gopher-lua
// miscompiles into equivalent ones it compiles correctly (see Rewrite) and
// compiles the result. A syntax error is a *parse.Error, as from
// parse.Parse.
func Compile(name, src string) (*lua.FunctionProto, error) {
	return compile(name, src)
}

// CompileReader is Compile reading the source from r.
func CompileReader(r io.Reader, name string) (*lua.FunctionProto, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return compile(name, string(b))
}

func compile(name, src string) (*lua.FunctionProto, error) {
	chunk, err := parse.Parse(strings.NewReader(src), name)
	if err != nil {
		return nil, err
	}
	chunk = rewrite(chunk, src)
	recordSource(name, src)
	proto, err := lua.Compile(chunk, name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return proto, nil
}

// Load compiles src as Compile does and returns it as a function of L, like
// L.Load but through the rewrite pass.
func Load(L *lua.LState, name, src string) (*lua.LFunction, error) {
	proto, err := Compile(name, src)
	if err != nil {
		return nil, err
	}
	return L.NewFunctionFromProto(proto), nil
}

// The hidden locals that hold the functions rewritten operators call, in
// every chunk that uses them (see Rewrite). Their names cannot be written
// in Lua source, so scripts cannot shadow or reassign them.
const (
	concatName = "(concat)"
	modName    = "(mod)"
)

// hiddenPrologue is `local (concat) = ("")["(concat)"] or <fallback>`:
// the function is fetched through the string metatable, which does not
// depend on the chunk's environment (setfenv) or on the global string.
func hiddenPrologue(name string, line int) ast.Stmt {
	recv := &ast.StringExpr{Value: ""}
	key := &ast.StringExpr{Value: name}
	get := &ast.AttrGetExpr{Object: recv, Key: key}
	or := &ast.LogicalOpExpr{Operator: "or", Lhs: get, Rhs: fallback(name)}
	setLines(line, recv, key, get, or)
	st := &ast.LocalAssignStmt{Names: []string{name}, Exprs: []ast.Expr{or}}
	st.SetLine(line)
	st.SetLastLine(line)
	return st
}

func setLines(line int, nodes ...ast.PositionHolder) {
	for _, n := range nodes {
		n.SetLine(line)
		n.SetLastLine(line)
	}
}

var (
	fallbackOnce sync.Once
	fallbackFns  map[string]ast.Expr
)

// fallback is the function of a chunk run in a state where Open was not
// called (a plain gopher-lua state): the VM's own operator. The nodes are
// shared by every chunk; the compiler does not modify function bodies of
// these shapes.
func fallback(name string) ast.Expr {
	fallbackOnce.Do(func() {
		const src = `return function(...)
			local n, t = select("#", ...), {...}
			local r = t[n]
			for i = n - 1, 1, -1 do r = t[i] .. r end
			return r
		end, function(a, b) return a % b end`
		chunk, err := parse.Parse(strings.NewReader(src), "lua51")
		if err != nil {
			panic(err)
		}
		exprs := chunk[0].(*ast.ReturnStmt).Exprs
		fallbackFns = map[string]ast.Expr{concatName: exprs[0], modName: exprs[1]}
	})
	return fallbackFns[name]
}
