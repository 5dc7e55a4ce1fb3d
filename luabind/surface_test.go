package luabind_test

import (
	"context"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/internal/luaargs"
	"github.com/procsh/procsh/luabind"
	"github.com/procsh/procsh/server"
)

// The surface tests: every name the process module exposes to Lua
// (functions, methods, fields, options) is in the registration table
// (luabind.Surface), documented in README.md's process section and in
// doc.go, and every name documented there exists.

// tracedOpts records, for every binding, the option keys it read while the
// package's tests ran (luaargs.Trace).
var tracedOpts = struct {
	sync.Mutex
	m map[string]map[string]bool
}{m: map[string]map[string]bool{}}

func init() {
	luaargs.Trace = func(fname, key string) {
		tracedOpts.Lock()
		defer tracedOpts.Unlock()
		if tracedOpts.m[fname] == nil {
			tracedOpts.m[fname] = map[string]bool{}
		}
		tracedOpts.m[fname][key] = true
	}
}

// members maps "process.exec", "cmd:wait", "pty.id" to their Member.
func members() map[string]luabind.Member {
	out := map[string]luabind.Member{}
	for _, o := range luabind.Surface() {
		for _, m := range o.Members {
			sep := o.Sep
			if m.Field() {
				sep = "."
			}
			out[o.Name+sep+m.Name] = m
		}
	}
	return out
}

// TestSurfaceMatchesLua: what Lua sees is exactly the registration table.
func TestSurfaceMatchesLua(t *testing.T) {
	remoteBackend, err := local.New()
	if err != nil {
		t.Fatal(err)
	}
	defer remoteBackend.Close()
	srv := httptest.NewServer(server.New(remoteBackend))
	defer srv.Close()
	h, _, _, _ := newHost(t, luabind.WithGlobal("URL", srv.URL))
	err = h.RunString(context.Background(), "surface.lua", `
		local function keys(t) local out = {} for k in pairs(t) do out[#out + 1] = k end return out end
		local s = process.session()
		local c = s:start("true")
		local p = process.pty{command = "true"}
		local tk = process.spawn(function() end)
		local r = assert(process.connect(URL))
		names = {
			process = keys(process), remote = keys(r),
		}
		fields = {
			session = {id = s.id}, cmd = {id = c.id, session_id = c.session_id, command = c.command},
			pty = {id = p.id}, remote = {url = r.url}, process = {EOF = process.EOF, TIMEOUT = process.TIMEOUT},
		}
		c:wait(); tk:wait(); p:wait()`)
	if err != nil {
		t.Fatal(err)
	}
	luaNames := map[string][]string{} // object -> methods (and, for modules, every key)
	fields := map[string][]string{}   // object -> fields that have a value
	_ = h.Do(func(L *lua.LState) error {
		L.GetGlobal("names").(*lua.LTable).ForEach(func(k, v lua.LValue) {
			v.(*lua.LTable).ForEach(func(_, n lua.LValue) { luaNames[k.String()] = append(luaNames[k.String()], n.String()) })
		})
		L.GetGlobal("fields").(*lua.LTable).ForEach(func(k, v lua.LValue) {
			v.(*lua.LTable).ForEach(func(n, _ lua.LValue) { fields[k.String()] = append(fields[k.String()], n.String()) })
		})
		// The metatables are protected from scripts (__metatable); their
		// __methods name what tools may complete.
		for obj, typ := range map[string]string{"session": "procsh.session", "cmd": "procsh.command", "pty": "procsh.pty", "task": "procsh.task"} {
			L.GetTypeMetatable(typ).(*lua.LTable).RawGetString("__methods").(*lua.LTable).ForEach(func(k, _ lua.LValue) {
				luaNames[obj] = append(luaNames[obj], k.String())
			})
		}
		return nil
	})
	var process []string
	for _, o := range luabind.Surface() {
		var methods, flds []string
		for _, m := range o.Members {
			if m.Field() {
				flds = append(flds, m.Name)
			} else {
				methods = append(methods, m.Name)
			}
		}
		want := methods
		if o.Sep == "." { // a module: its table holds fields and functions alike
			want = append(append([]string(nil), methods...), flds...)
		}
		if o.Name == "process" {
			process = want
		}
		if o.Name == "remote" {
			want = append(want, process...)
		}
		sort.Strings(want)
		sort.Strings(flds)
		got := luaNames[o.Name]
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: Lua has %q, the registration table %q", o.Name, got, want)
		}
		if o.Name == "remote" {
			continue // its fields are checked through the Lua table above
		}
		gotF := fields[o.Name]
		sort.Strings(gotF)
		if !slices.Equal(gotF, flds) {
			t.Errorf("%s: fields with a value %q, the registration table %q", o.Name, gotF, flds)
		}
	}
}

