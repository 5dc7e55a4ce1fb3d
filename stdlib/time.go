package stdlib

import (
	"context"
	"math"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/internal/luaargs"
)

// processStart anchors time.monotonic; Go's time.Since reads the monotonic
// clock, so the result never jumps when the wall clock is set.
var processStart = time.Now()

// defaultLayout is RFC 3339 with fractional seconds when there are any.
const defaultLayout = time.RFC3339Nano

// timeLoader builds the time module:
//
//	time.now() -> seconds since the Unix epoch (float, sub-second precision)
//	time.monotonic() -> seconds since an arbitrary fixed point (float, never goes back)
//	time.sleep(seconds)                 -- raises if the run is cancelled meanwhile
//	time.format([t [, layout [, {utc=}]]]) -> string   -- Go layout, default RFC 3339
//	time.parse(text [, layout]) -> seconds | nil, message
func timeLoader(st *state) lua.LGFunction {
	return func(L *lua.LState) int {
		mod := L.NewTable()
		L.SetFuncs(mod, map[string]lua.LGFunction{
			"now":       timeNow,
			"monotonic": timeMonotonic,
			"sleep":     st.timeSleep,
			"format":    timeFormat,
			"parse":     timeParse,
		})
		L.Push(mod)
		return 1
	}
}

func timeNow(L *lua.LState) int {
	L.Push(lua.LNumber(float64(time.Now().UnixNano()) / 1e9))
	return 1
}

func timeMonotonic(L *lua.LState) int {
	L.Push(lua.LNumber(time.Since(processStart).Seconds()))
	return 1
}

func (st *state) timeSleep(L *lua.LState) int {
	s := luaargs.CheckNumber(L, "time.sleep", 1, "seconds")
	if math.IsNaN(s) || s < 0 {
		luaargs.ArgError(L, "time.sleep", 1, "seconds", "must be a non-negative number")
	}
	d := luaargs.Seconds(s)
	err := st.opts.Block(L, "time.sleep", func(ctx context.Context) error {
		if d <= 0 {
			return nil
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	if err != nil {
		L.RaiseError("time.sleep: %v", err)
	}
	return 0
}

func timeFormat(L *lua.LState) int {
	var t time.Time
	if L.Get(1) == lua.LNil {
		t = time.Now()
	} else {
		s := luaargs.CheckNumber(L, "time.format", 1, "t")
		if math.IsNaN(s) || math.IsInf(s, 0) || math.Abs(s) > 1e15 {
			luaargs.ArgError(L, "time.format", 1, "t", "must be a finite number of seconds")
		}
		sec, frac := math.Modf(s)
		t = time.Unix(int64(sec), int64(math.Round(frac*1e9)))
	}
	layout := luaargs.OptString(L, "time.format", 2, "layout", defaultLayout)
	o := luaargs.CheckOpts(L, "time.format", 3)
	utc := o.Bool("utc", false)
	o.Done()
	if utc {
		t = t.UTC()
	}
	L.Push(lua.LString(t.Format(layout)))
	return 1
}

func timeParse(L *lua.LState) int {
	text := luaargs.CheckString(L, "time.parse", 1, "text")
	layout := luaargs.OptString(L, "time.parse", 2, "layout", defaultLayout)
	t, err := time.Parse(layout, text)
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString("time.parse: " + err.Error()))
		return 2
	}
	L.Push(lua.LNumber(float64(t.Unix()) + float64(t.Nanosecond())/1e9))
	return 1
}
