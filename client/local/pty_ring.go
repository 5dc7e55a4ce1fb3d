//go:build linux

package local

// ptyRing keeps the most recent output of a PTY for late attachers. It grows
// up to its limit instead of allocating it up front, so idle PTYs stay small;
// once full it is a circular buffer whose oldest byte is at start.
type ptyRing struct {
	limit int
	buf   []byte
	start int   // oldest byte when full
	full  bool  // len(buf) == limit and writes wrap
	total int64 // bytes ever written
}

func (r *ptyRing) write(p []byte) {
	r.total += int64(len(p))
	if len(p) > r.limit {
		p = p[len(p)-r.limit:]
	}
	if !r.full {
		if len(r.buf)+len(p) <= r.limit {
			r.buf = append(r.buf, p...)
			return
		}
		nb := make([]byte, r.limit)
		keep := r.limit - len(p)
		copy(nb, r.buf[len(r.buf)-keep:])
		copy(nb[keep:], p)
		r.buf, r.start, r.full = nb, 0, true
		return
	}
	n := copy(r.buf[r.start:], p)
	copy(r.buf, p[n:])
	r.start = (r.start + len(p)) % r.limit
}

// snapshot returns a copy of the retained bytes, oldest first, and whether
// older output was dropped.
func (r *ptyRing) snapshot() ([]byte, bool) {
	out := make([]byte, 0, len(r.buf))
	if r.full {
		out = append(out, r.buf[r.start:]...)
		out = append(out, r.buf[:r.start]...)
	} else {
		out = append(out, r.buf...)
	}
	return out, r.total > int64(len(out))
}