// docSection returns the part of the file at path from the line that
// contains start up to the next line that contains end.
func docSection(t *testing.T, path, start, end string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, start)
	if i < 0 {
		t.Fatalf("%s: no %q", path, start)
	}
	s = s[i:]
	if j := strings.Index(s[len(start):], end); j >= 0 {
		s = s[:len(start)+j]
	}
	return s
}

// entries splits a documentation section into entries: a README table row,
// or a doc.go line with the lines indented below it.
func entries(section string) []string {
	var out []string
	for _, ln := range strings.Split(section, "\n") {
		body := strings.TrimPrefix(ln, "//")
		if len(out) > 0 && strings.HasPrefix(body, "\t ") {
			out[len(out)-1] += " " + body
			continue
		}
		out = append(out, ln)
	}
	return out
}

var docRef = regexp.MustCompile(`\b(process|remote|session|cmd|pty|task)([.:])([A-Za-z_]+)`)

// checkDocs checks one documentation section against the registration table.
func checkDocs(t *testing.T, what, section string) {
	t.Helper()
	all := members()
	es := entries(section)
	for ref, m := range all {
		var found []string
		for _, e := range es {
			for _, sm := range docRef.FindAllStringSubmatchIndex(e, -1) {
				name := e[sm[2]:sm[3]] + e[sm[4]:sm[5]] + e[sm[6]:sm[7]]
				if name == ref {
					found = append(found, e)
					break
				}
			}
		}
		if len(found) == 0 {
			t.Errorf("%s does not document %s", what, ref)
			continue
		}
		text := strings.Join(found, " ")
		for _, o := range m.Opts {
			if !strings.Contains(text, o+"=") {
				t.Errorf("%s documents %s without its option %s= (in %q)", what, ref, o, text)
			}
		}
	}
	for _, sm := range docRef.FindAllStringSubmatch(section, -1) {
		ref := sm[1] + sm[2] + sm[3]
		if _, ok := all[ref]; !ok {
			t.Errorf("%s documents %s, which the process module does not have", what, ref)
		}
	}
}

func TestSurfaceDocumented(t *testing.T) {
	checkDocs(t, "README.md", docSection(t, "../README.md", "## The `process` module", "\n## "))
	checkDocs(t, "doc.go", docSection(t, "doc.go", "// # The process module", "\npackage luabind"))
}

// TestSurfaceOptions: the options each binding reads while the package's
// tests run are exactly those of its registration entry (for the bindings
// that ran). It runs after the Lua scripts (source order), which call every
// binding.
func TestSurfaceOptions(t *testing.T) {
	all := members()
	tracedOpts.Lock()
	defer tracedOpts.Unlock()
	if len(tracedOpts.m) == 0 {
		t.Skip("no binding read options in this run")
	}
	for fname, keys := range tracedOpts.m {
		ref := strings.Replace(fname, "remote.", "process.", 1)
		m, ok := all[ref]
		if !ok {
			continue // a stdlib function (fs.write, json.encode, ...)
		}
		var got []string
		for k := range keys {
			got = append(got, k)
		}
		sort.Strings(got)
		want := append([]string(nil), m.Opts...)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s reads options %q, its registration entry lists %q", fname, got, want)
		}
	}
}
