package luabind

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/expect"
	"github.com/procsh/procsh/internal/luaargs"
)

// pty:expect and cmd:expect: Lua patterns to expect patterns, the wait, and
// match tables back. Both share these semantics and results.

// defaultExpectTimeout bounds an expect without a timeout (pexpect's
// default): a mistyped pattern fails instead of hanging the script.
const defaultExpectTimeout = 30 * time.Second

// expectTailLen is how much of the unmatched output a timeout message shows.
const expectTailLen = 200

// expectPatterns reads argument 2: one pattern or a list. A string is a Go
// regexp, {exact=s} a literal, process.EOF / process.TIMEOUT the sentinels
// (timeout is the sentinel's delay). It also returns a description of each
// for messages, and whether the TIMEOUT sentinel is among them.
func (h *Host) expectPatterns(L *lua.LState, fname string, timeout time.Duration) (pats []expect.Pattern, descs []string, hasTimeoutMarker bool) {
	one := func(v lua.LValue, i int) {
		switch v := v.(type) {
		case lua.LString:
			pat, err := expect.Compile(string(v))
			if err != nil {
				luaargs.ArgError(L, fname, 2, "patterns", fmt.Sprintf("pattern %d: %v", i, err))
			}
			pats, descs = append(pats, pat), append(descs, strconv.Quote(string(v)))
			return
		case *lua.LTable:
			ex, ok := v.RawGetString("exact").(lua.LString)
			if !ok {
				luaargs.ArgError(L, fname, 2, "patterns", fmt.Sprintf("pattern %d: table without a string 'exact' field", i))
			}
			pats, descs = append(pats, expect.Literal(string(ex))), append(descs, "{exact="+strconv.Quote(string(ex))+"}")
			return
		case *lua.LUserData:
			switch v {
			case h.markerEOF:
				pats, descs = append(pats, expect.EOF), append(descs, "process.EOF")
				return
			case h.markerTimeout:
				hasTimeoutMarker = true
				pats, descs = append(pats, expect.Timeout(timeout)), append(descs, "process.TIMEOUT")
				return
			}
		}
		luaargs.ArgError(L, fname, 2, "patterns", fmt.Sprintf("pattern %d: string (regexp), {exact=...}, process.EOF or process.TIMEOUT expected, got %s", i, v.Type()))
	}
	arg := L.Get(2)
	if t, ok := arg.(*lua.LTable); ok && t.RawGetString("exact") == lua.LNil {
		if t.Len() == 0 {
			luaargs.ArgError(L, fname, 2, "patterns", "empty list")
		}
		for i := 1; i <= t.Len(); i++ {
			one(t.RawGetInt(i), i)
		}
	} else {
		one(arg, 1)
	}
	return pats, descs, hasTimeoutMarker
}

// timeoutMessage says what an expect waited for and what it saw instead. A
// pattern that looks like a Lua pattern ("%d", "%-") gets a hint, since
// patterns are Go regexps.
func timeoutMessage(fname string, d time.Duration, descs []string, buffered string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: timeout after %v waiting for %s", fname, d, strings.Join(descs, " or "))
	for _, s := range descs {
		if strings.HasPrefix(s, `"`) && strings.Contains(s, "%") {
			b.WriteString(" (patterns are Go regular expressions, not Lua patterns: write \\\\d, not %d)")
			break
		}
	}
	tail := buffered
	if len(tail) > expectTailLen {
		tail = "…" + tail[len(tail)-expectTailLen:]
	}
	fmt.Fprintf(&b, "; unmatched output: %q", tail)
	return b.String()
}

