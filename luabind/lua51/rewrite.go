package lua51

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/yuin/gopher-lua/ast"
)

// Rewrite returns chunk with every shape that gopher-lua v1.1.2's compiler
// gets wrong replaced by an equivalent shape it compiles correctly. It
// modifies chunk in place. The shapes, found by reading the compiler:
//
//   - Multiple assignment with a local target (a, b = b, a; t[i], i = 1, 2;
//     t[1], t = 5, {}). The compiler evaluates each value straight into a
//     local target's register while later values, and the prefix and key
//     registers of table targets, still read the old one. Rewritten to
//     evaluate the targets' prefixes and keys, then every value, into fresh
//     temporaries, then assign right to left, as PUC-Rio Lua does.
//   - Generic for headers. The explist is compiled at the register of the
//     hidden generator variable, below the register top, where the compiler
//     believes a nested call's result slot is already a live local and lets
//     the next operand overwrite it (for w in f().s:gmatch(p), f()[k],
//     f().iter(t)); when the explist has fewer than three values and does
//     not end in a multi-value call, the missing state and control values
//     are not reset on re-entry (for x in iter do, gopher-lua issue 514).
//     Those shapes are rewritten to `local (g), (s), (c) = explist` followed
//     by a loop over the three locals; pairs(t), s:gmatch(p) and the like
//     are left alone.
//   - Every concatenation with an operand that is not a string literal. The
//     VM's OP_CONCAT formats numbers with Go's shortest form ("1e+15" is
//     printed 1000000000000000) and cannot be bounded. Rewritten to a call
//     of a hidden function (see Open) that formats numbers as "%.14g",
//     honours __concat exactly as the VM order does, limits the result size
//     and names the offending operand in its error.
//   - A table constructor whose last field is keyed and whose value is a
//     call or ... ({1, k = f()}, {..., n = select("#", ...)}). The
//     compiler expands the last field's values into the array part
//     whether or not the field has a key. Rewritten to adjust the value
//     to one value.
//   - Decimal literals with leading zeros (0012), which the compiler reads
//     as octal. Rewritten without the zeros.
//   - Every %. The VM computes it with fmod (0.3 % 0.1 is 0.1 -
//     2.8e-17, 5 % (1/0) is 5); Lua 5.1 defines a % b as a - floor(a/b)*b.
//     Rewritten to a call of a hidden function that does that, honouring
//     __mod.
func Rewrite(chunk []ast.Stmt) []ast.Stmt { return rewrite(chunk, "") }

// rewrite is Rewrite with the chunk's source, which tells `local function
// f` (f visible in its body) from `local f = function` (f not visible):
// the parser gives both the same AST and the compiler treats both as the
// former.
func rewrite(chunk []ast.Stmt, src string) []ast.Stmt {
	return newRewriter(src, false).run(chunk)
}

func newRewriter(src string, collect bool) *rewriter {
	rw := &rewriter{fn: &fnScope{}, src: src, collect: collect}
	rw.fn.push()
	return rw
}

func (rw *rewriter) run(chunk []ast.Stmt) []ast.Stmt {
	out := rw.block(chunk)
	line := 1
	if len(chunk) > 0 {
		line = chunk[0].Line()
	}
	if rw.usedMod {
		out = append([]ast.Stmt{hiddenPrologue(modName, line)}, out...)
	}
	if rw.usedConcat {
		out = append([]ast.Stmt{hiddenPrologue(concatName, line)}, out...)
	}
	return out
}

type fnScope struct {
	parent *fnScope
	blocks [][]string
}

func (f *fnScope) push() { f.blocks = append(f.blocks, nil) }
func (f *fnScope) pop()  { f.blocks = f.blocks[:len(f.blocks)-1] }
func (f *fnScope) declare(n ...string) {
	f.blocks[len(f.blocks)-1] = append(f.blocks[len(f.blocks)-1], n...)
}

func (f *fnScope) has(name string) bool {
	for i := len(f.blocks) - 1; i >= 0; i-- {
		for _, n := range f.blocks[i] {
			if n == name {
				return true
			}
		}
	}
	return false
}

