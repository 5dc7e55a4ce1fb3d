package luabind

import "math"

// maxPTYSize bounds PTY columns and rows, as the server does.
const maxPTYSize = 1000

// ptySizeOK reports whether n is a whole number of columns or rows in
// min..1000; NaN, infinities and fractions such as 0.5 are refused rather
// than truncated into a size nobody asked for.
func ptySizeOK(n float64, min float64) bool {
	return n == math.Trunc(n) && n >= min && n <= maxPTYSize
}
