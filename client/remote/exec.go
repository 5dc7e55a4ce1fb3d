package remote

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/wire"
)

// execStreamReader reads a wire.StreamType body: output records go to
// onOutput as they arrive, the end record fills out.
type execStreamReader struct {
	out                 *wire.ExecuteResponse
	onOutput            func(client.Chunk)
	all, stdout, stderr []byte
	ended               bool
}

func (sr *execStreamReader) read(op string, body io.Reader) error {
	br := bufio.NewReaderSize(body, 64<<10)
	var buf []byte
	for {
		typ, payload, err := wire.ReadRecord(br, buf)
		if err != nil {
			return err
		}
		buf = payload[:0]
		switch typ {
		case wire.StreamStdout, wire.StreamStderr:
			st := client.Stdout
			if typ == wire.StreamStderr {
				st = client.Stderr
				sr.stderr = append(sr.stderr, payload...)
			} else {
				sr.stdout = append(sr.stdout, payload...)
			}
			off := int64(len(sr.all))
			sr.all = append(sr.all, payload...)
			sr.onOutput(client.Chunk{Stream: st, Offset: off, Data: payload})
		case wire.RecordEnd:
			parts, err := wire.ReadRawResult(bytes.NewReader(payload), sr.out, func() []int64 { return sr.out.Lengths })
			if err != nil {
				return err
			}
			if len(parts) == 3 {
				sr.out.Raw = &wire.RawOutput{Output: parts[0], Stdout: parts[1], Stderr: parts[2]}
			}
			sr.ended = true
			return nil
		case wire.RecordError:
			var eb wire.ErrorBody
			_ = json.Unmarshal(payload, &eb)
			return errorFor(op, eb.StatusCode, http.StatusText(eb.StatusCode), payload)
		default:
			return client.Errorf(op, client.ErrUnavailable, "unknown stream record type %d", typ)
		}
	}
}

// decoder reads the reply of an execute or code-run that asked for live
// output: a wire.StreamType body, or, from a server that answered without
// streaming, fallback's forms.
func (sr *execStreamReader) decoder(fallback *decoder) *decoder {
	return &decoder{
		accept: wire.StreamType + ", " + wire.RawResultType + ", application/json",
		decode: func(ctx context.Context, op string, resp *http.Response) error {
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), wire.StreamType) {
				return fallback.decode(ctx, op, resp)
			}
			if err := sr.read(op, resp.Body); err != nil {
				var e *client.Error
				if !errors.As(err, &e) {
					err = transportErr(op, ctx, err)
				}
				return err
			}
			return nil
		},
	}
}

// secondsCeil converts a timeout to the protocol's whole seconds, rounding
// up so a short timeout never becomes "none".
// maxWireTimeout is the longest timeout the protocol carries (2^32-1 s,
// the reference's uint32 seconds). A longer one means "none": no command
// runs for 136 years, and the local backend takes math.huge the same way.
const maxWireTimeout = time.Duration(1<<32-1) * time.Second

// wireTimeout is d as the protocol can carry it.
func wireTimeout(d time.Duration) time.Duration {
	if d > maxWireTimeout {
		return 0
	}
	return d
}

func secondsCeil(d time.Duration) uint32 {
	if d <= 0 {
		return 0
	}
	return uint32((d + time.Second - 1) / time.Second)
}

// Exec implements Client.
func (r *Client) Exec(ctx context.Context, req client.ExecRequest) (*client.ExecResult, error) {
	const op = "exec"
	if strings.TrimSpace(req.Command) == "" {
		return nil, client.Errorf(op, client.ErrInvalidArgument, "command is empty")
	}
	if req.Timeout < 0 {
		return nil, client.Errorf(op, client.ErrInvalidArgument, "negative timeout")
	}
	q, extended, err := r.extQuery(ctx, wire.FeatExecResult)
	if err != nil {
		return nil, err
	}
	req.Timeout = wireTimeout(req.Timeout)
	in := wire.ExecuteRequest{Command: req.Command, Cwd: req.Cwd, Envs: req.Env, Timeout: secondsCeil(req.Timeout), MaxOutput: req.MaxOutput}
	if extended && req.Timeout > 0 {
		in.TimeoutMs = uint64(max(req.Timeout/time.Millisecond, 1))
	}
	if extended {
		in.Merge, in.Detach = req.Merge, req.Detach
	}
	return r.execCall(ctx, op, "/process/execute", q, in, req.OnOutput)
}

