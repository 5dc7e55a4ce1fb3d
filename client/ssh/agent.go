package ssh

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/remote"
	"github.com/procsh/procsh/internal/ids"
	"github.com/procsh/procsh/internal/shell"
)

// AgentReadyPrefix starts the line `procsh serve --stdio` prints on stdout
// once it listens; the rest of the line is the socket path.
const AgentReadyPrefix = "procsh: agent socket "

// AgentBinaryEnv names the environment variable that, when set, is the
// procsh binary agent mode uploads instead of this program itself — for
// programs that embed procsh (they cannot serve) and for other builds.
const AgentBinaryEnv = "PROCSH_SSH_AGENT_BINARY"

// probeMark starts the probe's own output.
const probeMark = "PROCSH-PROBE"

// agentConn is the procsh server running on the host for one Client.
type agentConn struct {
	sess   *ssh.Session
	stdin  io.WriteCloser
	remote *remote.Client
	done   chan struct{} // closed when the remote server has exited
	once   sync.Once
}

func isUnsupported(err error) bool { return errors.Is(err, client.ErrUnsupported) }

// localBinary is a procsh binary we can upload.
type localBinary struct {
	path, hash string
}

var hashCache sync.Map // path+size+mtime -> hash

func hashFile(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	key := fmt.Sprintf("%s|%d|%d", path, st.Size(), st.ModTime().UnixNano())
	if h, ok := hashCache.Load(key); ok {
		return h.(string), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	hashCache.Store(key, sum)
	return sum, nil
}

func binaries(o Options) (map[string]localBinary, error) {
	src := o.Binaries
	if src == nil {
		src = map[string]string{}
		if p := os.Getenv(AgentBinaryEnv); p != "" {
			src[runtime.GOARCH] = p
		} else if runtime.GOOS == "linux" {
			if exe, err := os.Executable(); err == nil {
				src[runtime.GOARCH] = exe
			}
		}
	}
	out := map[string]localBinary{}
	for arch, path := range src {
		h, err := hashFile(path)
		if err != nil {
			return nil, &client.Error{Op: "ssh agent", Kind: client.ErrInvalidArgument, Msg: "procsh binary for " + arch, Err: err}
		}
		out[arch] = localBinary{path: path, hash: h}
	}
	return out, nil
}

// run runs a command on conn and returns its stdout; a non-zero exit is an
// error carrying stderr.
func run(ctx context.Context, conn *ssh.Client, cmd string, stdin io.Reader) (string, error) {
	s, err := conn.NewSession()
	if err != nil {
		return "", &client.Error{Op: "ssh agent", Kind: client.ErrUnavailable, Msg: "open channel", Err: err}
	}
	defer s.Close()
	var out, errb bytes.Buffer
	s.Stdout, s.Stderr, s.Stdin = &out, &errb, stdin
	done := make(chan error, 1)
	go func() { done <- s.Run(cmd) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = s.Close()
		return "", &client.Error{Op: "ssh agent", Kind: client.ErrTimeout, Err: ctx.Err()}
	}
	if err != nil {
		return out.String(), fmt.Errorf("%w: %s", err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// goarch maps `uname -m` to GOARCH.
func goarch(m string) string {
	switch m {
	case "x86_64", "amd64":
		return "amd64"
	case "aarch64", "arm64":
		return "arm64"
	}
	return ""
}

// startAgent probes the host, uploads our binary unless the cache holds it,
// and starts `procsh serve --stdio` on a private Unix socket reached through
// stream-local forwarding.
func startAgent(ctx context.Context, conn *ssh.Client, o Options) (*agentConn, error) {
	op := "ssh agent"
	bins, err := binaries(o)
	if err != nil {
		return nil, err
	}
	cache := `"${XDG_CACHE_HOME:-$HOME/.cache}/procsh/bin"`
	if o.CacheDir != "" {
		cache = shell.Quote(o.CacheDir)
	}
	var hashes []string
	for _, b := range bins {
		hashes = append(hashes, b.hash)
	}
	// One round trip: system, architecture, cache dir, and which of our
	// binaries the cache already holds intact.
	probe := `c=` + cache + `; echo ` + probeMark + `; uname -s; uname -m; printf '%s\n' "$c"; ` +
		`for h in ` + strings.Join(hashes, " ") + `; do f="$c/procsh-$h"; ` +
		`[ -f "$f" ] && [ -x "$f" ] && [ "$(sha256sum < "$f" 2>/dev/null | cut -d' ' -f1)" = "$h" ] && echo "ok $h"; done; true`
	out, err := run(ctx, conn, "/bin/sh -c "+shell.Quote(probe), nil)
	if err != nil {
		return nil, &client.Error{Op: op, Kind: client.ErrUnsupported, Msg: "probe host (needs a POSIX /bin/sh)", Err: err}
	}
	// What a chatty rc file printed comes before the mark.
	if i := strings.Index(out, probeMark+"\n"); i >= 0 {
		out = out[i+len(probeMark)+1:]
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) < 3 {
		return nil, client.Errorf(op, client.ErrUnsupported, "unexpected probe output %q", out)
	}
	sys, mach, dir := lines[0], lines[1], lines[2]
	if sys != "Linux" {
		return nil, client.Errorf(op, client.ErrUnsupported, "host runs %s; agent mode needs Linux", sys)
	}
	arch := goarch(mach)
	bin, ok := bins[arch]
	if arch == "" || !ok {
		return nil, client.Errorf(op, client.ErrUnsupported, "host architecture %s: no procsh binary for it (have %s)", mach, archList(bins))
	}
	cached := false
	for _, l := range lines[3:] {
		if l == "ok "+bin.hash {
			cached = true
		}
	}
	remotePath := dir + "/procsh-" + bin.hash
	if !cached {
		if err := upload(ctx, conn, bin, dir, remotePath); err != nil {
			return nil, err
		}
	}
	return launch(ctx, conn, remotePath, o)
}

func archList(bins map[string]localBinary) string {
	var a []string
	for k := range bins {
		a = append(a, k)
	}
	if len(a) == 0 {
		return "none"
	}
	return strings.Join(a, ", ")
}

// upload writes the binary to a temp file beside its final name, checks
// its hash there and renames it into place, so a reader never sees a partial
// or corrupt binary.
func upload(ctx context.Context, conn *ssh.Client, bin localBinary, dir, final string) error {
	f, err := os.Open(bin.path)
	if err != nil {
		return &client.Error{Op: "ssh agent", Kind: client.ErrInvalidArgument, Msg: "procsh binary", Err: err}
	}
	defer f.Close()
	script := `set -e; umask 077; d=` + shell.Quote(dir) + `; mkdir -p "$d"; ` +
		`t=$(mktemp "$d/.upload.XXXXXX"); trap 'rm -f "$t"' EXIT; cat > "$t"; ` +
		`h=$(sha256sum < "$t" | cut -d' ' -f1); ` +
		`if [ "$h" != ` + bin.hash + ` ]; then echo "uploaded binary hash mismatch: $h" >&2; exit 3; fi; ` +
		`chmod 700 "$t"; mv -f "$t" ` + shell.Quote(final) + `; trap - EXIT`
	if _, err := run(ctx, conn, "/bin/sh -c "+shell.Quote(script), f); err != nil {
		if ctx.Err() != nil {
			return &client.Error{Op: "ssh agent", Kind: client.ErrTimeout, Err: ctx.Err()}
		}
		return &client.Error{Op: "ssh agent", Kind: client.ErrUnavailable, Msg: "upload procsh to " + dir + " refused", Err: err}
	}
	return nil
}

// launch starts the server and connects a Remote to it.
func launch(ctx context.Context, conn *ssh.Client, path string, o Options) (*agentConn, error) {
	op := "ssh agent"
	s, err := conn.NewSession()
	if err != nil {
		return nil, &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "open channel", Err: err}
	}
	stdin, _ := s.StdinPipe()
	stdout, _ := s.StdoutPipe()
	var errb syncBuf
	s.Stderr = &errb
	cmd := shell.Quote(path) + " serve --stdio"
	if o.KillGrace > 0 {
		cmd += " --kill-grace " + o.KillGrace.String()
	}
	if err := s.Start("exec " + cmd); err != nil {
		s.Close()
		return nil, &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "start procsh serve", Err: err}
	}
	a := &agentConn{sess: s, stdin: stdin, done: make(chan struct{})}
	go func() { _ = s.Wait(); close(a.done) }()
	fail := func(kind error, msg string, cause error) (*agentConn, error) {
		_ = stdin.Close()
		_ = s.Close()
		select {
		case <-a.done:
		case <-time.After(5 * time.Second):
		}
		if e := strings.TrimSpace(errb.String()); e != "" {
			msg += ": " + e
		}
		return nil, &client.Error{Op: op, Kind: kind, Msg: msg, Err: cause}
	}
	// The token travels on stdin, never on a command line.
	token := ids.Hex(32)
	if _, err := io.WriteString(stdin, token+"\n"); err != nil {
		return fail(client.ErrUnavailable, "send token", err)
	}
	type ready struct {
		line string
		err  error
	}
	rc := make(chan ready, 1)
	br := bufio.NewReader(stdout)
	go func() {
		// Lines before the ready line are a chatty rc file's.
		for {
			l, err := br.ReadString('\n')
			if err != nil || strings.HasPrefix(l, AgentReadyPrefix) {
				rc <- ready{l, err}
				break
			}
		}
		_, _ = io.Copy(io.Discard, br)
	}()
	var sock string
	select {
	case r := <-rc:
		if r.err != nil || !strings.HasPrefix(r.line, AgentReadyPrefix) {
			return fail(client.ErrUnavailable, "procsh serve did not start", r.err)
		}
		sock = strings.TrimSpace(strings.TrimPrefix(r.line, AgentReadyPrefix))
	case <-ctx.Done():
		return fail(client.ErrTimeout, "waiting for procsh serve", ctx.Err())
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			ch, err := conn.DialContext(ctx, "unix", sock)
			if err != nil {
				return nil, err
			}
			return &deadlineConn{Conn: ch}, nil
		},
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
	}
	r, err := remote.New("http://procsh-agent", remote.WithToken(token), remote.WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		return fail(client.ErrUnavailable, "remote client", err)
	}
	a.remote = r
	return a, nil
}

// close ends the remote server: closing its stdin tells it to shut down
// (end every process it started and remove its socket directory); we wait
// for that, bounded.
func (a *agentConn) close() {
	a.once.Do(func() {
		_ = a.remote.Close()
		_ = a.stdin.Close()
		select {
		case <-a.done:
		case <-time.After(10 * time.Second):
		}
		_ = a.sess.Close()
	})
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b.Len() > 64<<10 {
		return len(p), nil
	}
	return b.b.Write(p)
}

func (b *syncBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
