package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"
	"unicode/utf8"
	"unsafe"
)

// pieces produces one JSON string value in parts, so that a large output is
// escaped straight onto the connection instead of into a copy.
type pieces func(emit func(string) error) error

// strPieces is a string value made of the given parts.
func strPieces(parts ...string) pieces {
	return func(emit func(string) error) error {
		for _, p := range parts {
			if err := emit(p); err != nil {
				return err
			}
		}
		return nil
	}
}

// placeholder marks where big value k goes in the encoded metadata; it
// cannot come out of encoding any real field (NUL is escaped by json).
func placeholder(k int) string { return "\x00procsh-big-" + strconv.Itoa(k) + "\x00" }

// writeJSONStream answers v as JSON, where v's string fields that hold
// placeholder(k) are replaced by the escaped bytes of bigs[k]. The output
// is what json.Marshal would give with the real strings in place, but the
// large values are never copied: peak memory is the metadata plus a small
// buffer.
func writeJSONStream(w http.ResponseWriter, status int, v any, bigs ...pieces) {
	meta, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	bw := bufio.NewWriterSize(w, 64<<10)
	for len(meta) > 0 {
		// The next placeholder, by position.
		at, k := -1, -1
		for i := range bigs {
			enc, _ := json.Marshal(placeholder(i))
			if j := bytes.Index(meta, enc); j >= 0 && (at < 0 || j < at) {
				at, k = j, i
			}
		}
		if at < 0 {
			_, _ = bw.Write(meta)
			break
		}
		_, _ = bw.Write(meta[:at])
		enc, _ := json.Marshal(placeholder(k))
		meta = meta[at+len(enc):]
		_ = bw.WriteByte('"')
		e := &escaper{bw: bw}
		if err := bigs[k](e.write); err != nil {
			return // the client sees a cut-off body: a clear failure
		}
		_ = e.close()
		_ = bw.WriteByte('"')
	}
	_ = bw.Flush()
}

// escaper escapes a string given in parts; a UTF-8 sequence cut between
// two parts is held back and completed by the next, so the result does not
// depend on where the parts were cut.
type escaper struct {
	bw   *bufio.Writer
	pend string // an incomplete rune at the end of the last part
}

func (e *escaper) write(s string) error {
	if e.pend != "" {
		s, e.pend = e.pend+s, "" // at most one part is ever copied at a time
	}
	// Hold back a trailing rune start that is not complete yet.
	for k := len(s) - 1; k >= 0 && k >= len(s)-utf8.UTFMax+1; k-- {
		if utf8.RuneStart(s[k]) {
			if !utf8.FullRuneInString(s[k:]) {
				e.pend = s[k:]
				s = s[:k]
			}
			break
		}
	}
	return writeEscaped(e.bw, s)
}

// close writes what is still held back (an invalid, cut-off sequence).
func (e *escaper) close() error {
	p := e.pend
	e.pend = ""
	return writeEscaped(e.bw, p)
}

const hexDigits = "0123456789abcdef"

// writeEscaped writes s as the inside of a JSON string exactly as
// encoding/json does: HTML-safe, U+2028/U+2029 escaped, invalid UTF-8 as
// U+FFFD.
func writeEscaped(bw *bufio.Writer, s string) error {
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			bw.WriteString(s[start:i])
			switch c {
			case '"', '\\':
				bw.WriteByte('\\')
				bw.WriteByte(c)
			case '\n':
				bw.WriteString(`\n`)
			case '\r':
				bw.WriteString(`\r`)
			case '\t':
				bw.WriteString(`\t`)
			case '\b':
				bw.WriteString(`\b`)
			case '\f':
				bw.WriteString(`\f`)
			default:
				bw.WriteString(`\u00`)
				bw.WriteByte(hexDigits[c>>4])
				bw.WriteByte(hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			bw.WriteString(s[start:i])
			bw.WriteString(`\ufffd`)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			bw.WriteString(s[start:i])
			bw.WriteString(`\u202`)
			bw.WriteByte(hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	_, err := bw.WriteString(s[start:])
	return err
}

// view returns the bytes of s without copying them. The slice must only be
// read: results go to the connection as they are (a copy of a large result
// would double what answering it costs).
func view(s string) []byte {
	if s == "" {
		return []byte{} // encodes as "", not null
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// bigResult is the result size past which answering it is followed by
// handing the freed memory back to the OS.
const bigResult = 32 << 20

var (
	releasePending atomic.Bool
	lastRelease    atomic.Int64 // unix nanoseconds of the last release
)

// releaseMemory returns freed memory to the OS soon after a large result
// was answered — at most once a second, and never skipped: a result that
// ends while a release is pending is covered by it. The Go runtime would
// otherwise keep the pages for minutes, and serve's RSS would stay at its
// peak.
func releaseMemory(size int) {
	if size < bigResult || !releasePending.CompareAndSwap(false, true) {
		return
	}
	go func() {
		// Let the handler's result become garbage first.
		wait := 100 * time.Millisecond
		if since := time.Duration(time.Now().UnixNano() - lastRelease.Load()); since < time.Second-wait {
			wait = time.Second - since
		}
		time.Sleep(wait)
		releasePending.Store(false)
		debug.FreeOSMemory()
		lastRelease.Store(time.Now().UnixNano())
	}()
}
