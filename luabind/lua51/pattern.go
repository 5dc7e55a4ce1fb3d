package lua51

import "fmt"

// This file is a Lua 5.1 pattern matcher (the language of string.find,
// match, gmatch and gsub), written from the reference manual's
// description: character classes %a %c %d %l %p %s %u %w %x %z and their
// complements, sets [...] with ranges and classes, the quantifiers * + - ?,
// anchors ^ and $, captures including position captures (), back
// references %1-%9, balanced matches %bxy and frontiers %f[set]. Bytes are
// classified in the C locale, as lua5.1 does by default.

const (
	maxCaptures   = 32
	capUnfinished = -1
	capPosition   = -2
	maxMatchDepth = 200000 // recursion bound; PUC-Rio is bounded by the C stack
)

// patternError is raised (as a Lua error by the caller) for a malformed
// pattern.
type patternError struct{ msg string }

func (e *patternError) Error() string { return e.msg }

type matchState struct {
	src    string
	pat    string
	level  int
	depth  int
	starts [maxCaptures]int
	lens   [maxCaptures]int
}

func (ms *matchState) fail(format string, args ...any) {
	panic(&patternError{fmt.Sprintf(format, args...)})
}

func classMatch(c byte, cl byte) bool {
	var res bool
	lower := cl | 0x20
	switch lower {
	case 'a':
		res = isAlpha(c)
	case 'c':
		res = c < 32 || c == 127
	case 'd':
		res = c >= '0' && c <= '9'
	case 'l':
		res = c >= 'a' && c <= 'z'
	case 'p':
		res = isPunct(c)
	case 's':
		res = isSpace(c)
	case 'u':
		res = c >= 'A' && c <= 'Z'
	case 'w':
		res = isAlpha(c) || (c >= '0' && c <= '9')
	case 'x':
		res = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
	case 'z':
		res = c == 0
	default:
		return cl == c
	}
	if cl >= 'A' && cl <= 'Z' {
		return !res
	}
	return res
}

func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

func isPunct(c byte) bool {
	return c > 32 && c < 127 && !isAlpha(c) && !(c >= '0' && c <= '9')
}

// classEnd returns the index just past the single-character class at p.
func (ms *matchState) classEnd(p int) int {
	pat := ms.pat
	c := pat[p]
	p++
	if c == '%' {
		if p >= len(pat) {
			ms.fail("malformed pattern (ends with '%%')")
		}
		return p + 1
	}
	if c == '[' {
		if p < len(pat) && pat[p] == '^' {
			p++
		}
		for { // look for a ']'; the first character of the set is literal
			if p >= len(pat) {
				ms.fail("malformed pattern (missing ']')")
			}
			c := pat[p]
			p++
			if c == '%' && p < len(pat) {
				p++ // an escape such as %]
			}
			if p < len(pat) && pat[p] == ']' {
				return p + 1
			}
		}
	}
	return p
}

// matchSet reports whether c is in the set pat[p:ec], where pat[p] is '['
// and pat[ec] is the closing ']'.
func (ms *matchState) matchSet(c byte, p, ec int) bool {
	pat := ms.pat
	sig := true
	p++
	if pat[p] == '^' {
		sig = false
		p++
	}
	for ; p < ec; p++ {
		switch {
		case pat[p] == '%' && p+1 < ec:
			p++
			if classMatch(c, pat[p]) {
				return sig
			}
		case p+2 < ec && pat[p+1] == '-':
			if pat[p] <= c && c <= pat[p+2] {
				return sig
			}
			p += 2
		default:
			if pat[p] == c {
				return sig
			}
		}
	}
	return !sig
}

func (ms *matchState) singleMatch(s, p, ep int) bool {
	if s >= len(ms.src) {
		return false
	}
	c := ms.src[s]
	switch ms.pat[p] {
	case '.':
		return true
	case '%':
		return classMatch(c, ms.pat[p+1])
	case '[':
		return ms.matchSet(c, p, ep-1)
	default:
		return ms.pat[p] == c
	}
}

// match returns the end of the match of pat[p:] at src[s:], or -1.
func (ms *matchState) match(s, p int) int {
	ms.depth++
	if ms.depth > maxMatchDepth {
		ms.fail("pattern too complex")
	}
	r := ms.doMatch(s, p)
	ms.depth--
	return r
}

