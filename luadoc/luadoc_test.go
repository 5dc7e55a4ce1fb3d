package luadoc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/luabind"
	"github.com/procsh/procsh/luadoc"
	"github.com/procsh/procsh/luatest"
	"github.com/procsh/procsh/server"
)

func newHost(t *testing.T, opts ...luabind.Option) *luabind.Host {
	t.Helper()
	b, err := local.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	h, err := luabind.New(b, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

// liveNames returns, per module or object, the names the bindings really
// expose: the keys of the process table, of a connected module (less those
// of process), of each object type's method table, and of every stdlib
// module.
func liveNames(t *testing.T) map[string][]string {
	t.Helper()
	b, err := local.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	srv := httptest.NewServer(server.New(b))
	t.Cleanup(srv.Close)
	h := newHost(t)
	vals, err := h.RunStringResults(context.Background(), "names", `
		local function keys(t, skip)
			local out = {}
			for k in pairs(t) do if not (skip and skip[k] ~= nil) then out[#out + 1] = k end end
			table.sort(out)
			return table.concat(out, " ")
		end
		local r = assert(process.connect("`+srv.URL+`"))
		local names = {process = keys(process), remote = keys(r, process)}
		r.close()
		for _, m in ipairs{"json", "str", "time", "fs", "env", "log", "path", "t"} do
			names[m] = keys(require(m))
		end
		return names`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	vals[0].(*lua.LTable).ForEach(func(k, v lua.LValue) { out[k.String()] = strings.Fields(v.String()) })
	if err := h.Do(func(L *lua.LState) error {
		for _, m := range luadoc.Modules() {
			if m.TypeName == "" {
				continue
			}
			mt, ok := L.GetTypeMetatable(m.TypeName).(*lua.LTable)
			if !ok {
				t.Errorf("%s: no type metatable %q", m.Name, m.TypeName)
				continue
			}
			var names []string
			mt.RawGetString("__methods").(*lua.LTable).ForEach(func(k, _ lua.LValue) { names = append(names, k.String()) })
			out[m.Name] = names
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	classLine = regexp.MustCompile(`^---@class ([\w.]+)`)
	fieldLine = regexp.MustCompile(`^---@field (\w+)`)
	funcLine  = regexp.MustCompile(`^function (\w+)[.:](\w+)\(`)
)

// stubNames parses the generated stubs: per module variable, the functions
// defined and the fields of the module's own class.
func stubNames(t *testing.T) (funcs, fields map[string][]string) {
	funcs, fields = map[string][]string{}, map[string][]string{}
	classes := map[string]string{}
	for _, m := range luadoc.Modules() {
		classes[m.Class] = m.Name
	}
	for name, src := range luadoc.Files() {
		if !strings.HasPrefix(src, "---@meta") {
			t.Errorf("%s does not start with ---@meta", name)
		}
		if name == "procsh_test.lua" {
			continue // TestDSLStubMatchesRunner
		}
		cur := ""
		for _, line := range strings.Split(src, "\n") {
			if m := classLine.FindStringSubmatch(line); m != nil {
				cur = classes[m[1]]
			} else if m := fieldLine.FindStringSubmatch(line); m != nil && cur != "" {
				fields[cur] = append(fields[cur], m[1])
			} else if m := funcLine.FindStringSubmatch(line); m != nil {
				funcs[m[1]] = append(funcs[m[1]], m[2])
			}
		}
	}
	return funcs, fields
}

// Every binding has a stub and every stub names a binding.
func TestStubsCoverBindings(t *testing.T) {
	live := liveNames(t)
	funcs, fields := stubNames(t)
	objectFields := map[string]bool{}
	for _, m := range luadoc.Modules() {
		if m.TypeName != "" {
			// Object fields are served by __index, which cannot be
			// listed: only methods are compared.
			for _, f := range fields[m.Name] {
				objectFields[m.Name+"."+f] = true
			}
			delete(fields, m.Name)
		}
	}
	for mod, names := range live {
		stub := append(append([]string(nil), funcs[mod]...), fields[mod]...)
		sort.Strings(stub)
		sort.Strings(names)
		if strings.Join(stub, " ") != strings.Join(names, " ") {
			t.Errorf("%s: bindings %q, stubs %q", mod, names, stub)
		}
	}
	for mod := range funcs {
		if _, ok := live[mod]; !ok {
			t.Errorf("stubs define %s, which no binding provides", mod)
		}
	}
	// Object fields are documented: the handles' ids at least.
	for _, f := range []string{"session.id", "cmd.id", "cmd.session_id", "cmd.command", "pty.id"} {
		if !objectFields[f] {
			t.Errorf("no stub field %s", f)
		}
	}
}

// The stubs are valid Lua 5.1 (checked by PUC-Rio's own compiler).
func TestStubsCompileWithLua51(t *testing.T) {
	luac, err := exec.LookPath("luac5.1")
	if err != nil {
		t.Fatalf("luac5.1 is required: %v", err)
	}
	dir := t.TempDir()
	for name, src := range luadoc.Files() {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(luac, "-p", p).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", name, err, out)
		}
	}
}

func TestStubContent(t *testing.T) {
	files := luadoc.Files()
	proc := files["process.lua"]
	for _, want := range []string{
		`---@alias procsh.Kind "not_found"|"conflict"|"invalid"|`,
		`"TERM"`, `"KILL"`,
		"---@class process.Session\n",
		"---@param cmd string|string[]\n---@param opts? process.exec_opts\n---@return process.Result|nil result\n---@return string? msg\n---@return procsh.Kind? kind\nfunction process.exec(cmd, opts) end",
		"function session:run(cmd, opts) end",
		"---@field timeout? number\n",
		"---@class process.Remote : process\n",
		"function process.spawn(fn, ...) end",
		"---@param timeout? number\n",
		"return process\n",
	} {
		if !strings.Contains(proc, want) {
			t.Errorf("process.lua lacks %q", want)
		}
	}
	if !strings.Contains(files["json.lua"], "function json.encode(value, opts) end\n\n") || !strings.HasSuffix(files["json.lua"], "return json\n") {
		t.Errorf("json.lua:\n%s", files["json.lua"])
	}
}

func TestInit(t *testing.T) {
	dir := t.TempDir()
	written, err := luadoc.Init(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(written) != len(luadoc.Files())+1 {
		t.Fatalf("wrote %q", written)
	}
	var rc map[string]any
	data, err := os.ReadFile(filepath.Join(dir, ".luarc.json"))
	if err != nil || json.Unmarshal(data, &rc) != nil {
		t.Fatalf(".luarc.json: %v\n%s", err, data)
	}
	if rc["runtime.version"] != "Lua 5.1" || !strings.Contains(string(data), `"`+luadoc.LibraryDir+`"`) || !strings.Contains(string(data), `"process"`) {
		t.Errorf(".luarc.json: %s", data)
	}
	for name, src := range luadoc.Files() {
		got, err := os.ReadFile(filepath.Join(dir, luadoc.LibraryDir, name))
		if err != nil || string(got) != src {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A user's .luarc.json is kept unless forced; stubs are refreshed.
	if err := os.WriteFile(filepath.Join(dir, ".luarc.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, luadoc.LibraryDir, "json.lua"), []byte("stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := luadoc.Init(dir, false); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, ".luarc.json")); string(data) != "{}" {
		t.Errorf(".luarc.json overwritten: %s", data)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, luadoc.LibraryDir, "json.lua")); string(data) == "stale" {
		t.Error("stale stub kept")
	}
	if _, err := luadoc.Init(dir, true); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, ".luarc.json")); string(data) == "{}" {
		t.Error("force did not rewrite .luarc.json")
	}
	// A file where the directory should be: a clear error.
	blocker := filepath.Join(t.TempDir(), "file")
	_ = os.WriteFile(blocker, nil, 0o644)
	if _, err := luadoc.Init(blocker, false); err == nil || !strings.Contains(err.Error(), "procsh init") {
		t.Errorf("Init over a file: %v", err)
	}
}

func TestHelp(t *testing.T) {
	var out bytes.Buffer
	h := newHost(t, luabind.WithGlobal("help", luadoc.HelpFunc(&out)))
	for _, c := range []struct{ src, want string }{
		{`help(process.exec)`, "process.exec(cmd, {cwd=, env=, timeout=, tee=, stdin=, check=, merge=, detach=, max_output=}) → result\n  Runs cmd (shell text, or an argv list run word for word) and waits for it.\n  An expected failure returns nil, message, kind.\n"},
		{`help("cmd:wait")`, "cmd:wait(timeout?) → result\n"},
		{`local s = process.session(); help(s.run)`, "session:run(cmd, {"},
		{`local s = process.session(); help(s)`, "session — A shell whose state persists between commands.\n  session.id\n"},
		{`local t = process.spawn(function() end); help(t.wait)`, "task:wait(timeout?) → ...\n"},
		{`help(require("json").encode)`, "json.encode(value, {indent=}?) → string\n"},
		{`help(require("str"))`, "str — String helpers"},
		{`help(process)`, "process — Runs commands"},
		{`help("json")`, "json — JSON encoding and decoding.\n"},
		{`help()`, "procsh modules and objects"},
		{`help(print)`, "help: no procsh function, method or module is this function"},
		{`help("nope.x")`, `help: no procsh function, method or module is "nope.x"`},
	} {
		out.Reset()
		if err := h.RunString(context.Background(), "help", c.src); err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if !strings.Contains(out.String(), c.want) {
			t.Errorf("%s printed:\n%s\nwant it to contain:\n%s", c.src, out.String(), c.want)
		}
	}
}

// Every entry has a one-line doc.
func TestEveryEntryHasDoc(t *testing.T) {
	for _, m := range luadoc.Modules() {
		if m.Doc == "" || m.Class == "" {
			t.Errorf("module %s: no doc or class", m.Name)
		}
		for _, e := range m.Entries {
			if e.Doc == "" || strings.Contains(e.Doc, "\n") {
				t.Errorf("%s: doc %q", e.FullName(), e.Doc)
			}
		}
	}
}

// The test DSL stub names what the procsh test runner defines.
func TestDSLStubMatchesRunner(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "names_spec.lua")
	if err := os.WriteFile(spec, []byte(`
		it("lists", function()
			local g, a = {}, {}
			for _, k in ipairs{`+quoteAll(luadoc.Globals()[1:])+`} do
				if type(_G[k]) == "function" then g[#g + 1] = k end
			end
			for k, v in pairs(assert) do a[#a + 1] = k end
			print(table.concat(g, " "))
			print(table.concat(a, " "))
		end)`), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := local.New()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	sum, err := luatest.Run(context.Background(), []string{spec}, luatest.Config{
		Format: luatest.JUnit,
		NewHost: func(stdout, stderr io.Writer, extra ...luabind.Option) (*luabind.Host, error) {
			return luabind.New(b, append(extra, luabind.WithStdout(stdout), luabind.WithStderr(stderr))...)
		},
	})
	if err != nil || sum.Passed != 1 {
		t.Fatalf("%v %+v", err, sum)
	}
	lines := strings.Split(strings.TrimSpace(sum.Results[0].Output), "\n")
	if len(lines) != 2 {
		t.Fatalf("output %q", sum.Results[0].Output)
	}
	defined := strings.Fields(lines[0])
	if len(defined) != len(luadoc.Globals())-1 {
		t.Errorf("the runner defines %q of %q", defined, luadoc.Globals()[1:])
	}
	live := map[string]bool{}
	for _, k := range strings.Fields(lines[1]) {
		live[k] = true
	}
	stub := luadoc.Files()["procsh_test.lua"]
	for _, g := range luadoc.Globals()[1:] {
		if !strings.Contains(stub, "\nfunction "+g+"(") {
			t.Errorf("stub lacks %s", g)
		}
	}
	for _, m := range regexp.MustCompile(`(?m)^(?:function assert\.(\w+)\(|---@field (\w+) procsh\.assert)`).FindAllStringSubmatch(stub, -1) {
		name := m[1] + m[2]
		if !live[name] {
			t.Errorf("stub names assert.%s, which the runner does not define", name)
		}
	}
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = `"` + n + `"`
	}
	return strings.Join(q, ", ")
}
