package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/remote"
)

// TestServeStdio: the agent-mode server takes its token from stdin, serves
// on a Unix socket in a private directory, refuses other tokens, and at
// stdin EOF ends and removes the directory.
func TestServeStdio(t *testing.T) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- serveStdio(inR, outW, &errb, nil); outW.Close() }()
	go io.WriteString(inW, "tok-123\n")
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "procsh: agent socket ") {
		t.Fatalf("ready line %q %v", line, err)
	}
	sock := strings.TrimSpace(strings.TrimPrefix(line, "procsh: agent socket "))
	st, err := os.Stat(filepath.Dir(sock))
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("socket dir %v %v", st, err)
	}
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, tc := range []struct {
		token string
		ok    bool
	}{{"tok-123", true}, {"wrong", false}} {
		r, err := remote.New("http://procsh-agent", remote.WithToken(tc.token), remote.WithHTTPClient(&http.Client{Transport: tr}))
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.Exec(ctx, client.ExecRequest{Command: "echo hi"})
		if tc.ok && (err != nil || res.Result != "hi\n") {
			t.Fatalf("exec: %+v %v", res, err)
		}
		if !tc.ok && !errors.Is(err, client.ErrUnauthorized) {
			t.Fatalf("wrong token: %v", err)
		}
		r.Close()
	}
	inW.Close()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve --stdio did not end at stdin EOF")
	}
	if _, err := os.Stat(filepath.Dir(sock)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket dir left behind: %v", err)
	}
}

// TestServeStdioNoToken: no token line is a usage error.
func TestServeStdioNoToken(t *testing.T) {
	var out, errb bytes.Buffer
	if code := serveStdio(strings.NewReader(""), &out, &errb, nil); code != exitUsage || !strings.Contains(errb.String(), "token") {
		t.Fatalf("code %d stderr %q", code, errb.String())
	}
}
