package luabind

import (
	"fmt"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/internal/luaargs"
	"github.com/procsh/procsh/luabind/lua51"
)

// mapDefaultLimit is how many items process.map runs at once unless told.
const mapDefaultLimit = 10

// mapSource is process.map, written in Lua on top of process.spawn: a pool
// of limit worker tasks takes items in order. Results are stored by index,
// so they come back in input order whatever order items finish in. With
// fail_fast, the first failure cancels the other workers (a cancelled
// blocking call ends its processes, as cancelling any task does) and the
// items that did not finish report kind "canceled".
const mapSource = `
local spawn = ...
return function(items, fn, limit, fail_fast)
  local n = #items
  local results, nexti, failed = {}, 1, nil
  local workers = {}
  local function outcome(ok, a, b, c)
    if not ok then
      local msg = a
      if type(msg) ~= "string" then msg = tostring(msg) end
      local kind = "error"
      if msg:find("context canceled", 1, true) then kind = "canceled" end
      return {ok = false, error = msg, kind = kind}
    end
    -- The process API's failure convention: nil, message[, kind].
    if a == nil and type(b) == "string" then
      return {ok = false, error = b, kind = type(c) == "string" and c or "error"}
    end
    return {ok = true, value = a}
  end
  local function worker(me)
    while not failed do
      local i = nexti
      if i > n then return end
      nexti = i + 1
      local r = outcome(pcall(fn, items[i], i))
      if failed and not r.ok then return end -- cancelled by another's failure
      results[i] = r
      if not r.ok and fail_fast then
        failed = i
        for w, t in ipairs(workers) do if w ~= me then t:cancel() end end
        return
      end
    end
  end
  for w = 1, math.min(limit, n) do workers[w] = spawn(worker, w) end
  for _, w in ipairs(workers) do pcall(w.wait, w) end
  for i = 1, n do
    if results[i] == nil then
      results[i] = {ok = false, kind = "canceled",
        error = "process.map: item " .. i .. " cancelled after item " .. tostring(failed) .. " failed"}
    end
  end
  return results
end
`

// mapCall is process.map(items, fn, {limit=, fail_fast=}): it checks the
// arguments and runs mapSource, compiled once per host. The caller holds the
// GIL.
//
//	local res = process.map(hosts, function(h) return process.exec("ping -c1 " .. h).exit_code end, {limit = 5})
//	for i, r in ipairs(res) do print(hosts[i], r.ok, r.value or r.error) end
func mapCall(a *api, L *lua.LState) int {
	const fname = "process.map"
	items, ok := L.Get(1).(*lua.LTable)
	if !ok {
		luaargs.ArgError(L, fname, 1, "items", luaargs.TypeMsg("table", L.Get(1)))
	}
	fn, ok := L.Get(2).(*lua.LFunction)
	if !ok {
		luaargs.ArgError(L, fname, 2, "fn", luaargs.TypeMsg("function", L.Get(2)))
	}
	o := luaargs.CheckOpts(L, fname, 3)
	limit := o.Number("limit", mapDefaultLimit)
	failFast := o.Bool("fail_fast", false)
	o.Done()
	if limit < 1 || limit != float64(int(limit)) {
		luaargs.ArgError(L, fname, 3, "options", fmt.Sprintf("limit must be a positive integer, got %v", limit))
	}
	h := a.h
	if h.mapImpl == nil {
		chunk, err := lua51.Load(L, "process.map", mapSource)
		if err != nil {
			panic("luabind: process.map source: " + err.Error())
		}
		L.Push(chunk)
		L.Push(L.NewFunction(h.spawn))
		L.Call(1, 1)
		h.mapImpl = L.Get(-1)
		L.Pop(1)
	}
	L.Push(h.mapImpl)
	L.Push(items)
	L.Push(fn)
	L.Push(lua.LNumber(limit))
	L.Push(lua.LBool(failFast))
	L.Call(4, 1)
	return 1
}
