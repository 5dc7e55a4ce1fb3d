package expect

// ansiStripper removes terminal escape sequences (CSI, OSC, DCS and other
// string sequences, and two-byte escapes) from a stream. It keeps its state
// between calls, so a sequence split across reads is still removed.
type ansiStripper struct{ state int }

const (
	ansiGround = iota
	ansiEsc    // after ESC
	ansiCSI    // in ESC [ ...
	ansiString // in ESC ] / ESC P / ESC X / ESC ^ / ESC _ ... up to BEL or ESC \
	ansiStrEsc // ESC inside a string sequence
	ansiInter  // ESC followed by intermediate bytes, e.g. ESC ( B
)

// strip returns p without escape sequences, reusing p's storage.
func (a *ansiStripper) strip(p []byte) []byte {
	out := p[:0]
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch a.state {
		case ansiGround:
			if c == 0x1b {
				a.state = ansiEsc
			} else {
				out = append(out, c)
			}
		case ansiEsc:
			switch {
			case c == '[':
				a.state = ansiCSI
			case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
				a.state = ansiString
			case c >= 0x20 && c <= 0x2f:
				a.state = ansiInter
			case c == 0x1b:
				// ESC ESC: the second one starts afresh.
			default:
				a.state = ansiGround
			}
		case ansiCSI:
			switch {
			case c >= 0x40 && c <= 0x7e:
				a.state = ansiGround
			case c >= 0x20 && c <= 0x3f:
			case c == 0x1b:
				a.state = ansiEsc
			case c < 0x20:
				out = append(out, c) // terminals act on C0 controls inside CSI
			default:
				a.state = ansiGround
			}
		case ansiString:
			switch c {
			case 0x07:
				a.state = ansiGround
			case 0x1b:
				a.state = ansiStrEsc
			}
		case ansiStrEsc:
			if c == '\\' {
				a.state = ansiGround
			} else {
				a.state = ansiEsc
				i-- // reprocess c as the byte after a fresh ESC
			}
		case ansiInter:
			if c < 0x20 || c > 0x2f {
				a.state = ansiGround
			}
		}
	}
	return out
}
