package remote_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/procsh/procsh/client"
)

// A server without the code-run-stdin feature (the reference daemon has no
// capabilities document) would run the program without its input: the
// client refuses, typed, and sends nothing; without stdin it calls as usual.
func TestCodeRunStdinNeedsFeature(t *testing.T) {
	var calls atomic.Int32
	url := fake(t, map[string]http.HandlerFunc{
		"POST /process/code-run": func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"exitCode":0,"result":"1\n"}`)
		},
	})
	r := mustRemote(t, url)
	ctx := ctxT(t)
	_, err := r.CodeRun(ctx, client.CodeRunRequest{Code: "print(input())", Stdin: "1\n"})
	if !errors.Is(err, client.ErrUnsupported) || !strings.Contains(err.Error(), "stdin") {
		t.Fatalf("err = %v, want ErrUnsupported naming stdin", err)
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("code-run called %d times despite the refusal", n)
	}
	res, err := r.CodeRun(ctx, client.CodeRunRequest{Code: "print(1)"})
	if err != nil || res.Result != "1\n" || calls.Load() != 1 {
		t.Fatalf("without stdin: %+v %v (%d calls)", res, err, calls.Load())
	}
}
