package server

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/procsh/procsh/internal/wire"
)

// FuzzJSONStream: the streamed encoding of a result equals json.Marshal of
// the same result with the real strings in place, wherever the parts are cut.
func FuzzJSONStream(f *testing.F) {
	for _, s := range []string{"", "plain", "a\"b\\c\n\r\t\b\f\x00\x1f", "<a>&", "é€😀", "\u2028\u2029", "\xff\xfe bad", "x\xe2\x82", "\x01\x01\x01marked\x02\x02\x02"} {
		f.Add(s, "err"+s, uint8(3))
	}
	f.Fuzz(func(t *testing.T, out, errs string, cut uint8) {
		split := func(s string) pieces {
			var parts []string
			n := int(cut)%7 + 1
			for len(s) > n {
				parts = append(parts, s[:n])
				s = s[n:]
			}
			return strPieces(append(parts, s)...)
		}
		code := 3
		real := wire.SessionExecuteResponse{CmdID: "c<1>", Output: &out, Stderr: &errs, ExitCode: &code}
		want, _ := json.Marshal(real)
		p0, p1 := placeholder(0), placeholder(1)
		meta := real
		meta.Output, meta.Stderr = &p0, &p1
		w := httptest.NewRecorder()
		writeJSONStream(w, 200, meta, split(out), split(errs))
		if !bytes.Equal(w.Body.Bytes(), want) {
			t.Fatalf("streamed %q\nmarshal  %q", w.Body.Bytes(), want)
		}
	})
}
