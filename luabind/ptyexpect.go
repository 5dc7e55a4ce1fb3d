package luabind

import (
	"context"
	"errors"
	"fmt"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/expect"
	"github.com/procsh/procsh/internal/luaargs"
)

// pty:expect: Lua patterns to expect patterns, and match tables back.

// toPattern converts one Lua pattern: a string is a Go regexp, {exact=s} a
// literal, process.EOF / process.TIMEOUT the sentinels.
func (p *ptyObj) toPattern(L *lua.LState, v lua.LValue, i int, timeout time.Duration) expect.Pattern {
	switch v := v.(type) {
	case lua.LString:
		pat, err := expect.Compile(string(v))
		if err != nil {
			luaargs.ArgError(L, "pty:expect", 2, "patterns", fmt.Sprintf("pattern %d: %v", i, err))
		}
		return pat
	case *lua.LTable:
		ex, ok := v.RawGetString("exact").(lua.LString)
		if !ok {
			luaargs.ArgError(L, "pty:expect", 2, "patterns", fmt.Sprintf("pattern %d: table without a string 'exact' field", i))
		}
		return expect.Literal(string(ex))
	case *lua.LUserData:
		if v == p.a.h.markerEOF {
			return expect.EOF
		}
		if v == p.a.h.markerTimeout {
			return expect.Timeout(timeout)
		}
	}
	luaargs.ArgError(L, "pty:expect", 2, "patterns", fmt.Sprintf("pattern %d: string (regexp), {exact=...}, process.EOF or process.TIMEOUT expected, got %s", i, v.Type()))
	return nil
}

// ptyExpect is pty:expect(patterns, {timeout=}): it waits until one of the
// patterns matches the output and returns its index and a match table
// {before=, match=, groups={...}}. patterns is one pattern or a list.
// strip_ansi may be given but must agree with the PTY's setting. On
// timeout it returns nil, "timeout", "timeout" (or the index of
// process.TIMEOUT); at end of output nil, "eof", "closed" (or the index of
// process.EOF).
func ptyExpect(L *lua.LState) int {
	p := self[*ptyObj](L, "pty:expect")
	o := luaargs.CheckOpts(L, "pty:expect", 3)
	timeout, hasTimeout := o.Seconds("timeout"), o.Get("timeout") != lua.LNil
	if v := o.Get("strip_ansi"); v != lua.LNil && o.Bool("strip_ansi", p.strip) != p.strip {
		// The expect engine strips as it reads, so this is fixed per PTY.
		o.Bad("strip_ansi", "is chosen when the PTY is created (process.pty{strip_ansi=...}); this PTY has strip_ansi="+lua.LBool(p.strip).String())
	}
	o.Done()
	if !hasTimeout {
		timeout = p.timeout // process.TIMEOUT without a timeout uses the PTY's default
	}
	var pats []expect.Pattern
	hasTimeoutMarker := false
	arg := L.Get(2)
	if t, ok := arg.(*lua.LTable); ok && t.RawGetString("exact") == lua.LNil {
		if t.Len() == 0 {
			luaargs.ArgError(L, "pty:expect", 2, "patterns", "empty list")
		}
		for i := 1; i <= t.Len(); i++ {
			v := t.RawGetInt(i)
			hasTimeoutMarker = hasTimeoutMarker || v == p.a.h.markerTimeout
			pats = append(pats, p.toPattern(L, v, i, timeout))
		}
	} else {
		hasTimeoutMarker = arg == p.a.h.markerTimeout
		pats = append(pats, p.toPattern(L, arg, 1, timeout))
	}
	var res expect.Result
	err := p.a.h.wait(L, "pty:expect", "expect", func(ctx context.Context) error {
		if hasTimeout && !hasTimeoutMarker {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		var err error
		res, err = p.exp.Expect(ctx, pats...)
		if err != nil && errors.Is(err, context.DeadlineExceeded) {
			err = expect.ErrTimeout
		}
		return err
	})
	if err != nil {
		switch {
		case errors.Is(err, expect.ErrTimeout):
			return luaargs.FailKind(L, "timeout", KindTimeout)
		case errors.Is(err, expect.ErrEOF):
			return luaargs.FailKind(L, "eof", KindClosed)
		}
		return luaargs.Fail(L, "pty:expect", fromExpect(err))
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
