package luabind_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/luabind"
	"github.com/procsh/procsh/luabind/lua51/luadiff"
)

var (
	luadiffSeeds = flag.Int("luadiff.seeds", 40, "random programs the Lua 5.1 differential test generates")
	luadiffSize  = flag.Int("luadiff.size", 60, "statements per generated program")
)

// needLua51 returns lua5.1's path or fails the test: the differential
// tests are skipped only when PROCSH_SKIP_LUA51=1.
func needLua51(t *testing.T) {
	t.Helper()
	if _, err := luadiff.Reference(); err != nil {
		if os.Getenv("PROCSH_SKIP_LUA51") == "1" {
			t.Skip("PROCSH_SKIP_LUA51=1:", err)
		}
		t.Fatalf("%v (set PROCSH_SKIP_LUA51=1 to skip the Lua 5.1 differential tests)", err)
	}
}

// runProcsh runs src as the script name in a fresh host on the local
// backend, as procsh runs a script file.
func runProcsh(t *testing.T, name, src string) luadiff.Result {
	t.Helper()
	b, err := local.New()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	res, err := luadiff.RunProcsh(b, name, src)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

// TestLua51Corpus runs every program of lua51/testdata/corpus in lua5.1
// and in procsh and requires the same output and the same uncaught error.
func TestLua51Corpus(t *testing.T) {
	needLua51(t)
	files, err := luadiff.Corpus(filepath.Join("lua51", "testdata", "corpus"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want, err := luadiff.RunReference(context.Background(), ".", f)
			if err != nil {
				t.Fatal(err)
			}
			if want.Stdout == "" {
				t.Fatalf("lua5.1 printed nothing for %s: %+v", f, want)
			}
			got := runProcsh(t, f, string(src))
			if d := luadiff.Diff(want, got); d != "" {
				t.Errorf("%s differs from lua5.1: %s", f, d)
			}
		})
	}
}

// TestLua51Generated compares lua5.1 and procsh on random programs with a
// fixed seed and budget (-luadiff.seeds, -luadiff.size; cmd/luadiff runs
// longer). A divergence prints the program's path and seed; each one found
// so far is a case in the corpus.
func TestLua51Generated(t *testing.T) {
	needLua51(t)
	dir := t.TempDir()
	for seed := int64(1); seed <= int64(*luadiffSeeds); seed++ {
		src := luadiff.Generate(seed, *luadiffSize)
		name := fmt.Sprintf("gen%d.lua", seed) // error names are matched per chunk name
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		want, err := luadiff.RunReference(context.Background(), dir, name)
		if err != nil {
			t.Fatal(err)
		}
		if want.Error != "" {
			t.Fatalf("seed %d: the generator wrote a program lua5.1 rejects: %s\n%s", seed, want.Error, src)
		}
		got := runProcsh(t, name, src)
		if d := luadiff.Diff(want, got); d != "" {
			t.Errorf("seed %d (luadiff.Generate(%d, %d)) differs: %s", seed, seed, *luadiffSize, d)
		}
	}
}

// TestStringSizeLimit: strings beyond the host's limit are catchable
// errors, for every function that builds one.
func TestStringSizeLimit(t *testing.T) {
	b, err := local.New()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var out bytes.Buffer
	h, err := luabind.New(b, luabind.WithStdout(&out), luabind.WithMaxStringSize(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	script := `
local big = string.rep("x", 1024 * 1024)
local cases = {
  rep = function() return string.rep("x", 1e12) end,
  rep_limit = function() return string.rep("x", 1024 * 1024 + 1) end,
  format = function() return string.format("%s%s", big, "y") end,
  concat_op = function() local s = "x" for i = 1, 30 do s = s .. s end return s end,
  concat_chain = function() return big .. 1 .. big end,
  table_concat = function() return table.concat({big, big}) end,
  gsub = function() return (big:gsub("x", "yy")) end,
}
for _, name in ipairs({"rep", "rep_limit", "format", "concat_op", "concat_chain", "table_concat", "gsub"}) do
  local ok, err = pcall(cases[name])
  print(name, ok, err)
end
print(#string.rep("x", 1024 * 1024), "at the limit")
`
	if err := h.RunString(context.Background(), "limits.lua", script); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 8 {
		t.Fatalf("output:\n%s", out.String())
	}
	for _, l := range lines[:7] {
		if !strings.Contains(l, "\tfalse\t") || !strings.Contains(l, "resulting string too large") || !strings.Contains(l, "the limit is 1048576") {
			t.Errorf("not a catchable size error: %q", l)
		}
	}
	if lines[7] != "1048576\tat the limit" {
		t.Errorf("a string at the limit failed: %q", lines[7])
	}
}

// TestRetryKeepsClosures: a failed attempt of process.retry does not
// detach the script's closures from their locals (gopher-lua's PCall
// closes every upvalue of the thread on an error).
func TestRetryKeepsClosures(t *testing.T) {
	res := runProcsh(t, "retry.lua", `local count = 0
local function bump() count = count + 1 end
print(process.retry(3, function(attempt)
  if attempt < 2 then error("not yet") end
  return true
end, {delay = 0}))
count = 10
bump()
print(count)`)
	if res.Stdout != "true\n11\n" || res.Error != "" {
		t.Errorf("got %+v, want true, 11", res)
	}
}
