package lua51

import (
	"math"

	lua "github.com/yuin/gopher-lua"
)

// math.random and math.randomseed as Lua 5.1 defines them on C's rand()
// and srand(), on a generator of the state's own: gopher-lua's use Go's
// global generator, and rand.Seed is a no-op in recent Go, so
// math.randomseed had no effect. The generator is glibc's random() (the
// additive feedback generator behind rand() on Linux), so a seed gives the
// sequence lua5.1 gives on glibc, and an unseeded state starts as
// srand(1), as C's does. Other C libraries have other generators: the
// sequence is reproducible within procsh, not portable across C
// libraries.

const randMax = 2147483647 // glibc's RAND_MAX

// glibcRand is glibc's random_r with the default TYPE_3 state (degree 31,
// separation 3).
type glibcRand struct {
	state      [31]int32
	fptr, rptr int
}

func newGlibcRand(seed uint32) *glibcRand {
	r := &glibcRand{}
	r.seed(seed)
	return r
}

// seed is srandom_r: the state filled by the Park-Miller generator, then
// 310 outputs discarded.
func (r *glibcRand) seed(seed uint32) {
	if seed == 0 {
		seed = 1
	}
	r.state[0] = int32(seed)
	word := int64(int32(seed))
	for i := 1; i < len(r.state); i++ {
		hi, lo := word/127773, word%127773
		word = 16807*lo - 2836*hi
		if word < 0 {
			word += 2147483647
		}
		r.state[i] = int32(word)
	}
	r.fptr, r.rptr = 3, 0
	for range 10 * len(r.state) {
		r.next()
	}
}

// next is random_r: a value in [0, RAND_MAX].
func (r *glibcRand) next() int32 {
	val := uint32(r.state[r.fptr]) + uint32(r.state[r.rptr])
	r.state[r.fptr] = int32(val)
	result := int32(val >> 1)
	r.fptr++
	if r.fptr >= len(r.state) {
		r.fptr = 0
		r.rptr++
	} else {
		r.rptr++
		if r.rptr >= len(r.state) {
			r.rptr = 0
		}
	}
	return result
}

// toCInt converts as luaL_checkint does on amd64: to ptrdiff_t
// (toInteger), then to int, keeping the low 32 bits.
func toCInt(f float64) int32 { return int32(toInteger(f)) }

func (lib *library) mathRandom(L *lua.LState) int {
	r := float64(lib.rand.next()%randMax) / randMax
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(r))
	case 1:
		u := toCInt(checkNumber(L, 1, "random"))
		if u < 1 {
			argError(L, 1, "random", "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u)) + 1))
	case 2:
		l := toCInt(checkNumber(L, 1, "random"))
		u := toCInt(checkNumber(L, 2, "random"))
		if l > u {
			argError(L, 2, "random", "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u-l+1)) + float64(l))) // u-l+1 wraps as C's int does
	default:
		raise(L, "wrong number of arguments")
	}
	return 1
}

func (lib *library) mathRandomseed(L *lua.LState) int {
	lib.rand.seed(uint32(toCInt(checkNumber(L, 1, "randomseed"))))
	return 0
}
