// Package shell builds POSIX shell text safely: quoting single words and
// joining argument vectors so that a shell reads them back unchanged.
package shell

import "strings"

// Quote returns s as one single-quoted shell word. Every byte stands for
// itself inside single quotes, except the quote, which is closed, escaped
// and reopened.
func Quote(s string) string {
	if s != "" && isSafe(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Join quotes each element of argv and joins them with spaces, so that
// `sh -c Join(argv)` runs argv[0] with exactly the arguments argv[1:].
func Join(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = Quote(a)
	}
	return strings.Join(q, " ")
}

// isSafe reports whether s needs no quotes: only characters that no POSIX
// shell treats specially anywhere in a word ('=' is left out: a first word
// holding one would be read as an assignment).
func isSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("_-./,:@%+", c) >= 0:
		default:
			return false
		}
	}
	return true
}