type rewriter struct {
	sites      []site // see errnames.go; recorded only when collect is set
	collect    bool
	src        string
	lines      []string
	fn         *fnScope
	tmp        int
	longTemps  bool // a statement needs more distinct temporaries than tempNames has
	usedConcat bool
	usedMod    bool
}

// varKind tells how the name resolves where it is used: a local, an
// upvalue or a global.
func (rw *rewriter) varKind(name string) uint8 {
	if rw.fn.has(name) {
		return descLocal
	}
	for f := rw.fn.parent; f != nil; f = f.parent {
		if f.has(name) {
			return descUpvalue
		}
	}
	return descGlobal
}

func (rw *rewriter) addSite(line int, s site) {
	if !rw.collect {
		return
	}
	s.line = int32(line)
	rw.sites = append(rw.sites, s)
}

func (rw *rewriter) indexSite(a *ast.AttrGetExpr) {
	if !rw.collect {
		return
	}
	if k, ok := a.Key.(*ast.StringExpr); ok {
		rw.addSite(a.Line(), site{kind: siteIndex, key: k.Value, d1: rw.describe(a.Object)})
	} else {
		rw.addSite(a.Line(), site{kind: siteIndex, anyKey: true, d1: rw.describe(a.Object)})
	}
}

var arithOps = map[string]string{"+": "add", "-": "sub", "*": "mul", "/": "div", "%": "mod", "^": "pow"}

// temp returns a hidden local name. Names only need to differ within one
// rewritten statement (each lives in its own do block), so a few fixed
// ones serve without allocating.
func (rw *rewriter) temp(kind string) string {
	rw.tmp++
	if !rw.longTemps {
		return tempNames[rw.tmp%len(tempNames)]
	}
	return "(" + kind + strconv.Itoa(rw.tmp) + ")"
}

var tempNames = func() []string {
	n := make([]string, 64)
	for i := range n {
		n[i] = "(t" + strconv.Itoa(i) + ")"
	}
	return n
}()

func (rw *rewriter) block(stmts []ast.Stmt) []ast.Stmt {
	for i := 0; i < len(stmts); i++ {
		st := stmts[i]
		if l, ok := st.(*ast.LocalAssignStmt); ok && rw.isLocalEqFunction(l) {
			// local f = function ... end: compile the function under a
			// hidden name first, so f inside it is the outer f.
			tmp := rw.temp("fn")
			first := &ast.LocalAssignStmt{Names: []string{tmp}, Exprs: l.Exprs}
			setLines(l.Line(), first)
			l.Exprs = []ast.Expr{ident(tmp, l.Line())}
			rw.function(first.Exprs[0].(*ast.FunctionExpr), false)
			rw.fn.declare(tmp)
			rw.fn.declare(l.Names...)
			stmts = append(stmts[:i], append([]ast.Stmt{first}, stmts[i:]...)...)
			i++
			continue
		}
		stmts[i] = rw.stmt(st)
	}
	return stmts
}

// isLocalEqFunction reports whether l is `local f = function ... end`
// rather than `local function f ... end`, judging by its source line.
func (rw *rewriter) isLocalEqFunction(l *ast.LocalAssignStmt) bool {
	if rw.src == "" || len(l.Names) != 1 || len(l.Exprs) != 1 {
		return false
	}
	if _, ok := l.Exprs[0].(*ast.FunctionExpr); !ok {
		return false
	}
	if rw.lines == nil {
		rw.lines = strings.Split(rw.src, "\n")
	}
	n := l.Line() - 1
	if n < 0 || n >= len(rw.lines) {
		return false
	}
	text := rw.lines[n]
	if localFunctionRe.MatchString(text) && strings.Contains(text, l.Names[0]) {
		for _, m := range localFunctionRe.FindAllStringSubmatch(text, -1) {
			if m[1] == l.Names[0] {
				return false
			}
		}
	}
	for _, m := range localEqRe.FindAllStringSubmatch(text, -1) {
		if m[1] == l.Names[0] {
			return true
		}
	}
	return false
}

