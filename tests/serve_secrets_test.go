package tests

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// servePost sends a JSON request to a procsh serve process.
func servePost(t *testing.T, s *cliServer, token, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Issue 11 item 2: no command the server runs sees the token, whether it
// came from PROCSH_TOKEN or a token file, under that name or another.
func TestServeTokenNotInChildEnv(t *testing.T) {
	t.Parallel()
	const tok = "tok-3b1f9d0a7c"
	dir := t.TempDir()
	tokFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokFile, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, start := range map[string]func() *cliServer{
		"env": func() *cliServer {
			return cliStartServerWith(t, tok, nil, []string{"PROCSH_TOKEN=" + tok, "ALIAS=" + tok})
		},
		"file": func() *cliServer {
			return cliStartServerWith(t, tok, []string{"--token-file", tokFile}, []string{"ALIAS=" + tok})
		},
	} {
		s := start()
		if code, _ := servePost(t, s, "", "/process/execute", `{"command":"true"}`); code != 401 {
			t.Fatalf("%s: no token → %d, want 401", name, code)
		}
		code, body := servePost(t, s, tok, "/process/execute", `{"command":"env; echo END"}`)
		if code != 200 || !strings.Contains(body, "END") {
			t.Fatalf("%s: execute: %d %s", name, code, body)
		}
		if strings.Contains(body, tok) {
			t.Errorf("%s: execute env shows the token: %s", name, body)
		}
		if code, body := servePost(t, s, tok, "/process/session", `{"sessionId":"s"}`); code != 201 {
			t.Fatalf("%s: session: %d %s", name, code, body)
		}
		code, body = servePost(t, s, tok, "/process/session/s/exec", `{"command":"env; echo END"}`)
		if code != 200 || !strings.Contains(body, "END") || strings.Contains(body, tok) {
			t.Errorf("%s: session env: %d %s", name, code, body)
		}
		code, body = servePost(t, s, tok, "/process/code-run", `{"code":"import os; print(sorted(os.environ.values()))","language":"python"}`)
		if _, err := exec.LookPath("python3"); err == nil && (code != 200 || strings.Contains(body, tok)) {
			t.Errorf("%s: code-run env: %d %s", name, code, body)
		}
		out := filepath.Join(dir, name+".pty-env")
		b, _ := json.Marshal(map[string]any{"id": "p", "command": []string{"sh", "-c", "env > " + out + ".tmp; mv " + out + ".tmp " + out}})
		if code, body := servePost(t, s, tok, "/process/pty?procsh=1", string(b)); code != 201 {
			t.Fatalf("%s: pty: %d %s", name, code, body)
		}
		var env []byte
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if env, _ = os.ReadFile(out); len(env) > 0 {
				break
			}
		}
		if !strings.Contains(string(env), "PATH=") || strings.Contains(string(env), tok) {
			t.Errorf("%s: PTY env %q", name, env)
		}
	}
}

// --token-file with a missing file makes a private random token; a file
// others can read is refused before anything listens.
func TestServeTokenFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "tok")
	s := cliStartServerWith(t, "", []string{"--token-file", p}, nil)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	tok := strings.TrimSpace(string(b))
	if st.Mode().Perm() != 0o600 || len(tok) < 32 {
		t.Fatalf("generated token file: mode %v token %q", st.Mode(), tok)
	}
	if code, _ := servePost(t, s, "", "/process/execute", `{"command":"true"}`); code != 401 {
		t.Fatalf("no token → %d", code)
	}
	if code, body := servePost(t, s, tok, "/process/execute", `{"command":"echo ok"}`); code != 200 || !strings.Contains(body, "ok") {
		t.Fatalf("generated token: %d %s", code, body)
	}
	open := filepath.Join(dir, "open")
	if err := os.WriteFile(open, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := cliRun(t, cliCmd{args: []string{"serve", "--listen", "127.0.0.1:0", "--token-file", open}})
	if r.code != 2 || !strings.Contains(r.stderr, "chmod 600") {
		t.Fatalf("world-readable token file: exit %d, stderr %q", r.code, r.stderr)
	}
	r = cliRun(t, cliCmd{args: []string{"serve", "--listen", "127.0.0.1:0", "--token", "a", "--token-file", p}})
	if r.code != 2 || !strings.Contains(r.stderr, "exclude") {
		t.Fatalf("--token with --token-file: exit %d, stderr %q", r.code, r.stderr)
	}
}

// --max-output caps what a Daytona request's result keeps; --log-limit
// must not be negative.
func TestServeOutputFlags(t *testing.T) {
	t.Parallel()
	s := cliStartServerWith(t, "", []string{"--max-output", "100", "--log-limit", "1000000"}, nil)
	code, body := servePost(t, s, "", "/process/execute", `{"command":"seq 1 100000"}`)
	var m struct{ Result string }
	if err := json.Unmarshal([]byte(body), &m); code != 200 || err != nil || len(m.Result) != 100 {
		t.Fatalf("execute under --max-output 100: %d, %d bytes", code, len(m.Result))
	}
	r := cliRun(t, cliCmd{args: []string{"serve", "--listen", "127.0.0.1:0", "--log-limit", "-1"}})
	if r.code != 2 || !strings.Contains(r.stderr, "--log-limit") {
		t.Fatalf("negative --log-limit: exit %d, stderr %q", r.code, r.stderr)
	}
}
