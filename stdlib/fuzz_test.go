package stdlib

import (
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// FuzzJSONRoundTrip checks that whatever json.decode accepts, json.encode
// can write back, and that the text is then stable: encode(decode(s)) is a
// fixed point. `go test` runs the seeds; `go test -fuzz FuzzJSON` explores.
func FuzzJSONRoundTrip(f *testing.F) {
	for _, seed := range []string{
		`null`, `0`, `-0`, `1e-7`, `1e21`, `123456789012345678901234567890`, `"\u2028<&>"`,
		`[]`, `{}`, `[[],{}]`, `[1,null,3]`, `{"a":null,"b":[{}]}`, `{"1":1,"":[true,false]}`,
		`"\ud800"`, `"\u0000"`, `{"a":1,"a":2}`, " [ 1 , 2 ] ", `[1e308,-1e-308,5e-324]`,
	} {
		f.Add(seed)
	}
	L := lua.NewState()
	defer L.Close()
	js := (&state{}).jsonState(L)
	encode := func(v lua.LValue) (string, error) {
		e := encoder{js: js, active: map[*lua.LTable]bool{}}
		err := e.value(v, 0)
		return string(e.buf), err
	}
	f.Fuzz(func(t *testing.T, text string) {
		v, err := js.decodeString(L, text)
		if err != nil {
			return
		}
		first, err := encode(v)
		if err != nil {
			t.Fatalf("decode(%q) succeeded but encode failed: %v", text, err)
		}
		v2, err := js.decodeString(L, first)
		if err != nil {
			t.Fatalf("encode produced invalid JSON %q: %v", first, err)
		}
		second, err := encode(v2)
		if err != nil || second != first {
			t.Fatalf("not a fixed point: %q -> %q -> %q (%v)", text, first, second, err)
		}
	})
}
