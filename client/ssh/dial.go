package ssh

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kevinburke/ssh_config"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/procsh/procsh/client"
)

// Mode says how the backend drives the host.
type Mode string

// The modes. ModeAuto (the zero value) is agent mode where the host is Linux
// on an architecture we have a binary for, raw mode elsewhere.
const (
	ModeAuto  Mode = ""
	ModeAgent Mode = "agent"
	ModeRaw   Mode = "raw"
)

// Options configure a connection. Zero values take their defaults from
// ~/.ssh/config and the environment, as OpenSSH's ssh does.
type Options struct {
	// User overrides the target's user, ~/.ssh/config's User and the local
	// user name, in that order.
	User string
	// Identity is a private key file tried before those of ~/.ssh/config
	// (IdentityFile) and the default ~/.ssh/id_* files. Passphrase-protected
	// keys must come from the agent.
	Identity string
	// KnownHosts is the known_hosts file host keys are checked against
	// (default ~/.ssh/known_hosts). Unknown and changed keys are refused.
	KnownHosts string
	// NoAgent turns off the SSH agent (otherwise used when SSH_AUTH_SOCK is
	// set).
	NoAgent bool
	// Password is tried (as password and keyboard-interactive answers)
	// after keys.
	Password string
	// ConfigFile is the ssh_config read (default ~/.ssh/config; "none" reads
	// none).
	ConfigFile string
	// Mode chooses agent or raw mode; see Mode.
	Mode Mode
	// Binaries maps a GOARCH ("amd64", "arm64") to a local Linux procsh
	// binary for agent mode. Default: $PROCSH_SSH_AGENT_BINARY, else this
	// program itself, for its own architecture, when it runs on Linux.
	Binaries map[string]string
	// CacheDir is the remote directory binaries are cached in (default
	// ${XDG_CACHE_HOME:-$HOME/.cache}/procsh/bin on the host).
	CacheDir string
	// KillGrace is passed to the remote server (the time between SIGTERM and
	// SIGKILL when it ends a process tree); 0 keeps its default.
	KillGrace time.Duration
	// Timeout bounds the TCP connect and SSH handshake (default 15s).
	Timeout time.Duration
	// KeepAlive is how often an idle connection is probed (OpenSSH's
	// keepalive request); three unanswered probes in a row close it, so a
	// silently dropped link fails calls with ErrUnavailable instead of
	// hanging. Default 15s; negative turns probing off.
	KeepAlive time.Duration
}

// target is a resolved destination.
type target struct {
	alias    string // as the user wrote it, the ssh_config Host key
	host     string
	port     int
	user     string
	idents   []string
	jump     string
	explicit bool // identity explicitly given
}

func (t target) addr() string { return net.JoinHostPort(t.host, strconv.Itoa(t.port)) }

// parseTarget accepts "ssh://[user@]host[:port]" or "[user@]host[:port]".
func parseTarget(s string) (user, host string, port int, err error) {
	op := "ssh connect"
	if !strings.Contains(s, "://") {
		s = "ssh://" + s
	}
	u, perr := url.Parse(s)
	if perr != nil || u.Scheme != "ssh" || u.Hostname() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return "", "", 0, client.Errorf(op, client.ErrInvalidArgument, "bad target %q: want ssh://[user@]host[:port]", s)
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			return "", "", 0, client.Errorf(op, client.ErrInvalidArgument, "bad target %q: pass the password as an option, not in the URL", s)
		}
		user = u.User.Username()
	}
	if p := u.Port(); p != "" {
		n, cerr := strconv.Atoi(p)
		if cerr != nil || n < 1 || n > 65535 {
			return "", "", 0, client.Errorf(op, client.ErrInvalidArgument, "bad port %q in %q", p, s)
		}
		port = n
	}
	return user, u.Hostname(), port, nil
}

func homeDir() string {
	if h, err := os.UserHomeDir(); err == nil {
		return h
	}
	return "/"
}

func expandTilde(p string) string {
	if p == "~" {
		return homeDir()
	}
	if strings.HasPrefix(p, "~/") {
		return filepath.Join(homeDir(), p[2:])
	}
	return p
}

