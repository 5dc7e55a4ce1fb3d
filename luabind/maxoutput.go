package luabind

import (
	"math"

	"github.com/procsh/procsh/internal/luaargs"
)

// maxOutputOpt reads the max_output option: the bytes a result keeps
// (absent or 0: client.DefaultMaxOutput; -1 or math.huge: no cap).
func maxOutputOpt(o *luaargs.Opts) int64 {
	v := o.Number("max_output", 0)
	switch {
	case math.IsInf(v, 1):
		return -1
	case v != math.Trunc(v) || v < -1 || v > math.MaxInt64/2:
		o.Bad("max_output", "must be a whole number of bytes (-1 for no cap)")
	}
	return int64(v)
}
