package sshtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// TestStart logs in to the real sshd with the generated key, checks the host
// key, and sees the session environment the server sets.
func TestStart(t *testing.T) {
	s := Start(t)
	c, err := ssh.Dial("tcp", s.Addr(), s.ClientConfig())
	if err != nil {
		t.Fatalf("dial: %v\n%s", err, s.Logs())
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := sess.CombinedOutput(`echo "$HOME|$XDG_CACHE_HOME|$(id -un)"`)
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := s.Home + "|" + s.CacheDir + "|" + s.User
	if got := strings.TrimSpace(string(out)); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	// A different host key is refused.
	cfg := s.ClientConfig()
	other, _ := ssh.NewSignerFromKey(mustKey(t))
	cfg.HostKeyCallback = ssh.FixedHostKey(other.PublicKey())
	if c2, err := ssh.Dial("tcp", s.Addr(), cfg); err == nil {
		c2.Close()
		t.Fatal("a wrong host key was accepted")
	}
}

func mustKey(t *testing.T) any {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}
