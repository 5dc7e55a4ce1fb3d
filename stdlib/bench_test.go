package stdlib

import (
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
	gjson "layeh.com/gopher-json"
)

// benchDoc is a value both encoders accept: no nulls, no empty or shared
// tables.
const benchDoc = `{"items":[` +
	`{"id":1,"name":"alpha","tags":["a","b","c"],"ok":true,"score":1.5,"meta":{"owner":"x","size":1024}},` +
	`{"id":2,"name":"beta \"quoted\" \n","tags":["d"],"ok":false,"score":-2.25,"meta":{"owner":"yé","size":2048}},` +
	`{"id":3,"name":"gamma","tags":["e","f"],"ok":true,"score":1e-7,"meta":{"owner":"z","size":4096}}` +
	`],"count":3,"cursor":"abcdef0123456789"}`

// benchPair times fn (ours) and floor (layeh.com/gopher-json, the library
// this module replaces) b.N times each in the same run, interleaved in
// rounds so that load from other processes hits both alike, and reports
// both and their ratio. ns/op covers both; read ns/call and floor-ns/call.
func benchPair(b *testing.B, fn, floor func()) {
	const rounds = 8
	var ours, theirs time.Duration
	for r := range rounds {
		n := b.N / rounds
		if r == 0 {
			n += b.N % rounds
		}
		start := time.Now()
		for range n {
			fn()
		}
		ours += time.Since(start)
		start = time.Now()
		for range n {
			floor()
		}
		theirs += time.Since(start)
	}
	b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N), "ns/call")
	b.ReportMetric(float64(theirs.Nanoseconds())/float64(b.N), "floor-ns/call")
	b.ReportMetric(float64(ours)/float64(theirs), "x-floor")
}

func benchValue(b *testing.B) (*lua.LState, *jsonState, lua.LValue) {
	L := lua.NewState()
	b.Cleanup(L.Close)
	js := (&state{}).jsonState(L)
	v, err := gjson.Decode(L, []byte(benchDoc))
	if err != nil {
		b.Fatal(err)
	}
	return L, js, v
}

// BenchmarkJSONEncode: ns/call is our encoder, floor-ns/call gopher-json's.
func BenchmarkJSONEncode(b *testing.B) {
	_, js, v := benchValue(b)
	benchPair(b, func() {
		e := encoder{js: js, active: map[*lua.LTable]bool{}}
		if err := e.value(v, 0); err != nil {
			b.Fatal(err)
		}
	}, func() {
		if _, err := gjson.Encode(v); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkJSONDecode: ns/call is our decoder, floor-ns/call gopher-json's.
func BenchmarkJSONDecode(b *testing.B) {
	L, js, _ := benchValue(b)
	benchPair(b, func() {
		if _, err := js.decodeString(L, benchDoc); err != nil {
			b.Fatal(err)
		}
	}, func() {
		if _, err := gjson.Decode(L, []byte(benchDoc)); err != nil {
			b.Fatal(err)
		}
	})
}
