package luabind_test

import (
	"context"
	"strings"
	"testing"

	"github.com/procsh/procsh/luabind"
)

// TestHelp: help(x) prints the registration table's signature and doc
// string for every function and method, found by value or by name, lists
// an object's members, and says so when there is nothing to show.
func TestHelp(t *testing.T) {
	h, _, _, out := newHost(t)
	var script strings.Builder
	script.WriteString("local s = process.session(); local c = s:start('true'); local tk = process.spawn(function() end)\n")
	script.WriteString("local p = process.pty{command = 'true'}\n")
	var want []string
	values := map[string]string{"process": "process", "session": "s", "cmd": "c", "pty": "p", "task": "tk"}
	for _, o := range luabind.Surface() {
		for _, m := range o.Members {
			if m.Field() {
				continue
			}
			sig := m.Signature(o.Name + o.Sep)
			want = append(want, sig+"\n    "+m.Doc+"\n")
			script.WriteString("help(" + quoteLua(o.Name+o.Sep+m.Name) + ")\n")
			if v, ok := values[o.Name]; ok {
				script.WriteString("help(" + v + "." + m.Name + ")\n") // by value
			}
		}
	}
	script.WriteString("print('--objects--'); help(s); print('--none--'); help(42); c:wait(); tk:wait(); p:wait()\n")
	if err := h.RunString(context.Background(), "help.lua", script.String()); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, w := range want {
		if strings.Count(got, w) < 1 {
			t.Errorf("help output lacks %q", w)
		}
	}
	objects := got[strings.Index(got, "--objects--"):]
	for _, name := range []string{"session.id\n", "session:run(", "session:delete() → true\n"} {
		if !strings.Contains(objects, name) {
			t.Errorf("help(session) lacks %q:\n%s", name, objects)
		}
	}
	if !strings.Contains(got, "--none--\nhelp: no documentation for 42") {
		t.Errorf("help(42): %s", got[strings.Index(got, "--none--"):])
	}
}

func quoteLua(s string) string { return `"` + s + `"` }
