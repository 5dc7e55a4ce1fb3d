package ssh

import (
	"bufio"
	"context"
	"errors"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/ids"
	"github.com/procsh/procsh/internal/shell"
)

// rawKillGrace is the time between TERM and KILL when raw mode ends a
// timed-out or cancelled command.
const rawKillGrace = 2 * time.Second

// prelude applies cwd and env in the command itself: many sshd
// configurations refuse Setenv requests, and none offers a working
// directory.
func prelude(op, cwd string, env map[string]string) (string, error) {
	if err := client.CheckEnv(op, env); err != nil {
		return "", err
	}
	var b strings.Builder
	if cwd != "" {
		b.WriteString("cd -- " + shell.Quote(cwd) + " || exit 1; ")
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString("export " + k + "=" + shell.Quote(env[k]) + "; ")
	}
	return b.String(), nil
}

// pidMark starts the line carrying the wrapper's pid. Lines before it are
// the login shell's own output (an rc file that prints), passed on as
// output.
const pidMark = "PROCSH-PID "

// readPid reads lines up to the pid line, handing earlier ones to emit.
func readPid(br *bufio.Reader, emit func([]byte)) (string, error) {
	for {
		line, err := br.ReadString('\n')
		if rest, ok := strings.CutPrefix(line, pidMark); ok {
			return strings.TrimSpace(rest), nil
		}
		if err != nil {
			return "", err
		}
		if emit != nil {
			emit([]byte(line))
		}
	}
}

// wrap makes the command line sshd runs through the user's login shell
// (whatever it is): a POSIX sh that first prints its pid (its process group,
// since sshd makes it a session leader) so the command can be killed over
// a second channel even where sshd ignores signal requests.
func wrap(body string) string {
	return "exec /bin/sh -c " + shell.Quote("echo "+pidMark+"$$; "+body)
}

func (c *Client) rawExec(ctx context.Context, req client.ExecRequest) (*client.ExecResult, error) {
	op := "exec"
	if strings.TrimSpace(req.Command) == "" {
		return nil, client.Errorf(op, client.ErrInvalidArgument, "empty command")
	}
	if req.Timeout < 0 {
		return nil, client.Errorf(op, client.ErrInvalidArgument, "negative timeout")
	}
	pre, err := prelude(op, req.Cwd, req.Env)
	if err != nil {
		return nil, err
	}
	// The script travels on stdin (no ARG_MAX limit); the command itself
	// then reads from /dev/null, as a one-shot command has no input.
	tag := ids.Hex(8)
	body := `s=$(cat); exec </dev/null; ` + pre + `export ` + tagKey + `=` + tag + `; eval "$s"`
	return c.runRaw(ctx, op, wrap(body), tag, strings.NewReader(req.Command), req.Timeout, req.OnOutput)
}

func (c *Client) rawCodeRun(ctx context.Context, req client.CodeRunRequest) (*client.ExecResult, error) {
	op := "code run"
	if req.Timeout < 0 {
		return nil, client.Errorf(op, client.ErrInvalidArgument, "negative timeout")
	}
	if req.Stdin != "" {
		// The code itself travels on the channel's stdin.
		return nil, client.Errorf(op, client.ErrUnsupported, "stdin for code run in raw SSH mode (use agent mode)")
	}
	pre, err := prelude(op, "", req.Env)
	if err != nil {
		return nil, err
	}
	var prog string
	switch req.Language {
	case "", client.Python:
		prog = "python3 -u -"
	case client.JavaScript:
		prog = "node -"
	case client.TypeScript:
		return nil, client.Errorf(op, client.ErrUnsupported, "typescript in raw SSH mode (use agent mode)")
	default:
		return nil, client.Errorf(op, client.ErrInvalidArgument, "unsupported language: %s", req.Language)
	}
	tag := ids.Hex(8)
	body := pre + "export " + tagKey + "=" + tag + "; exec " + prog
	if len(req.Argv) > 0 {
		body += " " + shell.Join(req.Argv)
	}
	return c.runRaw(ctx, op, wrap(body), tag, strings.NewReader(req.Code), req.Timeout, req.OnOutput)
}

// tagKey tags every process a raw command or PTY starts (it is exported in
// the command), so that processes that left the process group and session
// are still found when it is killed.
const tagKey = "PROCSH_SSH_TAG"

// killTreeScript signals, over a new channel, the process group and session
// led by $1 and every process carrying tag $2, rescanning /proc until none
// is left (for KILL) or once (for other signals). Where there is no /proc it
// signals the process group only.
const killTreeScript = `root=$1 tag=$2 sig=$3
kill -"$sig" -- -"$root" 2>/dev/null
[ -d /proc/self ] || exit 0
for round in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
  pids=
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    [ "$p" = "$$" ] && continue
    s=$(cat "$d/stat" 2>/dev/null) || continue
    s=${s##*) }
    set -- $s
    [ "$1" = Z ] && continue
    if [ "$p" = "$root" ] || [ "$3" = "$root" ] || [ "$4" = "$root" ] ||
       grep -qsa -- "` + tagKey + `=$tag" "$d/environ"; then
      pids="$pids $p"
    fi
  done
  [ -z "$pids" ] && exit 0
  kill -"$sig" $pids 2>/dev/null
  [ "$sig" = KILL ] || exit 0
  sleep 0.05
done`