func (ms *matchState) doMatch(s, p int) int {
	pat := ms.pat
	for {
		if p >= len(pat) {
			return s
		}
		switch pat[p] {
		case '(':
			if p+1 < len(pat) && pat[p+1] == ')' {
				return ms.startCapture(s, p+2, capPosition)
			}
			return ms.startCapture(s, p+1, capUnfinished)
		case ')':
			return ms.endCapture(s, p+1)
		case '$':
			if p+1 == len(pat) {
				if s == len(ms.src) {
					return s
				}
				return -1
			}
		case '%':
			if p+1 < len(pat) {
				switch pat[p+1] {
				case 'b':
					s = ms.matchBalance(s, p+2)
					if s == -1 {
						return -1
					}
					p += 4
					continue
				case 'f':
					p += 2
					if p >= len(pat) || pat[p] != '[' {
						ms.fail("missing '[' after '%%f' in pattern")
					}
					ep := ms.classEnd(p)
					var prev, cur byte
					if s > 0 {
						prev = ms.src[s-1]
					}
					if s < len(ms.src) {
						cur = ms.src[s]
					}
					if !ms.matchSet(prev, p, ep-1) && ms.matchSet(cur, p, ep-1) {
						p = ep
						continue
					}
					return -1
				default:
					if d := pat[p+1]; d >= '0' && d <= '9' {
						s = ms.matchCapture(s, d)
						if s == -1 {
							return -1
						}
						p += 2
						continue
					}
				}
			}
		}
		ep := ms.classEnd(p)
		m := ms.singleMatch(s, p, ep)
		if ep < len(pat) {
			switch pat[ep] {
			case '?':
				if m {
					if r := ms.match(s+1, ep+1); r != -1 {
						return r
					}
				}
				p = ep + 1
				continue
			case '*':
				return ms.maxExpand(s, p, ep)
			case '+':
				if !m {
					return -1
				}
				return ms.maxExpand(s+1, p, ep)
			case '-':
				return ms.minExpand(s, p, ep)
			}
		}
		if !m {
			return -1
		}
		s++
		p = ep
	}
}

func (ms *matchState) maxExpand(s, p, ep int) int {
	i := 0
	for ms.singleMatch(s+i, p, ep) {
		i++
	}
	for ; i >= 0; i-- {
		if r := ms.match(s+i, ep+1); r != -1 {
			return r
		}
	}
	return -1
}

func (ms *matchState) minExpand(s, p, ep int) int {
	for {
		if r := ms.match(s, ep+1); r != -1 {
			return r
		}
		if !ms.singleMatch(s, p, ep) {
			return -1
		}
		s++
	}
}

func (ms *matchState) startCapture(s, p, what int) int {
	if ms.level >= maxCaptures {
		ms.fail("too many captures")
	}
	ms.starts[ms.level] = s
	ms.lens[ms.level] = what
	ms.level++
	r := ms.match(s, p)
	if r == -1 {
		ms.level--
	}
	return r
}

func (ms *matchState) endCapture(s, p int) int {
	l := -1
	for i := ms.level - 1; i >= 0; i-- {
		if ms.lens[i] == capUnfinished {
			l = i
			break
		}
	}
	if l < 0 {
		ms.fail("invalid pattern capture")
	}
	ms.lens[l] = s - ms.starts[l]
	r := ms.match(s, p)
	if r == -1 {
		ms.lens[l] = capUnfinished
	}
	return r
}

func (ms *matchState) matchBalance(s, p int) int {
	if p+1 >= len(ms.pat) {
		ms.fail("unbalanced pattern")
	}
	if s >= len(ms.src) || ms.src[s] != ms.pat[p] {
		return -1
	}
	b, e := ms.pat[p], ms.pat[p+1]
	cont := 1
	for i := s + 1; i < len(ms.src); i++ {
		switch ms.src[i] {
		case e:
			cont--
			if cont == 0 {
				return i + 1
			}
		case b:
			cont++
		}
	}
	return -1
}

func (ms *matchState) matchCapture(s int, d byte) int {
	l := int(d - '1')
	if l < 0 || l >= ms.level || ms.lens[l] == capUnfinished {
		ms.fail("invalid capture index")
	}
	n := ms.lens[l]
	if n == capPosition {
		n = 0
	}
	if len(ms.src)-s >= n && ms.src[ms.starts[l]:ms.starts[l]+n] == ms.src[s:s+n] {
		return s + n
	}
	return -1
}

// capture is one capture value: a string, or a position when pos > 0.
type capture struct {
	s   string
	pos int
}

// capture returns capture i of the match src[s:e]; with no captures,
// capture 0 is the whole match.
func (ms *matchState) capture(i, s, e int) capture {
	if i >= ms.level {
		if i == 0 {
			return capture{s: ms.src[s:e]}
		}
		ms.fail("invalid capture index")
	}
	switch n := ms.lens[i]; n {
	case capUnfinished:
		ms.fail("unfinished capture")
	case capPosition:
		return capture{pos: ms.starts[i] + 1}
	default:
		return capture{s: ms.src[ms.starts[i] : ms.starts[i]+n]}
	}
	return capture{}
}

// captures returns every capture of the match src[s:e] (the whole match
// when the pattern has none).
func (ms *matchState) captures(s, e int, wholeIfNone bool) []capture {
	n := ms.level
	if n == 0 && wholeIfNone {
		n = 1
	}
	out := make([]capture, n)
	for i := range n {
		out[i] = ms.capture(i, s, e)
	}
	return out
}

func (ms *matchState) reset() {
	ms.level = 0
	ms.depth = 0
}
