// Package server exposes any client.Client backend over HTTP and WebSocket
// under the Daytona toolbox /process routes, so Daytona's SDKs (and the
// procsh remote client) can drive processes on this machine.
//
// The wire protocol follows docs/protocol.md in this repository: route
// set, JSON field names, status codes, the five error shapes E1–E5, the SDK
// version gates (modern split output, legacy combined output, no server-side
// demux), the version subprotocol echo, binary log frames with stdout/stderr
// markers, and the PTY WebSocket with its control frames and close codes.
// The interpreter routes (docs/protocol.md §8) are not served: they answer 404 like any
// unknown route.
//
// # Today's SDKs (docs/protocol.md §12)
//
// GET /process/pty/create-connect creates an eager PTY from the query (id,
// cols, rows, cwd) and the env in the X-Daytona-Pty-Envs~ subprotocol token,
// and attaches to it; argument errors are refused before the upgrade with a
// structured error, so nothing is created. Every upgrade echoes exactly one
// offered subprotocol when it knows one (X-Daytona-Pty-Exit-Control first,
// then a version token; never an envs token) and none otherwise. PTY
// connections that offered exit control receive the "exited" control frame
// before the unchanged close frame; others never do. Clients announcing SDK
// 0.201.0 or later get structured ErrorResponse bodies (source
// DAYTONA_DAEMON, the daemon's codes and statuses: PROCESS_NOT_FOUND 404 for
// unknown sessions, commands and PTYs, session exec included;
// PROCESS_EXECUTION_TIMEOUT; COMMAND_ALREADY_COMPLETED; INVALID_REQUEST_BODY
// for session exec validation); older clients keep the v0.190 shapes below.
//
// # Deliberate divergences from the reference daemon
//
// Each fixes a defect of docs/protocol.md §10 without changing what a client parses:
//
//   - Output is byte-exact. The backend keeps each command's output as
//     chunks {stream, data}; on the wire every chunk becomes marker+data, so
//     an unterminated last line is NOT given a "\n" (checklist 29 differs:
//     `printf nonl` yields stdout "nonl"), NUL bytes survive, and stdout and
//     stderr keep their arrival order. The stdout/stderr fields are the
//     backend's own streams, so output containing marker bytes is still
//     attributed correctly there.
//   - Log frames always start at a marker boundary (docs/protocol.md §9.4), so stateless
//     clients (Ruby) demultiplex correctly; frames carry up to 64 KiB.
//   - A followed log closes (1000) right after the last byte, because the
//     backend signals completion; the reference needs ~1 s of polling.
//   - A log follower that stops reading is flow-controlled, never dropped:
//     log data frames have no write timeout, so TCP holds the writer back
//     while the log waits on disk, and a follower that pauses for minutes
//     then resumes receives everything. Its handler ends when it goes away
//     or at Shutdown.
//   - Memory is bounded whatever the output: synchronous results keep at
//     most WithMaxOutput bytes (client.DefaultMaxOutput unless the procsh
//     client asks for "maxOutput"; "truncated" says when they were cut),
//     JSON results are escaped straight onto the connection and raw results
//     written from the backend's buffers, mixed session output is read back
//     from the log, and memory goes back to the OS after large results.
//   - `exit` in a session command does not kill the session (the backend
//     keeps it alive), so sync execs never hang on a dead shell.
//   - No orphaned stdin holder per async command.
//   - Validation (400, procshKind invalid_argument, a message naming the
//     field): session and PTY ids are 1 to MaxIDLen (128) ASCII letters,
//     digits, '-', '_' and '.', neither "." nor ".." nor containing ".." —
//     so every id that can be created can be reached by URL; timeout and
//     timeoutMs are at most MaxTimeout (2^32-1 s) and never overflow; env
//     keys match ^[A-Za-z_][A-Za-z0-9_]*$ (no '=') and no key or value holds
//     NUL, on execute, code-run, session and PTY create alike; kill signals
//     parse strictly (a bare "SIG" or an unknown name is refused; an empty
//     one is TERM); PTY sizes are whole numbers up to 1000. The fuzz targets
//     FuzzJSONHandlers and FuzzWebSocketFrames (go test -fuzz) hold the
//     request decoding and the WebSocket frame handling to this; their seed
//     corpora run with every go test.
//   - code-run argv elements are passed as separate arguments, never re-split
//     by a shell.
//   - Exec scripts: whether a `read` in an exec script consumes the next
//     script line (checklist 15) depends on the backend; the local backend
//     does not feed scripts on stdin, so `read` sees end of input.
//   - Input echo: the local backend never copies input into the log, so
//     suppressInputEcho has no visible effect (checklist 44 differs: only the
//     command's own output appears).
//   - An ended PTY stays queryable in the backend; Daytona clients still see
//     it as gone (404 on GET, absent from the list, "has terminated" on
//     connect), procsh clients see its exit status.
//   - Resizing a PTY to 0 columns or rows is refused by the local backend
//     (400); the reference accepts it.
//
// Kept on purpose for v0.190-era clients although odd: session exec in an
// unknown session is 500 in shape E2 with "session not found" in the message
// (clients rely on it); exec body validation errors are 400 with an empty
// body (E4); resize of an
// unknown PTY is 410; a wrong method answers 404, never 405; a trailing slash
// is redirected (301 for GET, 307 otherwise); Daytona clients get 408 when an
// execute times out; what an execute puts in the background keeps running
// after the answer until the server ends, as with the reference (`nohup app &` is how Daytona
// users start servers); its later output is read at 1 MiB/s and discarded,
// so a job that logs to the inherited stdout never dies of SIGPIPE and one
// that writes without end blocks on its pipe. Unknown JSON fields are
// ignored, as in the reference
// (a newer SDK may send fields we do not know); malformed JSON, wrong types,
// bad ids and bodies over the limit (413) are 4xx.
//
// # Authentication
//
// With WithToken every request, WebSocket upgrades included, must carry
// "Authorization: Bearer <token>" (or the Daytona preview header
// X-Daytona-Preview-Token, or the query parameter DAYTONA_SANDBOX_AUTH_KEY
// for browsers); the comparison is constant-time and a refusal is 401 in
// shape E1 with code UNAUTHORIZED. CheckListenAddr refuses a non-loopback
// address without a token.
//
// # Browser protection
//
// A server on loopback is reachable by every web page the user opens, so
// before authentication every request and WebSocket upgrade, with or
// without a token, must pass three checks (403 or 415 in shape E1 with code
// FORBIDDEN or UNSUPPORTED_MEDIA_TYPE otherwise):
//
//   - Host (DNS rebinding): on a connection to a loopback address the Host
//     header must name loopback — "localhost" or a loopback IP, any port —
//     or a name given with WithAllowedHosts. A page whose name was rebound
//     to 127.0.0.1 sends its own name and is refused. On other addresses a
//     token is mandatory and Host is not checked.
//   - Origin: a request that carries Origin (browsers always send it on
//     cross-origin requests and WebSocket upgrades) must come from the
//     server's own origin or one given with WithAllowedOrigins ("null" never
//     passes). Allowed foreign origins get CORS answers, preflights
//     included. Requests without Origin — Daytona's SDKs, curl, the procsh
//     client — are unaffected.
//   - Content type: a request with a body (any method but GET/HEAD) must
//     declare application/json (or a +json type); raw command input also
//     takes application/octet-stream. text/plain and form types, which a page
//     can send without a preflight, are refused even with an empty body.
//
// No token is generated when none is given. A token only protects against
// parties that can reach the port but are not the user; in the browser
// these checks already shut out every page, and on a single-user machine
// loopback reaches only the user's own programs. On a shared machine (other
// local users can connect to loopback too) give a token: procsh serve
// --token-file creates a random one in a 0600 file when the file does not
// exist yet, as Jupyter does, and never puts it on a command line.
//
// # procsh protocol extensions
//
// A Daytona client never sees them: they are switched on per request by the
// query parameter procsh=1, and advertised by GET /procsh/v1/capabilities
// ({"protocol":1,"features":[…]}; the reference daemon answers 404 there,
// which is how the remote client detects it).
//
//   - Error bodies gain "procshKind" (not_found, conflict, invalid_argument,
//     timeout, closed, unsupported, unavailable, unauthorized) so typed
//     errors survive the wire exactly.
//   - Logs WebSocket with procsh=1: binary frames are one stream byte (1
//     stdout, 2 stderr) followed by raw payload — no markers, no JSON, binary
//     safe. offset=N replays from byte N of the combined log. After the last
//     byte of an ended command a text frame {"type":"exit","exitCode":N,
//     "signal":"…","reason":"exited"|"signaled"} precedes close 1000; a stream ended by an error sends
//     {"type":"error","procshKind":…,"message":…} first.
//   - POST …/command/{cid}/kill {"signal":"TERM"} and
//     POST …/command/{cid}/close-input (204).
//   - POST …/command/{cid}/input?procsh=1 with Content-Type
//     application/octet-stream writes the body as given (no "\n" appended).
//   - GET …/command/{cid}?procsh=1&wait=true blocks until the command ends.
//   - execute with procsh=1 ends the command's background jobs before it
//     answers, unless "procshDetach":true (Lua's detach = true).
//   - execute/code-run with procsh=1: a timeout is a 200 result with
//     "timedOut":true (not 408), plus "stdout", "stderr", "signal",
//     "durationMs"; "timeoutMs" gives sub-second timeouts. Start failures are
//     typed errors instead of exit code -1.
//   - execute, code-run and sync session exec results carry the exact bytes:
//     with "Accept: application/vnd.procsh.result" the body is one JSON line
//     (the usual object plus "procshLengths") followed by the raw output,
//     stdout and stderr back to back — large or binary output travels
//     without JSON escaping; otherwise they come base64-encoded in
//     "procshRaw": {"output","stdout","stderr"} and the Daytona string
//     fields are left empty/null.
//   - Live output: execute and code-run with
//     "Accept: application/vnd.procsh.stream" answer with records (a type
//     byte — 1 stdout, 2 stderr, 0 end, 3 error — a big-endian uint32
//     length, the payload) as the output arrives; the end record holds the
//     result in the binary form above (code-run repeats the output there,
//     since chart lines are cut from it), the error record an E1 body.
//   - Cancellation: execute, code-run and sync session exec accept
//     call=<id>; POST /procsh/v1/cancel/<id> cancels that call, which then
//     answers (499, procshKind "closed") once the backend has ended what it
//     started. The remote client waits for that answer, so a cancelled call
//     returns only when its processes are gone.
//   - PTY connect with ack=true: after each input message has been written
//     to the PTY the server sends {"status":"ack","type":"control"}, so a
//     remote Write returns once its bytes reached the PTY (input from
//     several handles then arrives in Write order).
//   - Session exec results and commands gain "signal".
//   - POST /process/session accepts "cwd" and "envs".
//   - POST /process/pty accepts "command" (argv); GET/list/resize return
//     "exited", "exitCode", "exitReason" and keep ended PTYs visible.
//   - GET /process/pty/{id}/connect?procsh=1&scrollback=true puts the recent
//     output (base64) and "truncated" in the "connected" control frame.
//
// # Leases
//
// A procsh client names a lease (X-Procsh-Lease: <random id>) on every
// request; sessions and PTYs it creates belong to that lease, and every
// request carrying it renews it (the client also posts POST
// /procsh/v1/lease every grace/3, learning the grace from the
// X-Procsh-Lease-Grace-Ms reply header). When no request has named a lease
// for the grace period (WithLeaseGrace, `procsh serve --lease-grace`,
// default 30 s) — its client was killed, lost its connection or hung — the
// server deletes its sessions and kills its PTYs, process trees and all.
// Requests without a lease (Daytona's SDKs, a detached procsh client)
// create detached sessions and PTYs, which live until deleted, as in
// Daytona. GET /procsh/v1/lease lists the leases (id, expiresInMs,
// sessions, ptys) and the detached sessions and PTYs; POST
// /procsh/v1/lease with {"sessions":[...],"ptys":[...]} puts existing ones
// under the caller's lease (reclaiming them; 404 for an unknown id).
// Deleting a session or PTY removes it from its lease; creating one with
// the id of a leased one moves it to the new creator.
//
// # Shutdown
//
// Shutdown (and Serve when its context ends) refuses new requests with 503,
// closes every WebSocket with 1001, closes the backend — which ends every
// session and PTY process tree — and waits for running handlers.
package server
