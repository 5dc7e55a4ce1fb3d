// Package remote is the procsh backend that speaks the Daytona toolbox
// /process protocol over HTTP and WebSocket: against a Daytona sandbox (base
// URL {toolboxProxyUrl}/{sandboxId}) or a `procsh serve` server. It
// implements client.Client, so code written against the local backend runs
// unchanged against a remote machine.
//
//	r, err := remote.New("http://127.0.0.1:2280", remote.WithToken(token))
//	res, err := r.Exec(ctx, client.ExecRequest{Command: "uname -a"})
//
// The files follow the protocol's parts: remote.go (the client, its options
// and Close), caps.go (probing the procsh extensions), transport.go (HTTP
// requests with explicit body encoders and reply decoders, cancellable calls,
// WebSocket dialling), errors.go (error replies to client sentinels through
// client's kind table), exec.go (execute and code-run), session.go (sessions
// and their commands), logs.go (log streams) and pty.go (PTY sessions and
// handles). The protocol itself is described in docs/protocol.md.
package remote