var (
	localFunctionRe = regexp.MustCompile(`\blocal\s+function\s+([A-Za-z_][A-Za-z0-9_]*)`)
	localEqRe       = regexp.MustCompile(`\blocal\s+([A-Za-z_][A-Za-z0-9_]*)\s*=\s*function\b`)
)

func (rw *rewriter) scoped(stmts []ast.Stmt) []ast.Stmt {
	rw.fn.push()
	defer rw.fn.pop()
	return rw.block(stmts)
}

func (rw *rewriter) stmt(st ast.Stmt) ast.Stmt {
	switch s := st.(type) {
	case *ast.LocalAssignStmt:
		rw.exprs(s.Exprs)
		if len(s.Names) == 1 && len(s.Exprs) == 1 {
			if _, ok := s.Exprs[0].(*ast.FunctionExpr); ok {
				// local function f: f is in scope in its own body. The
				// parser produces this shape for `local function`; for
				// `local f = function` the compiler does the same.
				rw.fn.declare(s.Names...)
				return s
			}
		}
		rw.fn.declare(s.Names...)
	case *ast.AssignStmt:
		for _, l := range s.Lhs {
			if a, ok := l.(*ast.AttrGetExpr); ok {
				rw.indexSite(a)
				a.Object = rw.expr(a.Object)
				a.Key = rw.expr(a.Key)
			}
		}
		rw.exprs(s.Rhs)
		if len(s.Lhs) > 1 && rw.hasLocalTarget(s.Lhs) {
			return rw.multiAssign(s)
		}
	case *ast.FuncCallStmt:
		s.Expr = rw.expr(s.Expr)
	case *ast.DoBlockStmt:
		s.Stmts = rw.scoped(s.Stmts)
	case *ast.WhileStmt:
		s.Condition = rw.expr(s.Condition)
		s.Stmts = rw.scoped(s.Stmts)
	case *ast.RepeatStmt:
		rw.fn.push()
		s.Stmts = rw.block(s.Stmts)
		s.Condition = rw.expr(s.Condition)
		rw.fn.pop()
	case *ast.IfStmt:
		s.Condition = rw.expr(s.Condition)
		s.Then = rw.scoped(s.Then)
		s.Else = rw.scoped(s.Else)
	case *ast.NumberForStmt:
		s.Init = rw.expr(s.Init)
		s.Limit = rw.expr(s.Limit)
		if s.Step != nil {
			s.Step = rw.expr(s.Step)
		}
		rw.fn.push()
		rw.fn.declare(s.Name)
		s.Stmts = rw.block(s.Stmts)
		rw.fn.pop()
	case *ast.GenericForStmt:
		rw.exprs(s.Exprs)
		return rw.genericFor(s)
	case *ast.FuncDefStmt:
		if s.Name.Func != nil {
			if a, ok := s.Name.Func.(*ast.AttrGetExpr); ok {
				rw.indexSite(a)
				a.Object = rw.expr(a.Object)
			}
		} else {
			s.Name.Receiver = rw.expr(s.Name.Receiver)
		}
		rw.function(s.Func, s.Name.Func == nil)
	case *ast.ReturnStmt:
		rw.exprs(s.Exprs)
	}
	return st
}

func (rw *rewriter) hasLocalTarget(lhs []ast.Expr) bool {
	for _, l := range lhs {
		if id, ok := l.(*ast.IdentExpr); ok && rw.fn.has(id.Value) {
			return true
		}
	}
	return false
}

func isConst(e ast.Expr) bool {
	switch e.(type) {
	case *ast.StringExpr, *ast.NumberExpr, *ast.NilExpr, *ast.TrueExpr, *ast.FalseExpr:
		return true
	}
	return false
}

func ident(name string, line int) *ast.IdentExpr {
	id := &ast.IdentExpr{Value: name}
	setLines(line, id)
	return id
}

