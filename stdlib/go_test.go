package stdlib

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

func TestModules(t *testing.T) {
	full := []string{"env", "fs", "json", "log", "path", "str", "t", "time"}
	sandbox := []string{"json", "log", "path", "str", "t", "time"}
	if got := Modules(false); !slices.Equal(got, full) {
		t.Errorf("Modules(false) = %v, want %v", got, full)
	}
	if got := Modules(true); !slices.Equal(got, sandbox) {
		t.Errorf("Modules(true) = %v, want %v", got, sandbox)
	}
	for _, sb := range []bool{false, true} {
		L := newState(t, Options{Sandbox: sb})
		offered := Modules(sb)
		for _, name := range full {
			err := L.DoString(fmt.Sprintf("assert(type(require(%q)) == 'table')", name))
			if want := slices.Contains(offered, name); (err == nil) != want {
				t.Errorf("sandbox=%v: require(%q): err=%v, want available=%v", sb, name, err, want)
			}
		}
		// Open creates no globals: modules come only through require.
		for _, name := range full {
			if v := L.GetGlobal(name); v != lua.LNil {
				t.Errorf("sandbox=%v: global %q = %v", sb, name, v)
			}
		}
	}
}

// TestSleepUsesHostBlock: time.sleep waits through the host's Block, which
// may refuse (a cancelled run); the wait itself runs inside fn.
func TestSleepUsesHostBlock(t *testing.T) {
	var got []time.Duration
	L := newState(t, Options{Block: func(L *lua.LState, what string, fn func(ctx context.Context) error) error {
		if what != "time.sleep" {
			t.Errorf("Block called for %q", what)
		}
		start := time.Now()
		if len(got) == 3 {
			return errors.New("host: run cancelled")
		}
		err := fn(context.Background())
		got = append(got, time.Since(start).Round(500*time.Millisecond))
		return err
	}})
	if err := L.DoString(`local time = require("time"); time.sleep(0.5); time.sleep(0); time.sleep(0.001)`); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{500 * time.Millisecond, 0, 0}
	if !slices.Equal(got, want) {
		t.Errorf("sleep durations = %v, want %v", got, want)
	}
	err := L.DoString(`require("time").sleep(1e300)`) // saturates rather than overflowing
	if err == nil || !strings.Contains(err.Error(), "time.sleep: host: run cancelled") {
		t.Errorf("error from the host sleep: got %v", err)
	}
}

func TestDefaultSleepHonoursContext(t *testing.T) {
	for _, c := range []struct{ name, script string }{
		{"main chunk", `require("time").sleep(60)`},
		// pcall catches the sleep's error, but the VM's own context check
		// stops the loop that follows.
		{"pcall", `local ok = pcall(require("time").sleep, 60); assert(not ok); while true do end`},
		{"coroutine", `coroutine.wrap(function() require("time").sleep(60) end)()`},
	} {
		t.Run(c.name, func(t *testing.T) {
			L := newState(t, Options{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			L.SetContext(ctx)
			time.AfterFunc(20*time.Millisecond, cancel)
			start := time.Now()
			err := L.DoString(c.script)
			if err == nil || !strings.Contains(err.Error(), "context canceled") {
				t.Fatalf("err = %v, want a cancellation error", err)
			}
			if el := time.Since(start); el > 10*time.Second {
				t.Errorf("cancelled sleep returned after %v", el)
			}
		})
	}

	// An already-expired context fails at once, even for sleep(0).
	L := newState(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	L.SetContext(ctx)
	ran := false
	if err := contextBlock(L, "x", func(context.Context) error { ran = true; return nil }); !errors.Is(err, context.DeadlineExceeded) || ran {
		t.Errorf("contextBlock on an expired context = %v (fn ran: %v)", err, ran)
	}
}

func TestDefaultSleepWithoutContext(t *testing.T) {
	L := newState(t, Options{})
	start := time.Now()
	if err := L.DoString(`require("time").sleep(0.01)`); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 10*time.Millisecond {
		t.Errorf("sleep(0.01) returned after %v", el)
	}
}

func TestLogDefaultsToOSStderr(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	saved := os.Stderr
	os.Stderr = w
	L := newState(t, Options{})
	os.Stderr = saved
	if err := L.DoString(`require("log").warn("to the real stderr", {k = "v"})`); err != nil {
		t.Fatal(err)
	}
	w.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "WARN to the real stderr k=v\n" {
		t.Errorf("stderr = %q", got)
	}
}

// TestLogLevelPerState checks that log.level belongs to one Lua state, and
// that require returns the same module so the level survives re-requiring.
func TestLogLevelPerState(t *testing.T) {
	var a, b bytes.Buffer
	La := newState(t, Options{Stderr: &a})
	Lb := newState(t, Options{Stderr: &b})
	if err := La.DoString(`require("log").level("error"); require("log").warn("no")`); err != nil {
		t.Fatal(err)
	}
	if err := Lb.DoString(`require("log").warn("yes")`); err != nil {
		t.Fatal(err)
	}
	if a.String() != "" || b.String() != "WARN yes\n" {
		t.Errorf("a=%q b=%q", a.String(), b.String())
	}
}

func TestOpenNeedsPackageLib(t *testing.T) {
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer L.Close()
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "package library") {
			t.Errorf("recover() = %v, want a panic naming the package library", r)
		}
	}()
	Open(L, Options{})
}

// TestConcurrentStates runs independent Lua states on parallel goroutines,
// which the race detector checks for shared package state.
func TestConcurrentStates(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			L := lua.NewState()
			defer L.Close()
			var buf bytes.Buffer
			Open(L, Options{Sandbox: i%2 == 0, Stderr: &buf})
			errs <- L.DoString(`
				local json, str, t, log = require("json"), require("str"), require("t"), require("log")
				t.eq(json.decode(json.encode({a = str.split("x,y", ",")})), {a = {"x", "y"}})
				log.info("done")
				require("time").sleep(0.001)
			`)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func ExampleOpen() {
	L := lua.NewState()
	defer L.Close()
	Open(L, Options{Stderr: os.Stdout})
	err := L.DoString(`
		local json, str, log = require("json"), require("str"), require("log")
		local fields = str.split("name=procsh, version=1", ",%s*")
		print(json.encode(fields))
		print(json.encode(json.decode('{"list":[1,null,3],"empty":{}}')))
		log.info("ready", {modules = 8})
	`)
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// ["name=procsh","version=1"]
	// {"empty":{},"list":[1,null,3]}
	// INFO ready modules=8
}

func ExampleModules() {
	fmt.Println(Modules(false))
	fmt.Println(Modules(true))
	// Output:
	// [env fs json log path str t time]
	// [json log path str t time]
}

func ExampleOpen_sandbox() {
	L := lua.NewState()
	defer L.Close()
	Open(L, Options{Sandbox: true})
	err := L.DoString(`
		print(type(require("str")))
		local ok, err = pcall(require, "fs")
		print(ok, (err:match("module fs not found")))
		print(require("path").abs)
	`)
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// table
	// false	module fs not found
	// nil
}
