package luabind

import (
	"context"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/client"
	clientssh "github.com/procsh/procsh/client/ssh"
	"github.com/procsh/procsh/internal/luaargs"
)

// isSSHURL reports whether process.connect should take the SSH branch.
func isSSHURL(url string) bool { return strings.HasPrefix(url, "ssh://") }

// connectSSH is process.connect("ssh://[user@]host[:port]", {identity=,
// known_hosts=, agent=, mode=, password=, ssh_config=, detach=}): the same
// module as for a procsh server, over SSH (see package client/ssh). The
// restricted profile refuses it: it reads key files and reaches the network.
func (a *api) connectSSH(L *lua.LState, fname, url string, o *luaargs.Opts) int {
	so := clientssh.Options{
		Identity:   o.Str("identity", ""),
		KnownHosts: o.Str("known_hosts", ""),
		NoAgent:    !o.Bool("agent", true),
		Mode:       clientssh.Mode(o.Str("mode", "")),
		Password:   o.Str("password", ""),
		ConfigFile: o.Str("ssh_config", ""),
	}
	detach := o.Bool("detach", false)
	o.Done()
	h := a.h
	if h.cfg.profile != ProfileFull {
		return luaargs.FailKind(L, fname+": ssh connections are not available in the restricted profile", KindUnsupported)
	}
	var c client.Client
	err := h.wait(L, fname, "connect: "+url, func(ctx context.Context) error {
		sc, err := clientssh.Dial(ctx, url, so)
		if err == nil {
			c = sc
		}
		return err
	})
	if err != nil {
		return luaargs.Fail(L, fname, err)
	}
	mod := a.remoteModule(L, c, url, detach)
	mod.RawSetString("mode", lua.LString(string(c.(*clientssh.Client).Mode())))
	L.Push(mod)
	return 1
}

// remoteModule wraps a connected client in a process module with url and
// close(); unless detached, the connection is closed when the run ends.
func (a *api) remoteModule(L *lua.LState, c client.Client, url string, detach bool) *lua.LTable {
	h := a.h
	if !detach {
		h.cur.add(resourceFunc(func(context.Context) { _ = c.Close() }))
	}
	mod := h.newProcessModule(L, &api{h: h, c: c, name: "remote", target: url})
	mod.RawSetString("url", lua.LString(url))
	mod.RawSetString("close", L.NewFunction(func(L *lua.LState) int {
		if err := c.Close(); err != nil {
			return luaargs.Fail(L, "remote.close", err)
		}
		L.Push(lua.LTrue)
		return 1
	}))
	return mod
}
