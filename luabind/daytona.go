package luabind

import (
	"context"
	"strings"
	"time"
	"unicode"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/client/daytona"
	"github.com/procsh/procsh/client/remote"
	"github.com/procsh/procsh/internal/luaargs"
)

// daytonaCreateTimeout bounds sandbox creation unless create{timeout=} says
// otherwise.
const daytonaCreateTimeout = 3 * time.Minute

// luaDaytona is process.daytona{api_key=, api_url=, organization_id=}: a
// Daytona API client (defaults DAYTONA_API_KEY, DAYTONA_API_URL) with
// get(id), list(), create{…}, delete(id); each returns sandbox tables whose
// connect() gives the same module as process.connect, over the sandbox's
// toolbox. Its functions may be called with '.' or ':'.
//
//	local d = process.daytona{}
//	local sb = d.create{snapshot = "python", labels = {job = "ci"}}
//	local p = sb:connect()
//	print(p.exec("uname -a").stdout)
//	sb:delete()
func (a *api) luaDaytona(L *lua.LState) int {
	fname := a.name + ".daytona"
	o := luaargs.CheckOpts(L, fname, 1)
	opts := daytona.Options{
		APIKey:         o.Str("api_key", ""),
		APIURL:         o.Str("api_url", ""),
		OrganizationID: o.Str("organization_id", ""),
	}
	if iv := o.Number("poll_interval", 0); iv > 0 {
		opts.PollInterval = luaargs.Seconds(iv)
	}
	o.Done()
	if a.h.cfg.profile != ProfileFull {
		return luaargs.FailKind(L, fname+": the Daytona API is not available in the restricted profile", KindUnsupported)
	}
	dc, err := daytona.New(opts)
	if err != nil {
		return luaargs.Fail(L, fname, err)
	}
	d := L.NewTable()
	// args drops a leading self, so both d.get(id) and d:get(id) work.
	args := func(L *lua.LState) int {
		if L.Get(1) == d {
			L.Remove(1)
		}
		return L.GetTop()
	}
	d.RawSetString("get", L.NewFunction(func(L *lua.LState) int {
		args(L)
		id := luaargs.CheckString(L, "daytona.get", 1, "id")
		var sb *daytona.Sandbox
		if err := a.h.wait(L, "daytona.get", "daytona get "+id, func(ctx context.Context) error {
			var err error
			sb, err = dc.Get(ctx, id)
			return err
		}); err != nil {
			return luaargs.Fail(L, "daytona.get", err)
		}
		L.Push(a.sandboxTable(L, dc, sb))
		return 1
	}))
	d.RawSetString("list", L.NewFunction(func(L *lua.LState) int {
		args(L)
		var list []daytona.Sandbox
		if err := a.h.wait(L, "daytona.list", "daytona list", func(ctx context.Context) error {
			var err error
			list, err = dc.List(ctx)
			return err
		}); err != nil {
			return luaargs.Fail(L, "daytona.list", err)
		}
		t := L.CreateTable(len(list), 0)
		for i := range list {
			t.Append(a.sandboxTable(L, dc, &list[i]))
		}
		L.Push(t)
		return 1
	}))
	d.RawSetString("create", L.NewFunction(func(L *lua.LState) int {
		args(L)
		const fn = "daytona.create"
		params := map[string]any{}
		timeout := daytonaCreateTimeout
		switch v := L.Get(1).(type) {
		case *lua.LNilType:
		case *lua.LTable:
			var bad string
			v.ForEach(func(k, val lua.LValue) {
				ks, ok := k.(lua.LString)
				if !ok {
					bad = "keys must be strings"
					return
				}
				if ks == "timeout" {
					n, ok := val.(lua.LNumber)
					if !ok || n <= 0 {
						bad = "timeout must be a positive number of seconds"
						return
					}
					timeout = luaargs.Seconds(float64(n))
					return
				}
				params[camel(string(ks))] = fromLua(val)
			})
			if bad != "" {
				luaargs.ArgError(L, fn, 1, "params", bad)
			}
		default:
			luaargs.ArgError(L, fn, 1, "params", luaargs.TypeMsg("table", v))
		}
		var sb *daytona.Sandbox
		if err := a.h.wait(L, fn, "daytona create", func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			var err error
			sb, err = dc.Create(ctx, params)
			return err
		}); err != nil {
			return luaargs.Fail(L, fn, err)
		}
		L.Push(a.sandboxTable(L, dc, sb))
		return 1
	}))
	d.RawSetString("delete", L.NewFunction(func(L *lua.LState) int {
		args(L)
		var id string
		if t, ok := L.Get(1).(*lua.LTable); ok {
			id = lua.LVAsString(t.RawGetString("id"))
		} else {
			id = luaargs.CheckString(L, "daytona.delete", 1, "id")
		}
		return a.daytonaDelete(L, dc, id)
	}))
	L.Push(d)
	return 1
}

