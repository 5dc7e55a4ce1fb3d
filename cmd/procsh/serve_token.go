package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/procsh/procsh/internal/ids"
)

// tokenEnv is the environment variable holding the server's token.
const tokenEnv = "PROCSH_TOKEN"

// loadTokenFile returns the token kept in path. A missing file is created
// (mode 0600, exclusively) holding a fresh random token, as Jupyter does, so
// `--token-file` alone gives a protected server whose token never appears
// on a command line. An existing file must not be readable by group or
// others, like an SSH key. created reports whether the token is new.
func loadTokenFile(path string) (token string, created bool, err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		token = ids.Hex(32)
		_, werr := f.WriteString(token + "\n")
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			_ = os.Remove(path)
			return "", false, fmt.Errorf("token file %s: %w", path, werr)
		}
		return token, true, nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return "", false, fmt.Errorf("token file: %w", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", false, fmt.Errorf("token file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return "", false, fmt.Errorf("token file %s is not a regular file", path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return "", false, fmt.Errorf("token file %s is readable by others (mode %04o): chmod 600 it", path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", false, fmt.Errorf("token file: %w", err)
	}
	token = strings.TrimSpace(string(b))
	if token == "" || strings.ContainsAny(token, " \t\r\n") {
		return "", false, fmt.Errorf("token file %s must hold one token on one line", path)
	}
	return token, false, nil
}

// childEnv is the environment the server's commands start from: ours
// without the token — neither PROCSH_TOKEN nor any other variable that
// happens to hold the same value — so `echo $PROCSH_TOKEN` in a served
// command reveals nothing.
func childEnv(environ []string, token string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if k == tokenEnv || (token != "" && v == token) {
			continue
		}
		out = append(out, kv)
	}
	return out
}
