package luabind

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/luaargs"
	"github.com/procsh/procsh/internal/shell"
	"github.com/procsh/procsh/luabind/lua51"
)

// Readiness waits and retries: process.wait_for and process.retry.

// waitFor is process.wait_for{port=, host=, http=, status=, file=,
// timeout=, interval=} → true, or nil, message, "timeout". Exactly one of
// port, http and file says what to wait for: a TCP port accepting
// connections (on host, default 127.0.0.1), a URL answering with status (by
// default any 2xx or 3xx), or a path that exists. The check runs as a
// command on the module's backend, so on a remote connection it checks
// from the remote side. It probes every interval (default 0.25 s) until
// timeout (default 30 s).
func waitFor(a *api, L *lua.LState) int {
	fname := a.name + ".wait_for"
	o := luaargs.CheckOpts(L, fname, 1)
	port := o.Number("port", 0)
	host := o.Str("host", "127.0.0.1")
	url := o.Str("http", "")
	status := o.Number("status", 0)
	file := o.Str("file", "")
	timeout := 30 * time.Second
	if o.Has("timeout") {
		timeout = o.Seconds("timeout")
	}
	interval := 250 * time.Millisecond
	if o.Has("interval") {
		interval = o.Seconds("interval")
	}
	o.Done()
	var probe, what string
	n := 0
	if port != 0 {
		n++
		if port < 1 || port > 65535 || port != float64(int(port)) {
			o.Bad("port", "a whole number 1-65535 expected")
		}
		what = fmt.Sprintf("port %s:%d", host, int(port))
		// bash's /dev/tcp needs no extra tool on the backend.
		probe = "exec bash -c " + shell.Quote("exec 3<>/dev/tcp/"+host+"/"+strconv.Itoa(int(port)))
	}
	if url != "" {
		n++
		what = "http " + url
		want := `case "$code" in [23]??) exit 0;; esac; echo "status $code" >&2; exit 1`
		if status != 0 {
			want = fmt.Sprintf(`[ "$code" = %d ] && exit 0; echo "status $code" >&2; exit 1`, int(status))
		}
		q := shell.Quote(url)
		probe = `if command -v curl >/dev/null 2>&1; then code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 ` + q + `);
else code=$(python3 -c 'import sys, urllib.request, urllib.error
try: print(urllib.request.urlopen(sys.argv[1], timeout=5).status)
except urllib.error.HTTPError as e: print(e.code)
except Exception as e: print(0)' ` + q + `); fi
` + want
	}
	if file != "" {
		n++
		what = "file " + file
		probe = "test -e " + shell.Quote(file)
	}
	if n != 1 {
		luaargs.ArgError(L, fname, 1, "opts", "exactly one of port, http and file expected")
	}
	deadline := time.Now().Add(timeout)
	last := ""
	err := a.h.wait(L, fname, "wait_for: "+what, func(ctx context.Context) error {
		for {
			left := time.Until(deadline)
			if left <= 0 {
				return context.DeadlineExceeded
			}
			pctx, cancel := context.WithDeadline(ctx, deadline)
			res, err := a.c.Exec(pctx, client.ExecRequest{Command: probe, Timeout: min(10*time.Second, left)})
			cancel()
			switch {
			case err == nil && res.ExitCode == 0:
				return nil
			case err == nil:
				if e := strings.TrimSpace(res.Stderr); e != "" && !res.TimedOut {
					last = e // keep the last informative check
				}
			case ctx.Err() != nil:
				return ctx.Err()
			case pctx.Err() == nil:
				last = err.Error()
			}
			if time.Until(deadline) <= 0 {
				return context.DeadlineExceeded
			}
			t := time.NewTimer(min(interval, time.Until(deadline)))
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
		}
	})
	if err != nil {
		msg := fmt.Sprintf("%s: timeout after %v waiting for %s", fname, timeout, what)
		if last != "" {
			msg += " (last check: " + last + ")"
		}
		return luaargs.FailKind(L, msg, KindTimeout)
	}
	L.Push(lua.LTrue)
	return 1
}

// retry is process.retry(n, fn, {delay=, backoff=, max_delay=}) → fn's
// results: it calls fn() up to n times, until it neither raises nor returns
// a false or nil first value, sleeping delay seconds (default 1) between
// attempts; backoff = "exp" doubles the delay each time, up to max_delay.
// Other tasks run during the sleeps. After the last attempt it raises the
// last error, or returns the last attempt's values (nil, msg, kind).
func retry(a *api, L *lua.LState) int {
	const fname = "process.retry"
	n := luaargs.CheckNumber(L, fname, 1, "n")
	if n < 1 || n != float64(int(n)) {
		luaargs.ArgError(L, fname, 1, "n", "a whole number ≥ 1 expected")
	}
	fn, ok := L.Get(2).(*lua.LFunction)
	if !ok {
		luaargs.ArgError(L, fname, 2, "fn", luaargs.TypeMsg("function", L.Get(2)))
	}
	o := luaargs.CheckOpts(L, fname, 3)
	delay := time.Second
	if o.Has("delay") {
		delay = o.Seconds("delay")
	}
	backoff := o.Str("backoff", "fixed")
	maxDelay := o.Seconds("max_delay")
	o.Done()
	if backoff != "fixed" && backoff != "exp" {
		luaargs.ArgError(L, fname, 3, "opts", fmt.Sprintf(`option "backoff": "fixed" or "exp" expected, got %q`, backoff))
	}
	base := L.GetTop()
	for attempt := 1; ; attempt++ {
		L.Push(fn)
		L.Push(lua.LNumber(attempt))
		err := lua51.PCall(L, 1) // keeps the script's closures attached after a failed attempt
		if err == nil && lua.LVAsBool(L.Get(base+1)) {
			return L.GetTop() - base
		}
		if a.h.threadCtx(L).Err() != nil || attempt >= int(n) {
			if err != nil {
				if ae, ok := err.(*lua.ApiError); ok {
					L.Error(ae.Object, 0)
				}
				L.RaiseError("%v", err)
			}
			return L.GetTop() - base
		}
		L.SetTop(base)
		_ = a.h.sleep(L, fname, delay)
		if backoff == "exp" {
			delay *= 2
		}
		if maxDelay > 0 && delay > maxDelay {
			delay = maxDelay
		}
	}
}