// expectOn is the body of pty:expect and cmd:expect: patterns at argument
// 2, the already-read timeout (has: given in the call), the wait, and the
// pushed results.
func (h *Host) expectOn(L *lua.LState, fname string, exp *expect.Expecter, timeout time.Duration, has bool) int {
	pats, descs, hasTimeoutMarker := h.expectPatterns(L, fname, timeout)
	var res expect.Result
	err := h.wait(L, fname, "expect", func(ctx context.Context) error {
		if !hasTimeoutMarker {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		var err error
		res, err = exp.Expect(ctx, pats...)
		if err != nil && errors.Is(err, context.DeadlineExceeded) {
			err = expect.ErrTimeout
		}
		return err
	})
	if err != nil {
		switch {
		case errors.Is(err, expect.ErrTimeout):
			return luaargs.FailKind(L, timeoutMessage(fname, timeout, descs, exp.Buffered()), KindTimeout)
		case errors.Is(err, expect.ErrEOF):
			return luaargs.FailKind(L, "eof", KindClosed)
		}
		return luaargs.Fail(L, fname, fromExpect(err))
	}
	m := L.NewTable()
	m.RawSetString("before", lua.LString(res.Before))
	m.RawSetString("match", lua.LString(res.Match))
	groups := L.CreateTable(len(res.Groups), 0)
	for _, g := range res.Groups {
		groups.Append(lua.LString(g))
	}
	m.RawSetString("groups", groups)
	m.RawSetString("eof", lua.LBool(res.EOF))
	m.RawSetString("timed_out", lua.LBool(res.TimedOut))
	L.Push(lua.LNumber(res.Index + 1))
	L.Push(m)
	return 2
}

// ptyExpect is pty:expect(patterns, {timeout=, strip_ansi=}): it waits
// until one of the patterns matches the output and returns its index and a
// match table {before=, match=, groups={...}}. patterns is one pattern or a
// list. strip_ansi may be given but must agree with the PTY's setting. The
// timeout defaults to the PTY's (30 s unless process.pty{timeout=} said
// otherwise). On timeout it returns nil, a message naming the patterns and
// the unmatched output, "timeout" (or the index of process.TIMEOUT); at end
// of output nil, "eof", "closed" (or the index of process.EOF).
func ptyExpect(L *lua.LState) int {
	p := self[*ptyObj](L, "pty:expect")
	o := luaargs.CheckOpts(L, "pty:expect", 3)
	timeout, hasTimeout := o.Seconds("timeout"), o.Has("timeout")
	if v := o.Get("strip_ansi"); v != lua.LNil && o.Bool("strip_ansi", p.strip) != p.strip {
		// The expect engine strips as it reads, so this is fixed per PTY.
		o.Bad("strip_ansi", "is chosen when the PTY is created (process.pty{strip_ansi=...}); this PTY has strip_ansi="+lua.LBool(p.strip).String())
	}
	o.Done()
	if !hasTimeout {
		timeout = p.timeout
	}
	return p.a.h.expectOn(L, "pty:expect", p.exp, timeout, hasTimeout)
}

// cmdExpect is cmd:expect(patterns, {timeout=}): pty:expect over a session
// command's output (stdout and stderr in arrival order, from the start),
// for answering prompts of commands that run without a PTY. Successive
// calls consume the output in order. The timeout defaults to 30 s.
func cmdExpect(L *lua.LState) int {
	c := self[*command](L, "cmd:expect")
	o := luaargs.CheckOpts(L, "cmd:expect", 3)
	timeout, hasTimeout := o.Seconds("timeout"), o.Has("timeout")
	o.Done()
	if !hasTimeout {
		timeout = defaultExpectTimeout
	}
	exp, err := c.expecter(L)
	if err != nil {
		return luaargs.Fail(L, "cmd:expect", err)
	}
	return c.a.h.expectOn(L, "cmd:expect", exp, timeout, hasTimeout)
}

// expecter returns (creating it once) the expect engine reading c's output
// stream. The run closes it at its end.
func (c *command) expecter(L *lua.LState) (*expect.Expecter, error) {
	if c.exp != nil {
		return c.exp, nil
	}
	r := c.r
	sctx, cancel := context.WithCancel(r.ctx)
	var st client.LogStream
	err := c.a.h.wait(L, "cmd:expect", "", func(ctx context.Context) error {
		var err error
		st, err = c.a.c.StreamCommandLogs(sctx, c.sid, c.id, client.LogOptions{Follow: true})
		return err
	})
	if err != nil {
		cancel()
		return nil, err
	}
	c.exp = expect.NewReader(&logReader{st: st}, nil, expect.WithTimeout(defaultExpectTimeout))
	exp := c.exp
	r.add(resourceFunc(func(context.Context) { cancel(); _ = st.Close(); _ = exp.Close() }))
	return exp, nil
}

// logReader reads a log stream as one byte stream (both streams, in
// arrival order).
type logReader struct {
	st   client.LogStream
	left []byte
}

func (lr *logReader) Read(p []byte) (int, error) {
	for len(lr.left) == 0 {
		ch, err := lr.st.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return 0, io.EOF
			}
			return 0, err
		}
		lr.left = ch.Data
	}
	n := copy(p, lr.left)
	lr.left = lr.left[n:]
	return n, nil
}

// fromExpect gives the expect engine's own sentinels the client kinds that
// scripts see (expect imports nothing of procsh, so its errors do not
// match client's sentinels by themselves).
func fromExpect(err error) error {
	switch {
	case errors.Is(err, expect.ErrTimeout):
		return &client.Error{Kind: client.ErrTimeout, Err: err}
	case errors.Is(err, expect.ErrClosed):
		return &client.Error{Kind: client.ErrClosed, Err: err}
	}
	return err
}