// multiAssign turns `l1, ..., ln = e1, ..., em` into
//
//	do
//	  local (p1), (k1), ... = <prefix and key of each table target>
//	  local (v1), ..., (vn) = e1, ..., em
//	  ln = (vn) ... l1 = (v1)
//	end
func (rw *rewriter) multiAssign(s *ast.AssignStmt) ast.Stmt {
	if 3*len(s.Lhs) >= len(tempNames) {
		rw.longTemps = true
		defer func() { rw.longTemps = false }()
	}
	line := s.Line()
	targets := map[string]bool{}
	for _, l := range s.Lhs {
		if id, ok := l.(*ast.IdentExpr); ok {
			targets[id.Value] = true
		}
	}
	stable := func(e ast.Expr) bool {
		if isConst(e) {
			return true
		}
		id, ok := e.(*ast.IdentExpr)
		return ok && !targets[id.Value]
	}
	var hoistNames []string
	var hoistExprs []ast.Expr
	hoist := func(e ast.Expr) ast.Expr {
		if stable(e) {
			return e
		}
		n := rw.temp("lhs")
		hoistNames = append(hoistNames, n)
		hoistExprs = append(hoistExprs, e)
		return ident(n, e.Line())
	}
	lhs := make([]ast.Expr, len(s.Lhs))
	for i, l := range s.Lhs {
		if a, ok := l.(*ast.AttrGetExpr); ok {
			na := &ast.AttrGetExpr{Object: hoist(a.Object), Key: hoist(a.Key)}
			na.SetLine(a.Line())
			na.SetLastLine(a.LastLine())
			lhs[i] = na
		} else {
			lhs[i] = l
		}
	}
	var body []ast.Stmt
	if len(hoistNames) > 0 {
		st := &ast.LocalAssignStmt{Names: hoistNames, Exprs: hoistExprs}
		setLines(line, st)
		body = append(body, st)
	}
	vals := make([]string, len(lhs))
	for i := range vals {
		vals[i] = rw.temp("rhs")
	}
	st := &ast.LocalAssignStmt{Names: vals, Exprs: s.Rhs}
	setLines(line, st)
	body = append(body, st)
	for i := len(lhs) - 1; i >= 0; i-- {
		a := &ast.AssignStmt{Lhs: []ast.Expr{lhs[i]}, Rhs: []ast.Expr{ident(vals[i], lhs[i].Line())}}
		a.SetLine(lhs[i].Line())
		a.SetLastLine(lhs[i].Line())
		body = append(body, a)
	}
	do := &ast.DoBlockStmt{Stmts: body}
	do.SetLine(line)
	do.SetLastLine(s.LastLine())
	return do
}

// forNeedsHoist reports whether a generic for's explist has a shape the
// compiler gets wrong: fewer than three values without a multi-value call
// or ... last (the missing values are not reset on re-entry), or a call or
// ... nested in the prefix of the first expression (compiled at the base
// register, where its result is overwritten).
func forNeedsHoist(exprs []ast.Expr) bool {
	if len(exprs) == 0 {
		return false
	}
	if len(exprs) < 3 && !isVarArgReturn(exprs[len(exprs)-1]) {
		return true
	}
	first := exprs[0]
	if c, ok := first.(*ast.FuncCallExpr); ok {
		if c.Func != nil {
			return prefixHasCall(c.Func)
		}
		return prefixHasCall(c.Receiver)
	}
	return prefixHasCall(first)
}

func isVarArgReturn(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.FuncCallExpr:
		return !x.AdjustRet
	case *ast.Comma3Expr:
		return !x.AdjustRet
	}
	return false
}

// prefixHasCall reports whether e, compiled at the base register, contains
// a call or ... whose result the compiler would treat as a live local.
func prefixHasCall(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.IdentExpr, *ast.StringExpr, *ast.NumberExpr, *ast.NilExpr, *ast.TrueExpr, *ast.FalseExpr:
		return false
	case *ast.AttrGetExpr:
		return prefixHasCall(x.Object) || !isSimple(x.Key)
	}
	return true
}

func isSimple(e ast.Expr) bool {
	switch e.(type) {
	case *ast.IdentExpr, *ast.StringExpr, *ast.NumberExpr, *ast.NilExpr, *ast.TrueExpr, *ast.FalseExpr:
		return true
	}
	return false
}