// resolve applies ssh_config to the target.
func resolve(s string, o Options) (target, error) {
	user, host, port, err := parseTarget(s)
	if err != nil {
		return target{}, err
	}
	t := target{alias: host, host: host, port: port, user: user}
	var cfg *ssh_config.Config
	path := o.ConfigFile
	if path == "" {
		path = filepath.Join(homeDir(), ".ssh", "config")
	}
	if path != "none" {
		f, ferr := os.Open(expandTilde(path))
		switch {
		case ferr == nil:
			cfg, err = ssh_config.Decode(f)
			f.Close()
			if err != nil {
				return target{}, &client.Error{Op: "ssh connect", Kind: client.ErrInvalidArgument, Msg: "bad ssh config " + path, Err: err}
			}
		case o.ConfigFile != "" && !errors.Is(ferr, os.ErrNotExist):
			return target{}, &client.Error{Op: "ssh connect", Kind: client.ErrInvalidArgument, Msg: "ssh config", Err: ferr}
		}
	}
	get := func(key string) string {
		if cfg == nil {
			return ""
		}
		v, _ := cfg.Get(t.alias, key)
		return v
	}
	if hn := get("HostName"); hn != "" {
		t.host = strings.ReplaceAll(hn, "%h", t.alias)
	}
	if t.port == 0 {
		if p := get("Port"); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 || n > 65535 {
				return target{}, client.Errorf("ssh connect", client.ErrInvalidArgument, "bad Port %q in ssh config for %s", p, t.alias)
			}
			t.port = n
		} else {
			t.port = 22
		}
	}
	if o.User != "" {
		t.user = o.User
	}
	if t.user == "" {
		t.user = get("User")
	}
	if t.user == "" {
		if u := os.Getenv("USER"); u != "" {
			t.user = u
		} else {
			t.user = "root"
		}
	}
	if o.Identity != "" {
		t.idents = append(t.idents, expandTilde(o.Identity))
		t.explicit = true
	}
	if cfg != nil {
		if ids, _ := cfg.GetAll(t.alias, "IdentityFile"); len(ids) > 0 {
			for _, id := range ids {
				// ssh_config reports OpenSSH's default when nothing is set;
				// the defaults are added below anyway.
				if id == "~/.ssh/identity" {
					continue
				}
				t.idents = append(t.idents, expandTilde(id))
			}
		}
	}
	for _, n := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
		t.idents = append(t.idents, filepath.Join(homeDir(), ".ssh", n))
	}
	if j := get("ProxyJump"); j != "" && !strings.EqualFold(j, "none") {
		t.jump = strings.Split(j, ",")[0]
	}
	return t, nil
}

// authMethods gathers the agent, key files and password.
func authMethods(t target, o Options) ([]ssh.AuthMethod, func(), error) {
	var methods []ssh.AuthMethod
	var signers []ssh.Signer
	cleanup := func() {}
	seen := map[string]bool{}
	for i, path := range t.idents {
		if seen[path] {
			continue
		}
		seen[path] = true
		pem, err := os.ReadFile(path)
		if err != nil {
			if i == 0 && t.explicit {
				return nil, cleanup, &client.Error{Op: "ssh connect", Kind: client.ErrInvalidArgument, Msg: "identity file", Err: err}
			}
			continue
		}
		s, err := ssh.ParsePrivateKey(pem)
		if err != nil {
			if i == 0 && t.explicit {
				var pp *ssh.PassphraseMissingError
				if errors.As(err, &pp) {
					return nil, cleanup, client.Errorf("ssh connect", client.ErrInvalidArgument, "identity %s is passphrase-protected: add it to the SSH agent", path)
				}
				return nil, cleanup, &client.Error{Op: "ssh connect", Kind: client.ErrInvalidArgument, Msg: "identity " + path, Err: err}
			}
			continue
		}
		signers = append(signers, s)
	}
	if sock := os.Getenv("SSH_AUTH_SOCK"); sock != "" && !o.NoAgent {
		if c, err := net.Dial("unix", sock); err == nil {
			ag := agent.NewClient(c)
			cleanup = func() { c.Close() }
			if as, err := ag.Signers(); err == nil {
				signers = append(signers, as...)
			}
		}
	}
	if len(signers) > 0 {
		methods = append(methods, ssh.PublicKeys(signers...))
	}
	if o.Password != "" {
		pw := o.Password
		methods = append(methods, ssh.Password(pw),
			ssh.KeyboardInteractive(func(_, _ string, qs []string, _ []bool) ([]string, error) {
				ans := make([]string, len(qs))
				for i := range ans {
					ans[i] = pw
				}
				return ans, nil
			}))
	}
	if len(methods) == 0 {
		cleanup()
		return nil, func() {}, client.Errorf("ssh connect", client.ErrUnauthorized, "no credentials for %s@%s: no usable identity file, agent or password", t.user, t.alias)
	}
	return methods, cleanup, nil
}

