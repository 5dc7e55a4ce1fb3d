package lua51_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/procsh/procsh/luabind/lua51"
	"github.com/procsh/procsh/luabind/lua51/luadiff"
)

// The price of the Lua 5.1 layer at compile time: lua51.Compile (parse,
// rewrite, record error sites, compile) against the floor of parse.Parse
// plus lua.Compile, on the project's own scripts and on a generated file of
// about 5,000 lines. The target is at most 5% more. Each iteration times
// both alternately so load on the machine affects both alike; the metric
// "extra-%" is the ratio.

func projectScripts(b *testing.B) map[string]string {
	b.Helper()
	srcs := map[string]string{}
	for _, pat := range []string{"../../scripts/*.lua", "../../stdlib/lua/*.lua", "../../tests/lua/*.lua", "testdata/corpus/*.lua"} {
		files, err := filepath.Glob(pat)
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			srcs[f] = string(src)
		}
	}
	if len(srcs) < 10 {
		b.Fatalf("only %d scripts found", len(srcs))
	}
	return srcs
}

func generated5000() map[string]string {
	src := luadiff.Generate(1, 2200)
	return map[string]string{"gen.lua": src}
}

func plainCompile(b *testing.B, name, src string) {
	chunk, err := parse.Parse(strings.NewReader(src), name)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := lua.Compile(chunk, name); err != nil {
		b.Fatal(err)
	}
}

func benchRewrite(b *testing.B, srcs map[string]string) {
	lines := 0
	for _, s := range srcs {
		lines += strings.Count(s, "\n")
	}
	var plain, with time.Duration
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		for name, src := range srcs {
			plainCompile(b, name, src)
		}
		t1 := time.Now()
		for name, src := range srcs {
			if _, err := lua51.Compile(name, src); err != nil {
				b.Fatal(err)
			}
		}
		plain += t1.Sub(t0)
		with += time.Since(t1)
	}
	b.ReportMetric(float64(lines), "lines")
	b.ReportMetric(float64(plain.Nanoseconds())/float64(b.N), "floor-ns/op")
	b.ReportMetric(float64(with.Nanoseconds())/float64(b.N), "lua51-ns/op")
	b.ReportMetric(100*(float64(with)-float64(plain))/float64(plain), "extra-%")
}

func BenchmarkRewriteCost(b *testing.B) {
	b.Run("project-scripts", func(b *testing.B) { benchRewrite(b, projectScripts(b)) })
	b.Run("generated-5000-lines", func(b *testing.B) { benchRewrite(b, generated5000()) })
}
