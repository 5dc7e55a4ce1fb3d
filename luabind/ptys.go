package luabind

import (
	"context"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/luaargs"
)

// The process module's PTY functions that take an id rather than a PTY
// object, and the PTY info table.

func (a *api) pushPTYInfo(L *lua.LState, fname, id string) int {
	var info *client.PTYInfo
	err := a.h.wait(L, fname, "", func(ctx context.Context) error {
		var err error
		info, err = a.c.GetPTY(ctx, id)
		return err
	})
	if err != nil {
		return luaargs.Fail(L, fname, err)
	}
	L.Push(ptyInfoTable(L, info))
	return 1
}

func ptyInfoTable(L *lua.LState, in *client.PTYInfo) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("id", lua.LString(in.ID))
	t.RawSetString("cwd", lua.LString(in.Cwd))
	t.RawSetString("cols", lua.LNumber(in.Cols))
	t.RawSetString("rows", lua.LNumber(in.Rows))
	t.RawSetString("active", lua.LBool(in.Active))
	t.RawSetString("exited", lua.LBool(in.Exited))
	if in.ExitCode != nil {
		t.RawSetString("exit_code", lua.LNumber(*in.ExitCode))
	}
	if in.ExitReason != "" {
		t.RawSetString("exit_reason", lua.LString(in.ExitReason))
	}
	t.RawSetString("created_at", lua.LNumber(float64(in.CreatedAt.UnixNano())/1e9))
	return t
}

// listPTYs is process.list_ptys() → list of info tables.
func (a *api) listPTYs(L *lua.LState) int {
	fname := a.name + ".list_ptys"
	var infos []client.PTYInfo
	err := a.h.wait(L, fname, "", func(ctx context.Context) error {
		var err error
		infos, err = a.c.ListPTYs(ctx)
		return err
	})
	if err != nil {
		return luaargs.Fail(L, fname, err)
	}
	t := L.CreateTable(len(infos), 0)
	for i := range infos {
		t.Append(ptyInfoTable(L, &infos[i]))
	}
	L.Push(t)
	return 1
}

// resizePTY is process.resize_pty(id, cols, rows) → info table.
func (a *api) resizePTY(L *lua.LState) int {
	fname := a.name + ".resize_pty"
	id := luaargs.CheckString(L, fname, 1, "id")
	c, ok1 := L.Get(2).(lua.LNumber)
	r, ok2 := L.Get(3).(lua.LNumber)
	if !ok1 || !ptySizeOK(float64(c), 1) {
		luaargs.ArgError(L, fname, 2, "cols", "a whole number between 1 and 1000 expected")
	}
	if !ok2 || !ptySizeOK(float64(r), 1) {
		luaargs.ArgError(L, fname, 3, "rows", "a whole number between 1 and 1000 expected")
	}
	var info *client.PTYInfo
	err := a.h.wait(L, fname, "", func(ctx context.Context) error {
		var err error
		info, err = a.c.ResizePTY(ctx, id, uint16(c), uint16(r))
		return err
	})
	if err != nil {
		return luaargs.Fail(L, fname, err)
	}
	L.Push(ptyInfoTable(L, info))
	return 1
}

// killPTY is process.kill_pty(id) → true.
func (a *api) killPTY(L *lua.LState) int {
	fname := a.name + ".kill_pty"
	id := luaargs.CheckString(L, fname, 1, "id")
	err := a.h.wait(L, fname, "", func(ctx context.Context) error { return a.c.KillPTY(ctx, id) })
	if err != nil {
		return luaargs.Fail(L, fname, err)
	}
	L.Push(lua.LTrue)
	return 1
}
