package luabind_test

import (
	"context"
	"strings"
	"testing"

	"github.com/procsh/procsh/internal/daytonatest"
	"github.com/procsh/procsh/luabind"
)

// TestDaytona drives the in-test Daytona API from Lua: create sandboxes,
// fan out over them with process.map through sandbox:connect(), list, get,
// delete, and see typed failures.
func TestDaytona(t *testing.T) {
	api := daytonatest.Start(t, "lua-key")
	t.Setenv("DAYTONA_API_KEY", "lua-key")
	t.Setenv("DAYTONA_API_URL", api.URL)
	h, _, _, out := newHost(t)
	err := h.RunString(context.Background(), "daytona.lua", `
		local d = process.daytona{poll_interval = 0.01}
		local boxes = process.map({"a", "b", "c"}, function(name)
			return d.create{name = "job-" .. name, labels = {job = name}, auto_stop_interval = 0}
		end)
		local sbs = {}
		for i, r in ipairs(boxes) do assert(r.ok, r.error); sbs[i] = r.value end
		assert(sbs[1].state == "started" and sbs[1].labels.job == "a" and sbs[1].auto_stop_interval == 0)
		assert(sbs[1].toolbox_proxy_url:find("^http://127.0.0.1"))
		local res = process.map(sbs, function(sb)
			local p = sb:connect()
			local r = p.exec("echo $((6 * 7)) from " .. sb.name)
			p.close()
			return r.stdout
		end, {limit = 2})
		for i, r in ipairs(res) do assert(r.ok and r.value == "42 from " .. sbs[i].name .. "\n", tostring(r.value)) end
		assert(#d:list() == 3)
		assert(d.get("job-b").id == sbs[2].id)
		assert(sbs[1]:delete() == true)
		assert(d.delete(sbs[2].id) == true)
		d.delete(sbs[3])
		assert(#d.list() == 0)
		local sb, err, kind = d.get("gone")
		print(kind, err)
		local _, err2, kind2 = d.create{cpu = 17}
		print(kind2, err2)
		local _, err3, kind3 = process.daytona{api_key = "wrong"}.list()
		print(kind3, err3)
	`)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"not_found\tdaytona.get: daytona get: HTTP 404", "invalid\tdaytona.create", "unauthorized\tdaytona.list"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if api.Count() != 0 {
		t.Errorf("%d sandboxes left", api.Count())
	}
}

// TestDaytonaRestricted: the restricted profile has no Daytona access.
func TestDaytonaRestricted(t *testing.T) {
	h, _, _, _ := newHost(t, luabind.WithProfile(luabind.ProfileSandbox))
	v, err := h.Eval(context.Background(), `local d, e, k = process.daytona{api_key = "k"}; return k`)
	if err != nil || len(v) != 1 || v[0].String() != "unsupported" {
		t.Fatalf("%v %v", v, err)
	}
}
