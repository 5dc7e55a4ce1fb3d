// Package remote is the procsh backend that speaks the Daytona toolbox
// /process protocol over HTTP and WebSocket: against a Daytona sandbox (base
// URL {toolboxProxyUrl}/{sandboxId}) or a `procsh serve` server. It
// implements client.Client, so code written against the local backend runs
// unchanged against a remote machine.
//
//	r, err := remote.New("http://127.0.0.1:2280", remote.WithToken(token))
//	res, err := r.Exec(ctx, client.ExecRequest{Command: "uname -a"})
//
// It speaks both generations of the protocol (docs/protocol.md §12): PTYs
// are created over GET /process/pty/create-connect where the server has it
// (falling back to POST /process/pty against a v0.190 daemon, which answers
// that route with 404), every PTY connection offers exit control and reads
// the "exited" frame, and error bodies map to client's sentinels whether
// they are v0.190 shapes or structured ErrorResponse bodies with daemon codes.
//
// # Liveness
//
// A server that stops answering (SIGSTOP, a silent network partition) is
// detected by probing, not by timeouts on the calls themselves: a sync
// exec of a long command, a long-poll wait and a quiet followed log are
// legitimately silent for as long as they like, and TCP keepalive cannot
// help since a stopped process's kernel still acknowledges. While anything
// is in flight (HTTP calls, WebSocket log streams and PTY connections) one
// watchdog per Client sends GET /procsh/v1/capabilities on a connection of
// its own every d/3 and allows 2d/3 for any HTTP answer (a Daytona
// server's 404 counts), d being WithLiveness (DefaultLiveness, 15 s). When a
// probe goes unanswered every call in flight fails with ErrUnavailable and
// every WebSocket's reads and writes are failed by an expired deadline, so a
// hung server is reported within about d. Nothing is probed while the
// client is idle. This works against Daytona servers too, which need not
// answer WebSocket pings while they only write.
//
// # Leases
//
// Against a procsh server the client names a lease on every request (a
// random id per Client) and, once it has created a session or PTY, renews
// it in the background every grace/3; what it created ends on the server
// when it vanishes without Close. WithDetached turns this off for a client
// whose sessions must outlive it; Reclaim takes detached ones back.
//
// The files follow the protocol's parts: remote.go (the client, its options
// and Close), liveness.go (the hung-server watchdog), lease.go (lease renewal), caps.go (probing the procsh extensions), transport.go (HTTP
// requests with explicit body encoders and reply decoders, cancellable calls,
// WebSocket dialling), errors.go (error replies to client sentinels through
// client's kind table), exec.go (execute and code-run), session.go (sessions
// and their commands), logs.go (log streams) and pty.go (PTY sessions and
// handles). The protocol itself is described in docs/protocol.md.
package remote
