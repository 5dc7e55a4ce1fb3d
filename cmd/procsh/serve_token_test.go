package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLoadTokenFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "token")
	tok, created, err := loadTokenFile(p)
	if err != nil || !created || len(tok) != 64 {
		t.Fatalf("new file: %q %v %v", tok, created, err)
	}
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", st.Mode(), err)
	}
	again, created, err := loadTokenFile(p)
	if err != nil || created || again != tok {
		t.Fatalf("second read: %q %v %v, want %q", again, created, err, tok)
	}
	if err := os.Chmod(p, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, _, err := loadTokenFile(p); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("group-readable file: %v", err)
	}
	for name, content := range map[string]string{"empty": "\n", "two": "a b\n"} {
		q := filepath.Join(dir, name)
		if err := os.WriteFile(q, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := loadTokenFile(q); err == nil {
			t.Errorf("%s token file accepted", name)
		}
	}
	if _, _, err := loadTokenFile(dir); err == nil {
		t.Error("a directory accepted as token file")
	}
	if _, _, err := loadTokenFile(filepath.Join(dir, "missing", "token")); err == nil {
		t.Error("token file in a missing directory accepted")
	}
}

func TestChildEnv(t *testing.T) {
	in := []string{"PATH=/bin", "PROCSH_TOKEN=abc", "MY_SECRET=abc", "OTHER=abcd", "EMPTY="}
	got := childEnv(in, "abc")
	want := []string{"PATH=/bin", "OTHER=abcd", "EMPTY="}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("childEnv = %v, want %v", got, want)
	}
	// Without a token only the variable itself goes.
	if got := childEnv(in, ""); len(got) != 4 {
		t.Fatalf("no token: %v", got)
	}
}