func (r *Client) execCall(ctx context.Context, op, path string, q url.Values, in any, onOutput func(client.Chunk)) (*client.ExecResult, error) {
	start := time.Now()
	var out wire.ExecuteResponse
	extended := q.Get(wire.ExtParam) != ""
	dec := rawResultInto(&out, func() []int64 { return out.Lengths }, func(raw *wire.RawOutput) { out.Raw = raw }, extended)
	var sr *execStreamReader
	if onOutput != nil && extended {
		if ok, _ := r.has(ctx, wire.FeatExecStream); ok {
			sr = &execStreamReader{out: &out, onOutput: onOutput}
			dec = sr.decoder(dec)
		}
	}
	status, err := r.cancellableCall(ctx, op, http.MethodPost, path, q, jsonBody(in), dec)
	if status == http.StatusRequestTimeout {
		// Daytona: the run was killed and its output discarded.
		return &client.ExecResult{ExitCode: client.ExitCodeForSignal(syscall.SIGKILL), TimedOut: true, Signal: "KILL", Duration: time.Since(start)}, nil
	}
	if err != nil {
		return nil, err
	}
	res := &client.ExecResult{
		ExitCode: out.ExitCode, Result: out.Result, TimedOut: out.TimedOut, Signal: out.Signal, Truncated: out.Truncated,
		Duration: time.Duration(out.DurationMs * float64(time.Millisecond)),
	}
	if res.Duration == 0 {
		res.Duration = time.Since(start)
	}
	if sig, err := client.ParseSignal(res.Signal); err == nil && res.ExitCode == -1 {
		// Servers before the one exit-status convention sent -1 for a
		// signalled run.
		res.ExitCode = client.ExitCodeForSignal(sig)
	}
	if out.Stdout != nil && out.Stderr != nil {
		res.Stdout, res.Stderr, res.HasStreams = *out.Stdout, *out.Stderr, true
	}
	streamed := sr != nil && sr.ended
	if streamed && out.Raw == nil {
		// The output came as records; the end record repeats it only
		// when it differs (code-run cuts chart lines).
		out.Raw = &wire.RawOutput{Output: sr.all, Stdout: sr.stdout, Stderr: sr.stderr}
	}
	if out.Raw != nil {
		res.Result = string(out.Raw.Output)
		if res.HasStreams {
			res.Stdout, res.Stderr = string(out.Raw.Stdout), string(out.Raw.Stderr)
		}
	}
	res.Artifacts.Stdout = res.Result
	if out.Artifacts != nil {
		for _, raw := range out.Artifacts.Charts {
			var c client.Chart
			if json.Unmarshal(raw, &c) == nil {
				res.Artifacts.Charts = append(res.Artifacts.Charts, c)
			}
		}
	}
	if onOutput != nil && res.Result != "" && !streamed {
		// Without the stream extension all output arrives at once.
		onOutput(client.Chunk{Stream: client.Stdout, Data: []byte(res.Result)})
	}
	return res, nil
}

// CodeRun implements Client.
func (r *Client) CodeRun(ctx context.Context, req client.CodeRunRequest) (*client.ExecResult, error) {
	const op = "code run"
	if req.Language == "" {
		req.Language = client.Python
	}
	if req.Code == "" {
		return nil, client.Errorf(op, client.ErrInvalidArgument, "code is empty")
	}
	if req.Timeout < 0 {
		return nil, client.Errorf(op, client.ErrInvalidArgument, "negative timeout")
	}
	q, extended, err := r.extQuery(ctx, wire.FeatExecResult)
	if err != nil {
		return nil, err
	}
	req.Timeout = wireTimeout(req.Timeout)
	in := wire.CodeRunRequest{Code: req.Code, Language: req.Language, Argv: req.Argv, Envs: req.Env, Timeout: secondsCeil(req.Timeout), MaxOutput: req.MaxOutput}
	if req.Stdin != "" {
		// Daytona's code-run has no stdin and ignores unknown fields: the
		// program would run without its input, so it does not run at all.
		if ok, err := r.has(ctx, wire.FeatCodeRunStdin); err != nil {
			return nil, err
		} else if !ok {
			return nil, client.Errorf(op, client.ErrUnsupported, "stdin needs a procsh server (feature %s); this server does not offer it", wire.FeatCodeRunStdin)
		}
		in.Stdin = []byte(req.Stdin)
	}
	if extended && req.Timeout > 0 {
		in.TimeoutMs = uint64(max(req.Timeout/time.Millisecond, 1))
	}
	// A server without the extensions merges anyway (it answers only a
	// combined result).
	in.Merge = extended && req.Merge
	return r.execCall(ctx, op, "/process/code-run", q, in, req.OnOutput)
}