// hostKeys returns the callback checking keys against known_hosts, and the
// key algorithms known for the host (so the server is asked for a key type
// known_hosts can vouch for).
func hostKeys(t target, o Options) (ssh.HostKeyCallback, []string, error) {
	path := o.KnownHosts
	if path == "" {
		path = filepath.Join(homeDir(), ".ssh", "known_hosts")
	}
	path = expandTilde(path)
	if _, err := os.Stat(path); err != nil {
		return nil, nil, &client.Error{Op: "ssh connect", Kind: client.ErrUnauthorized,
			Msg: fmt.Sprintf("cannot verify the host key of %s: known_hosts %s", t.addr(), path), Err: err}
	}
	cb, err := knownhosts.New(path)
	if err != nil {
		return nil, nil, &client.Error{Op: "ssh connect", Kind: client.ErrInvalidArgument, Msg: "known_hosts " + path, Err: err}
	}
	// Probe with a key that cannot match: the KeyError lists what is known.
	var algos []string
	probeAddr := &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: t.port}
	if ip := net.ParseIP(t.host); ip != nil {
		probeAddr.IP = ip
	}
	var ke *knownhosts.KeyError
	if err := cb(knownhosts.Normalize(t.addr()), probeAddr, probeKey{}); errors.As(err, &ke) {
		for _, k := range ke.Want {
			algos = append(algos, algosFor(k.Key.Type())...)
		}
	}
	checked := func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := cb(hostname, remote, key)
		if err == nil {
			return nil
		}
		var ke *knownhosts.KeyError
		if errors.As(err, &ke) {
			if len(ke.Want) == 0 {
				return &hostKeyError{kind: "unknown", msg: fmt.Sprintf("host key of %s (%s %s) is not in %s; refusing an unknown host",
					hostname, key.Type(), ssh.FingerprintSHA256(key), path)}
			}
			return &hostKeyError{kind: "changed", msg: fmt.Sprintf("host key of %s has CHANGED: it offered %s %s, %s:%d lists another; refusing (possible man-in-the-middle)",
				hostname, key.Type(), ssh.FingerprintSHA256(key), ke.Want[0].Filename, ke.Want[0].Line)}
		}
		var re *knownhosts.RevokedError
		if errors.As(err, &re) {
			return &hostKeyError{kind: "revoked", msg: fmt.Sprintf("host key of %s is revoked in %s", hostname, path)}
		}
		return err
	}
	return checked, algos, nil
}

func algosFor(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}

// hostKeyError is a refused host key.
type hostKeyError struct{ kind, msg string }

func (e *hostKeyError) Error() string { return e.msg }

// probeKey is a public key matching nothing.
type probeKey struct{}

func (probeKey) Type() string                                 { return "procsh-probe" }
func (probeKey) Marshal() []byte                              { return []byte("procsh-probe") }
func (probeKey) Verify(data []byte, sig *ssh.Signature) error { return errors.New("probe") }

// dialSSH opens an authenticated SSH connection to the target, through its
// ProxyJump host when ssh_config names one.
func dialSSH(ctx context.Context, dest string, o Options, depth int) (*ssh.Client, target, error) {
	t, err := resolve(dest, o)
	if err != nil {
		return nil, t, err
	}
	methods, cleanup, err := authMethods(t, o)
	if err != nil {
		return nil, t, err
	}
	defer cleanup()
	cb, algos, err := hostKeys(t, o)
	if err != nil {
		return nil, t, err
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	cfg := &ssh.ClientConfig{User: t.user, Auth: methods, HostKeyCallback: cb, HostKeyAlgorithms: algos, Timeout: timeout}

	var raw net.Conn
	var jump *ssh.Client
	if t.jump != "" {
		if depth > 4 {
			return nil, t, client.Errorf("ssh connect", client.ErrInvalidArgument, "ProxyJump chain too long at %s", t.jump)
		}
		jo := o
		jo.User, jo.Identity = "", o.Identity
		jump, _, err = dialSSH(ctx, t.jump, jo, depth+1)
		if err != nil {
			return nil, t, err
		}
		raw, err = jump.DialContext(ctx, "tcp", t.addr())
	} else {
		d := net.Dialer{Timeout: timeout}
		raw, err = d.DialContext(ctx, "tcp", t.addr())
	}
	if err != nil {
		if jump != nil {
			jump.Close()
		}
		if ctx.Err() != nil {
			return nil, t, &client.Error{Op: "ssh connect", Kind: client.ErrTimeout, Msg: t.addr(), Err: ctx.Err()}
		}
		return nil, t, &client.Error{Op: "ssh connect", Kind: client.ErrUnavailable, Msg: "cannot reach " + t.addr(), Err: err}
	}
	// The handshake is bounded by ctx as well as the timeout.
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	_ = raw.SetDeadline(time.Now().Add(timeout))
	cc, chans, reqs, err := ssh.NewClientConn(raw, knownhosts.Normalize(t.addr()), cfg)
	stopped := stop()
	if err == nil && !stopped {
		err = ctx.Err()
		cc.Close()
	}
	if err != nil {
		raw.Close()
		if jump != nil {
			jump.Close()
		}
		return nil, t, classifyHandshake(ctx, t, err)
	}
	_ = raw.SetDeadline(time.Time{})
	c := ssh.NewClient(cc, chans, reqs)
	if jump != nil {
		go func() { _ = c.Wait(); jump.Close() }()
	}
	return c, t, nil
}

func classifyHandshake(ctx context.Context, t target, err error) error {
	op := "ssh connect"
	var hk *hostKeyError
	if errors.As(err, &hk) {
		return &client.Error{Op: op, Kind: client.ErrUnauthorized, Msg: hk.msg}
	}
	if ctx.Err() != nil {
		return &client.Error{Op: op, Kind: client.ErrTimeout, Msg: t.addr(), Err: ctx.Err()}
	}
	if strings.Contains(err.Error(), "unable to authenticate") {
		return &client.Error{Op: op, Kind: client.ErrUnauthorized, Msg: fmt.Sprintf("%s@%s refused our credentials", t.user, t.addr()), Err: err}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &client.Error{Op: op, Kind: client.ErrTimeout, Msg: "handshake with " + t.addr(), Err: err}
	}
	return &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "handshake with " + t.addr(), Err: err}
}
