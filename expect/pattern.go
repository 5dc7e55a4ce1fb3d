package expect

import (
	"bytes"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"time"
)

// A Pattern is something Expect waits for: a Literal, a Regexp, or one of
// the sentinels EOF and Timeout.
type Pattern interface {
	// find returns the index pairs of the leftmost match in b, as
	// regexp.FindSubmatchIndex does, or nil.
	find(b []byte) []int
	// String describes the pattern for error messages.
	String() string
}

type literal string

// Literal matches s exactly, with no special characters, so prompts such as
// "$ " or "[root@x]#" need no escaping.
func Literal(s string) Pattern { return literal(s) }

func (l literal) find(b []byte) []int {
	i := bytes.Index(b, []byte(l))
	if i < 0 {
		return nil
	}
	return []int{i, i + len(l)}
}

func (l literal) String() string { return "literal " + strconv.Quote(string(l)) }

func (l literal) text() string { return string(l) }

// plainRegexp is a regular expression that only matches one fixed string,
// such as `Password:` or `\$ `; it is searched like a literal (incrementally,
// with no regexp engine).
type plainRegexp struct {
	literal
	expr string
}

func (p plainRegexp) String() string { return "regexp " + strconv.Quote(p.expr) }

// literalPattern is a pattern matching a fixed string.
type literalPattern interface {
	Pattern
	text() string
}

// newRegexp returns the cheapest pattern equivalent to re.
func newRegexp(re *regexp.Regexp) Pattern {
	if prefix, complete := re.LiteralPrefix(); complete && prefix != "" && re.NumSubexp() == 0 {
		return plainRegexp{literal(prefix), re.String()}
	}
	return regex{re, singleLine(re)}
}

// singleLine reports whether re can never match a newline and never looks
// for the start of the text (\A or ^ without (?m)).
func singleLine(re *regexp.Regexp) bool {
	tree, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return false
	}
	var ok func(*syntax.Regexp) bool
	ok = func(n *syntax.Regexp) bool {
		switch n.Op {
		case syntax.OpAnyChar, syntax.OpBeginText:
			return false
		case syntax.OpLiteral:
			for _, r := range n.Rune {
				if r == '\n' {
					return false
				}
			}
		case syntax.OpCharClass:
			for i := 0; i+1 < len(n.Rune); i += 2 {
				if n.Rune[i] <= '\n' && '\n' <= n.Rune[i+1] {
					return false
				}
			}
		}
		for _, sub := range n.Sub {
			if !ok(sub) {
				return false
			}
		}
		return true
	}
	return ok(tree)
}

type regex struct {
	re *regexp.Regexp
	// singleLine: no match can contain a newline and the expression does
	// not anchor at the start of the text, so a search may start at any
	// line start with the same results (see advance).
	singleLine bool
}

// Compile returns a pattern for the regular expression expr (RE2 syntax, as
// package regexp). Matching runs on a stream, against whatever has arrived
// so far: a trailing `.*` or `\d+` takes only what is there when the match is
// found, and `$` matches at the current end of the received text, which is
// rarely what is meant; match the line ending (`\r?\n` on a PTY) or the
// prompt text instead. An expression that can only match one fixed string
// (such as `Password:` or `\$ `) is searched as a Literal.
func Compile(expr string) (Pattern, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("expect: bad pattern: %w", err)
	}
	return newRegexp(re), nil
}

// Regexp is like Compile but panics if expr is invalid; use it for patterns
// written in the program.
func Regexp(expr string) Pattern { return newRegexp(regexp.MustCompile(expr)) }

// RegexpOf wraps a compiled regular expression.
func RegexpOf(re *regexp.Regexp) Pattern { return newRegexp(re) }

func (r regex) find(b []byte) []int { return r.re.FindSubmatchIndex(b) }

func (r regex) String() string { return "regexp " + strconv.Quote(r.re.String()) }

type eofPattern struct{}

// EOF matches the end of the stream: when it is among the patterns, the
// stream's end (or a read error) is a successful outcome with EOF's index,
// and Result.Before holds the rest of the buffer.
var EOF Pattern = eofPattern{}

func (eofPattern) find([]byte) []int { return nil }
func (eofPattern) String() string    { return "EOF" }

type timeoutPattern time.Duration

// Timeout sets this call's timeout to d and makes its expiry a successful
// outcome with this pattern's index. The buffer is then left unconsumed and
// Result.Before shows it. With several Timeout patterns the shortest wins.
func Timeout(d time.Duration) Pattern { return timeoutPattern(d) }

func (timeoutPattern) find([]byte) []int { return nil }
func (t timeoutPattern) String() string  { return "timeout " + time.Duration(t).String() }
