// Package ssh is the SSH backend: a client.Client for a host reached over
// SSH (golang.org/x/crypto/ssh), with OpenSSH's conventions: host keys are
// checked against known_hosts (unknown and changed keys are refused),
// ~/.ssh/config supplies HostName, User, Port, IdentityFile and ProxyJump,
// and the SSH agent (SSH_AUTH_SOCK) is used when available.
//
// In agent mode (the default where the host is Linux on an architecture we
// have a binary for) the backend copies procsh's own binary to the host,
// content-addressed in the remote user's cache directory
// (${XDG_CACHE_HOME:-~/.cache}/procsh/bin/procsh-<sha256>, verified by hash,
// written atomically, reused by later connections), and runs
// `procsh serve --stdio` there: the server listens on a Unix socket in a
// fresh 0700 directory, reached through SSH stream-local forwarding, and
// takes its bearer token from stdin, never from a command line. The whole
// API then works as against `procsh serve`. The server ends, with every
// process it started, when its SSH channel closes, so also when the
// connection drops.
//
// In raw mode nothing is uploaded: Exec and CodeRun run over plain SSH
// channels with cwd and environment applied in the command (sshd often
// refuses Setenv), exit codes and signals are reported, and timeouts and
// cancellation kill the remote process group over a second channel (which
// works where sshd ignores signal requests). PTYs are SSH sessions with a
// pty request: several handles may attach, late ones may ask for
// scrollback, and Kill ends the program's process group over a second
// channel. Sessions report ErrUnsupported.
package ssh
