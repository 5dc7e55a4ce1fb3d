package luabind_test

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestMap: results come back in input order with values, raised errors and
// returned failures told apart; at most limit items run at once.
func TestMap(t *testing.T) {
	h, _, _, out := newHost(t)
	err := h.RunString(context.Background(), "map.lua", `
		local running, peak = 0, 0
		local items = {}
		for i = 1, 12 do items[i] = i end
		local res = process.map(items, function(x, i)
			assert(x == i)
			running = running + 1
			if running > peak then peak = running end
			process.sleep(0.02 * (13 - i)) -- later items finish first
			running = running - 1
			if x == 5 then error("five") end
			if x == 7 then return nil, "seven failed", "not_found" end
			return x * 10, "ignored"
		end, {limit = 3})
		assert(#res == 12)
		for i, r in ipairs(res) do
			if i == 5 then
				assert(not r.ok and r.error:find("five") and r.kind == "error", r.error)
			elseif i == 7 then
				assert(not r.ok and r.error == "seven failed" and r.kind == "not_found")
			else
				assert(r.ok and r.value == i * 10, tostring(r.value))
			end
		end
		print("peak", peak)
		assert(#process.map({}, print) == 0)
	`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "peak\t3") {
		t.Fatalf("output %q", out.String())
	}
}

// TestMapFailFast: after the first failure the other items are cancelled
// and their processes end; items not started are not run.
func TestMapFailFast(t *testing.T) {
	h, _, marker, _ := newHost(t)
	start := time.Now()
	err := h.RunString(context.Background(), "ff.lua", `
		local started = {}
		local res = process.map({1, 2, 3, 4, 5, 6}, function(x)
			started[x] = true
			if x == 2 then process.sleep(0.2); error("two broke") end
			process.exec("sleep 30")
			return x
		end, {limit = 3, fail_fast = true})
		assert(not res[2].ok and res[2].error:find("two broke"))
		for _, i in ipairs({1, 3, 4, 5, 6}) do
			assert(not res[i].ok and res[i].kind == "canceled", i .. ": " .. tostring(res[i].error))
		end
		assert(not started[4] and not started[5] and not started[6])
	`)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %v: cancelled items kept running", d)
	}
	waitNoProcs(t, marker)
}

// TestMapBadInput: bad arguments raise errors naming process.map and the
// argument.
func TestMapBadInput(t *testing.T) {
	h, _, _, _ := newHost(t)
	for src, want := range map[string]string{
		`process.map(1, print)`:                   "bad argument #1 (items)",
		`process.map({}, 1)`:                      "bad argument #2 (fn)",
		`process.map({}, print, {limit = 0})`:     "limit must be a positive integer",
		`process.map({}, print, {limit = 1.5})`:   "limit must be a positive integer",
		`process.map({}, print, {fail_fast = 1})`: "fail_fast",
		`process.map({}, print, {bogus = 1})`:     "bogus",
	} {
		_, err := h.Eval(context.Background(), src)
		if err == nil || !strings.Contains(err.Error(), "process.map") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", src, err, want)
		}
	}
}

// TestTeePrefix: tee = "name" prefixes every line of live output, per
// stream, across chunk boundaries.
func TestTeePrefix(t *testing.T) {
	h, _, _, out := newHost(t)
	err := h.RunString(context.Background(), "tee.lua", `
		process.exec("printf 'a\\nb'; sleep 0.1; printf 'c\\n'", {tee = "web1"})
		process.exec("echo e >&2", {tee = "web1"})
		local s = process.session()
		s:run("echo one; echo two", {tee = "db"})
		s:start("echo three", {tee = "db2"}):wait()
		process.exec("echo plain", {tee = true})
	`)
	if err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{"web1 | a\nweb1 | bc\n", "web1 | e\n", "db | one\ndb | two\n", "db2 | three\n", "plain\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if _, err := h.Eval(context.Background(), `process.exec("true", {tee = 5})`); err == nil || !strings.Contains(err.Error(), "tee") {
		t.Errorf("tee = 5: %v", err)
	}
}