// genericFor hoists the explist into three fresh locals when its shape
// needs it (see Rewrite and forNeedsHoist).
func (rw *rewriter) genericFor(s *ast.GenericForStmt) ast.Stmt {
	if !forNeedsHoist(s.Exprs) {
		rw.fn.push()
		rw.fn.declare(s.Names...)
		s.Stmts = rw.block(s.Stmts)
		rw.fn.pop()
		return s
	}
	line := s.Line()
	names := []string{rw.temp("for"), rw.temp("for"), rw.temp("for")}
	decl := &ast.LocalAssignStmt{Names: names, Exprs: s.Exprs}
	setLines(line, decl)
	s.Exprs = []ast.Expr{ident(names[0], line), ident(names[1], line), ident(names[2], line)}
	rw.fn.push()
	rw.fn.declare(s.Names...)
	s.Stmts = rw.block(s.Stmts)
	rw.fn.pop()
	do := &ast.DoBlockStmt{Stmts: []ast.Stmt{decl, s}}
	do.SetLine(line)
	do.SetLastLine(s.LastLine())
	return do
}

func (rw *rewriter) function(f *ast.FunctionExpr, method bool) {
	rw.fn = &fnScope{parent: rw.fn}
	rw.fn.push()
	if method {
		rw.fn.declare("self")
	}
	rw.fn.declare(f.ParList.Names...)
	if f.ParList.HasVargs {
		rw.fn.declare("arg") // LUA_COMPAT_VARARG, as gopher-lua compiles it
	}
	f.Stmts = rw.block(f.Stmts)
	rw.fn = rw.fn.parent
}

func (rw *rewriter) exprs(es []ast.Expr) {
	for i, e := range es {
		es[i] = rw.expr(e)
	}
}

func (rw *rewriter) expr(e ast.Expr) ast.Expr {
	switch x := e.(type) {
	case *ast.AttrGetExpr:
		rw.indexSite(x)
		x.Object = rw.expr(x.Object)
		x.Key = rw.expr(x.Key)
	case *ast.FuncCallExpr:
		if x.Func != nil {
			if rw.collect {
				rw.addSite(x.Line(), site{kind: siteCall, d1: rw.describe(x.Func)})
			}
			x.Func = rw.expr(x.Func)
		} else {
			if rw.collect {
				rw.addSite(x.Line(), site{kind: siteIndex, key: x.Method, d1: rw.describe(x.Receiver)})
			}
			rw.addSite(x.Line(), site{kind: siteCall, d1: desc{descMethod, x.Method}})
			x.Receiver = rw.expr(x.Receiver)
		}
		rw.exprs(x.Args)
	case *ast.LogicalOpExpr:
		x.Lhs = rw.expr(x.Lhs)
		x.Rhs = rw.expr(x.Rhs)
	case *ast.RelationalOpExpr:
		x.Lhs = rw.expr(x.Lhs)
		x.Rhs = rw.expr(x.Rhs)
	case *ast.ArithmeticOpExpr:
		if rw.collect {
			rw.addSite(x.Line(), site{kind: siteArith, op: arithOps[x.Operator], d1: rw.describe(x.Lhs), d2: rw.describe(x.Rhs)})
		}
		x.Lhs = rw.expr(x.Lhs)
		x.Rhs = rw.expr(x.Rhs)
		if x.Operator == "%" {
			// Lua 5.1's a % b is a - floor(a/b)*b; the VM computes it
			// with fmod, which differs for fractions and infinities.
			rw.usedMod = true
			call := &ast.FuncCallExpr{Func: ident(modName, x.Line()), Args: []ast.Expr{oneValue(x.Lhs), oneValue(x.Rhs)}, AdjustRet: true}
			call.SetLine(x.Line())
			call.SetLastLine(x.LastLine())
			return call
		}
	case *ast.UnaryMinusOpExpr:
		if rw.collect {
			rw.addSite(x.Line(), site{kind: siteUnm, d1: rw.describe(x.Expr)})
		}
		x.Expr = rw.expr(x.Expr)
	case *ast.UnaryNotOpExpr:
		x.Expr = rw.expr(x.Expr)
	case *ast.UnaryLenOpExpr:
		if rw.collect {
			rw.addSite(x.Line(), site{kind: siteLen, d1: rw.describe(x.Expr)})
		}
		x.Expr = rw.expr(x.Expr)
	case *ast.TableExpr:
		for _, f := range x.Fields {
			if f.Key != nil {
				f.Key = rw.expr(f.Key)
			}
			f.Value = rw.expr(f.Value)
			if f.Key != nil {
				// Only a positional last field expands; the compiler
				// tests the last field's value whatever its kind, so a
				// keyed call or ... would also fill the array part:
				// {1, k = f()} stored f's results at 2, 3, ...
				f.Value = oneValue(f.Value)
			}
		}
	case *ast.NumberExpr:
		x.Value = decimalLiteral(x.Value)
	case *ast.FunctionExpr:
		rw.function(x, false)
	case *ast.StringConcatOpExpr:
		return rw.concat(x)
	}
	return e
}

