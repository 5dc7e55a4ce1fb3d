package wire

import (
	"bytes"
	"net/http"
	"testing"
)

type demuxOut struct{ out, err []byte }

func (d *demuxOut) emit(s byte, p []byte) {
	if s == StreamStdout {
		d.out = append(d.out, p...)
	} else {
		d.err = append(d.err, p...)
	}
}

// Checklist item 85, and other frame splits.
func TestDemuxerSplitFrames(t *testing.T) {
	cases := []struct {
		name     string
		frames   []string
		out, err string
	}{
		{"85 marker split across frames", []string{"\x01\x01", "\x01out\n\x02", "\x02\x02e\n"}, "out\n", "e\n"},
		{"bytes before first marker dropped", []string{"junk\x01\x01\x01a"}, "a", ""},
		{"one byte per frame", splitEach("\x01\x01\x01ab\x02\x02\x02cd\x01\x01\x01e"), "abe", "cd"},
		{"trailing 01 that is data", []string{"\x01\x01\x01x\x01", "y"}, "x\x01y", ""},
		{"trailing 0101 that is data", []string{"\x01\x01\x01x\x01\x01"}, "x\x01\x01", ""},
		{"mixed 01 02 not a marker", []string{"\x02\x02\x02a\x01\x02\x02b"}, "", "a\x01\x02\x02b"},
		{"empty", nil, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var d Demuxer
			var o demuxOut
			for _, f := range c.frames {
				d.Write([]byte(f), o.emit)
			}
			d.Flush(o.emit)
			if string(o.out) != c.out || string(o.err) != c.err {
				t.Errorf("stdout %q stderr %q, want %q %q", o.out, o.err, c.out, c.err)
			}
		})
	}
}

func splitEach(s string) []string {
	var out []string
	for i := range len(s) {
		out = append(out, s[i:i+1])
	}
	return out
}

// Every split of an encoded log demultiplexes to the same streams.
func TestDemuxerAllSplits(t *testing.T) {
	var log []byte
	log = AppendChunk(log, StreamStdout, []byte("hello\n"))
	log = AppendChunk(log, StreamStderr, []byte("warn\x01\n"))
	log = AppendChunk(log, StreamStdout, []byte("bye"))
	for i := 0; i <= len(log); i++ {
		for j := i; j <= len(log); j++ {
			var d Demuxer
			var o demuxOut
			d.Write(log[:i], o.emit)
			d.Write(log[i:j], o.emit)
			d.Write(log[j:], o.emit)
			d.Flush(o.emit)
			if string(o.out) != "hello\nbye" || string(o.err) != "warn\x01\n" {
				t.Fatalf("split %d/%d: %q %q", i, j, o.out, o.err)
			}
		}
	}
	o, e := Demux(log)
	if string(o) != "hello\nbye" || string(e) != "warn\x01\n" {
		t.Errorf("Demux %q %q", o, e)
	}
	if got := StripMarkers(log); !bytes.Equal(got, []byte("hello\nwarn\x01\nbye")) {
		t.Errorf("StripMarkers %q", got)
	}
}

func TestClassOf(t *testing.T) {
	cases := []struct {
		version, split, proto  string
		combined, skip, legacy bool
	}{
		{"", "", "", true, true, false},
		{"", "true", "", false, true, false},
		{"0.190.0", "", "", false, false, false},
		{"v0.190.0", "", "", false, false, false},
		{"0.167.0", "", "", false, false, false},
		{"0.167.0-rc1", "", "", false, false, false},
		{"0.166.9", "", "", false, true, false},
		{"0.161.0", "", "", false, true, false},
		{"0.102.0", "", "", false, true, true},
		{"0.26.0", "", "", true, true, true},
		{"0.27.0", "", "", false, true, true},
		{"0.0.0-dev", "", "", false, false, false},
		{"0.1.0-dev", "", "", false, false, true},
		{"garbage", "", "", false, true, false},
		{"1.2.3foo", "", "", false, false, false},
		{"", "", "X-Daytona-SDK-Version~0.190.0", false, false, false},
		{"", "", "other, X-Daytona-SDK-Version~0.20.0", true, true, true},
	}
	for _, c := range cases {
		r, _ := http.NewRequest("GET", "/", nil)
		if c.version != "" {
			r.Header.Set(HeaderSDKVersion, c.version)
		}
		if c.split != "" {
			r.Header.Set(HeaderSplitOutput, c.split)
		}
		if c.proto != "" {
			r.Header.Set("Sec-WebSocket-Protocol", c.proto)
		}
		got := ClassOf(r)
		if got.Combined != c.combined || got.SkipDemux != c.skip || got.LegacyCwd != c.legacy {
			t.Errorf("%q/%q/%q: %+v, want C=%v S=%v L=%v", c.version, c.split, c.proto, got, c.combined, c.skip, c.legacy)
		}
		if c.proto != "" && got.Subprotocol == "" {
			t.Errorf("%q: subprotocol not picked", c.proto)
		}
	}
}

func TestRecordsAndRawResults(t *testing.T) {
	var b []byte
	b = AppendRecord(b, StreamStdout, []byte("out"))
	b = AppendRecord(b, StreamStderr, nil)
	var meta struct {
		X       int     `json:"x"`
		Lengths []int64 `json:"procshLengths"`
	}
	meta.X, meta.Lengths = 7, []int64{2, 0, 1}
	var body bytes.Buffer
	if err := WriteRawResult(&body, meta, []byte("ab"), nil, []byte("\n")); err != nil {
		t.Fatal(err)
	}
	b = AppendRecord(b, RecordEnd, body.Bytes())
	rd := bytes.NewReader(b)
	for i, want := range []struct {
		typ  byte
		data string
	}{{StreamStdout, "out"}, {StreamStderr, ""}} {
		typ, p, err := ReadRecord(rd, nil)
		if err != nil || typ != want.typ || string(p) != want.data {
			t.Fatalf("record %d: %d %q %v", i, typ, p, err)
		}
	}
	typ, p, err := ReadRecord(rd, nil)
	if err != nil || typ != RecordEnd {
		t.Fatal(typ, err)
	}
	meta.X, meta.Lengths = 0, nil
	parts, err := ReadRawResult(bytes.NewReader(p), &meta, func() []int64 { return meta.Lengths })
	if err != nil || meta.X != 7 || len(parts) != 3 || string(parts[0]) != "ab" || len(parts[1]) != 0 || string(parts[2]) != "\n" {
		t.Errorf("raw result %+v %q %v", meta, parts, err)
	}
	if _, _, err := ReadRecord(rd, nil); err == nil {
		t.Error("read past the end")
	}
	// Truncated records and bodies are errors, not hangs or panics.
	if _, _, err := ReadRecord(bytes.NewReader(b[:7]), nil); err == nil {
		t.Error("truncated record accepted")
	}
	if _, err := ReadRawResult(bytes.NewReader(body.Bytes()[:body.Len()-1]), &meta, func() []int64 { return meta.Lengths }); err == nil {
		t.Error("truncated raw result accepted")
	}
	if _, err := ReadRawResult(bytes.NewReader([]byte(`{"procshLengths":[-1]}`+"\n")), &meta, func() []int64 { return meta.Lengths }); err == nil {
		t.Error("negative length accepted")
	}
}
