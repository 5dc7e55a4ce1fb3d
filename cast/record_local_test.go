package cast_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/procsh/procsh/cast"
	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/expect"
)

// TestRecordLocalPTY records a real shell session and reads it back.
func TestRecordLocalPTY(t *testing.T) {
	b, err := local.New()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	info, err := b.CreatePTY(ctx, client.PTYOptions{ID: "rec", LazyStart: true, Cols: 90, Rows: 25,
		Command: []string{"sh", "-c", `stty -echo; echo ready; read x; stty size; printf 'caf\303\251 \342\234\223\n'; exit 4`}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := b.ConnectPTY(ctx, "rec", client.PTYConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var file, transcript bytes.Buffer
	w, err := cast.NewWriter(&file, cast.HeaderFor(info.Cols, info.Rows, info.Env))
	if err != nil {
		t.Fatal(err)
	}
	rec := cast.Record(h, w, cast.WithInput())
	e := expect.New(rec, expect.WithTranscript(&transcript), expect.WithTimeout(20*time.Second))
	defer e.Close()
	if _, err := e.Expect(ctx, expect.Literal("ready\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := rec.Resize(ctx, 100, 30); err != nil {
		t.Fatal(err)
	}
	if err := e.SendLine("go"); err != nil {
		t.Fatal(err)
	}
	res, err := e.Expect(ctx, expect.EOF)
	if err != nil || res.Before != "30 100\r\ncafé ✓\r\n" {
		t.Fatalf("got %+v, %v", res, err)
	}
	if r, err := h.Wait(ctx); err != nil || r.ExitCode != 4 {
		t.Fatalf("wait %+v, %v", r, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	hdr, evs, err := cast.ReadAll(&file)
	if err != nil {
		t.Fatal(err)
	}
	if hdr.Version != 2 || hdr.Width != 90 || hdr.Height != 25 || hdr.Env["TERM"] != "xterm-256color" {
		t.Fatalf("header %+v", hdr)
	}
	var out, in, rs strings.Builder
	last := 0.0
	for _, ev := range evs {
		if ev.Time < last {
			t.Fatalf("time goes back: %v after %v", ev.Time, last)
		}
		last = ev.Time
		switch ev.Type {
		case cast.Output:
			out.WriteString(ev.Data)
		case cast.Input:
			in.WriteString(ev.Data)
		case cast.Resize:
			rs.WriteString(ev.Data)
		}
	}
	if out.String() != transcript.String() || !strings.HasSuffix(out.String(), "café ✓\r\n") {
		t.Fatalf("recorded output %q, read %q", out.String(), transcript.String())
	}
	if in.String() != "go\n" || rs.String() != "100x30" {
		t.Fatalf("input %q, resize %q", in.String(), rs.String())
	}
}

func ExampleRecord() {
	b, _ := local.New()
	defer b.Close()
	ctx := context.Background()
	info, _ := b.CreatePTY(ctx, client.PTYOptions{ID: "demo", LazyStart: true, Command: []string{"echo", "hello"}})
	h, _ := b.ConnectPTY(ctx, "demo", client.PTYConnectOptions{})
	var file bytes.Buffer // an *os.File in real use
	w, _ := cast.NewWriter(&file, cast.HeaderFor(info.Cols, info.Rows, info.Env))
	rec := cast.Record(h, w)
	e := expect.New(rec)
	_, _ = e.Expect(ctx, expect.EOF)
	_ = w.Close()
	_, events, _ := cast.ReadAll(&file)
	fmt.Printf("%q\n", events[len(events)-1].Data)
	// Output: "hello\r\n"
}