// decimalLiteral strips the leading zeros of an all-digit literal: the
// compiler converts literals with strconv.ParseInt(s, 0, 64), which reads
// 0012 as octal (10); Lua 5.1 reads every literal but 0x... as decimal.
// Literals with a point or an exponent go to ParseFloat, which is decimal.
func decimalLiteral(s string) string {
	if len(s) < 2 || s[0] != '0' {
		return s
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return s
		}
	}
	s = strings.TrimLeft(s, "0")
	if s == "" {
		return "0"
	}
	return s
}

// oneValue makes a call or ... give exactly one value, as an operand
// does. As the last argument of the call an operator is rewritten into, it
// would otherwise pass all its values: "z=" .. s:gsub("%s", "") became
// (concat)("z=", <string>, <count>).
func oneValue(e ast.Expr) ast.Expr {
	switch x := e.(type) {
	case *ast.FuncCallExpr:
		x.AdjustRet = true
	case *ast.Comma3Expr:
		x.AdjustRet = true
	}
	return e
}

// concat replaces a chain a .. b .. c with (concat)(a, b, c). An error
// names the operand from the chunk's sites (siteConcat), like other errors.
func (rw *rewriter) concat(x *ast.StringConcatOpExpr) ast.Expr {
	ops := []ast.Expr{x.Lhs}
	cur := x.Rhs
	for {
		c, ok := cur.(*ast.StringConcatOpExpr)
		if !ok {
			break
		}
		ops = append(ops, c.Lhs)
		cur = c.Rhs
	}
	ops = append(ops, cur)
	allStrings := true
	var descs []desc
	if rw.collect {
		descs = make([]desc, len(ops))
	}
	for i, op := range ops {
		ops[i] = rw.expr(op)
		if _, ok := ops[i].(*ast.StringExpr); !ok {
			allStrings = false
		}
		if rw.collect {
			descs[i] = rw.describe(ops[i])
		}
	}
	if allStrings {
		return x
	}
	line := x.Line()
	if rw.collect {
		rw.addSite(line, site{kind: siteConcat, ops: descs})
	}
	rw.usedConcat = true
	for i := range ops {
		ops[i] = oneValue(ops[i])
	}
	call := &ast.FuncCallExpr{Func: ident(concatName, line), Args: ops, AdjustRet: true}
	call.SetLine(line)
	call.SetLastLine(x.LastLine())
	return call
}

// describe names an operand as Lua 5.1's error messages do: "local 'x'",
// "global 'x'", "upvalue 'x'", "field 'k'" ("field '?'" for a computed
// key), or nothing when it has no name.
func (rw *rewriter) describe(e ast.Expr) desc {
	switch x := e.(type) {
	case *ast.IdentExpr:
		if strings.HasPrefix(x.Value, "(") {
			return desc{}
		}
		return desc{rw.varKind(x.Value), x.Value}
	case *ast.AttrGetExpr:
		if k, ok := x.Key.(*ast.StringExpr); ok {
			return desc{descField, k.Value}
		}
		return desc{descField, "?"} // Lua 5.1 names only constant string keys
	}
	return desc{}
}