func (a *api) daytonaDelete(L *lua.LState, dc *daytona.Client, id string) int {
	if err := a.h.wait(L, "daytona.delete", "daytona delete "+id, func(ctx context.Context) error {
		return dc.Delete(ctx, id)
	}); err != nil {
		return luaargs.Fail(L, "daytona.delete", err)
	}
	L.Push(lua.LTrue)
	return 1
}

// sandboxTable describes a sandbox (snake_case fields) with connect and
// delete methods.
func (a *api) sandboxTable(L *lua.LState, dc *daytona.Client, sb *daytona.Sandbox) *lua.LTable {
	t := L.NewTable()
	for k, v := range sb.Raw {
		t.RawSetString(snake(k), toLua(L, v))
	}
	t.RawSetString("connect", L.NewFunction(func(L *lua.LState) int {
		const fn = "sandbox:connect"
		if L.Get(1) != t {
			L.RaiseError("%s: bad self (call it with ':')", fn)
		}
		o := luaargs.CheckOpts(L, fn, 2)
		detach := o.Bool("detach", false)
		o.Done()
		var r *remote.Client
		var url string
		err := a.h.wait(L, fn, "connect: sandbox "+sb.ID, func(ctx context.Context) error {
			cur, err := dc.Get(ctx, sb.ID) // its state now, not when described
			if err != nil {
				return err
			}
			if url, err = dc.ToolboxURL(ctx, cur); err != nil {
				return err
			}
			r, err = dc.ConnectSandbox(ctx, cur)
			return err
		})
		if err != nil {
			return luaargs.Fail(L, fn, err)
		}
		mod := a.remoteModule(L, r, url, detach)
		mod.RawSetString("sandbox_id", lua.LString(sb.ID))
		L.Push(mod)
		return 1
	}))
	t.RawSetString("delete", L.NewFunction(func(L *lua.LState) int {
		return a.daytonaDelete(L, dc, sb.ID)
	}))
	return t
}

// camel turns snake_case into the API's camelCase (auto_stop_interval →
// autoStopInterval); camelCase passes unchanged.
func camel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// snake turns the API's camelCase into snake_case (toolboxProxyUrl →
// toolbox_proxy_url).
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// fromLua converts a Lua value to JSON-like Go values: tables with keys 1..n
// become arrays, other tables objects.
func fromLua(v lua.LValue) any {
	switch v := v.(type) {
	case lua.LBool:
		return bool(v)
	case lua.LNumber:
		return float64(v)
	case lua.LString:
		return string(v)
	case *lua.LTable:
		if n := v.Len(); n > 0 {
			arr := make([]any, 0, n)
			for i := 1; i <= n; i++ {
				arr = append(arr, fromLua(v.RawGetInt(i)))
			}
			return arr
		}
		m := map[string]any{}
		v.ForEach(func(k, val lua.LValue) { m[lua.LVAsString(k)] = fromLua(val) })
		return m
	}
	return nil
}