// killTree signals the tree of a raw command or PTY (see killTreeScript).
func (c *Client) killTree(pid int, tag, sig string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := "exec /bin/sh -c " + shell.Quote(killTreeScript) + " sh " + strconv.Itoa(pid) + " " + shell.Quote(tag) + " " + sig
	_, err := run(ctx, c.conn, cmd, nil)
	return err
}

// runRaw runs cmd (built by wrap) with stdin, collecting its output.
func (c *Client) runRaw(ctx context.Context, op, cmd, tag string, stdin io.Reader, timeout time.Duration, onOutput func(client.Chunk)) (*client.ExecResult, error) {
	start := time.Now()
	s, err := c.conn.NewSession()
	if err != nil {
		return nil, &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "open SSH channel", Err: err}
	}
	defer s.Close()
	s.Stdin = stdin
	outR, _ := s.StdoutPipe()
	errR, _ := s.StderrPipe()
	if err := s.Start(cmd); err != nil {
		return nil, &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "start command", Err: err}
	}
	res := &client.ExecResult{HasStreams: true}
	var mu sync.Mutex
	var combined, so, se strings.Builder
	emit := func(st client.Stream, p []byte) {
		mu.Lock()
		defer mu.Unlock()
		off := int64(combined.Len())
		combined.Write(p)
		if st == client.Stdout {
			so.Write(p)
		} else {
			se.Write(p)
		}
		if onOutput != nil {
			onOutput(client.Chunk{Stream: st, Offset: off, Data: p})
		}
	}
	pidc := make(chan int, 1)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		br := bufio.NewReader(outR)
		line, err := readPid(br, func(p []byte) { emit(client.Stdout, p) })
		pid, _ := strconv.Atoi(line)
		pidc <- pid
		if err != nil {
			return
		}
		pump(br, func(p []byte) { emit(client.Stdout, p) })
	}()
	go func() {
		defer wg.Done()
		pump(errR, func(p []byte) { emit(client.Stderr, p) })
	}()
	waitc := make(chan error, 1)
	go func() {
		wg.Wait()
		waitc <- s.Wait()
	}()

	var pid int
	select {
	case pid = <-pidc:
	case err := <-waitc:
		return nil, &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "command did not start", Err: err}
	}
	var timer <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timer = t.C
	}
	var cancelled error
	var waitErr error
	ended := false
	for !ended {
		select {
		case waitErr = <-waitc:
			ended = true
		case <-timer:
			timer = nil
			res.TimedOut = true
			c.endTree(pid, tag, waitc, &waitErr, &ended)
		case <-ctx.Done():
			cancelled = ctx.Err()
			c.endTree(pid, tag, waitc, &waitErr, &ended)
		}
	}
	res.Duration = time.Since(start)
	res.Result, res.Stdout, res.Stderr = combined.String(), so.String(), se.String()
	res.Artifacts.Stdout = res.Result
	var ee *ssh.ExitError
	switch {
	case waitErr == nil:
	case errors.As(waitErr, &ee):
		if sig := ee.Signal(); sig != "" {
			res.ExitCode, res.Signal = -1, strings.TrimPrefix(sig, "SIG")
		} else {
			res.ExitCode = ee.ExitStatus()
		}
	default:
		if cancelled == nil && !res.TimedOut {
			return nil, &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "SSH connection lost", Err: waitErr}
		}
		res.ExitCode = -1
	}
	if res.TimedOut && res.Signal == "" && res.ExitCode >= 128 {
		// The shell reports a child killed by TERM as 128+15.
		res.ExitCode, res.Signal = -1, client.SignalName(syscallSignal(res.ExitCode-128))
	}
	if cancelled != nil {
		if errors.Is(cancelled, context.DeadlineExceeded) {
			return nil, &client.Error{Op: op, Kind: client.ErrTimeout, Err: cancelled}
		}
		return nil, &client.Error{Op: op, Kind: client.ErrClosed, Msg: "cancelled", Err: cancelled}
	}
	return res, nil
}

// endTree sends TERM to the command's tree, then KILL after a grace,
// waiting for the command to end.
func (c *Client) endTree(pid int, tag string, waitc <-chan error, waitErr *error, ended *bool) {
	if pid <= 1 {
		return
	}
	_ = c.killTree(pid, tag, "TERM")
	select {
	case *waitErr = <-waitc:
		*ended = true
		return
	case <-time.After(rawKillGrace):
	}
	_ = c.killTree(pid, tag, "KILL")
	select {
	case *waitErr = <-waitc:
		*ended = true
	case <-time.After(10 * time.Second):
		*waitErr, *ended = errors.New("command did not end after SIGKILL"), true
	}
}

func pump(r io.Reader, f func([]byte)) {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			f(append([]byte(nil), buf[:n]...))
		}
		if err != nil {
			return
		}
	}
}
