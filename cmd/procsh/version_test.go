package main

import (
	"runtime/debug"
	"testing"
)

func TestDescribeVersion(t *testing.T) {
	lua := &debug.Module{Path: "github.com/yuin/gopher-lua", Version: "v1.1.2"}
	settings := func(kv ...string) []debug.BuildSetting {
		var out []debug.BuildSetting
		for i := 0; i+1 < len(kv); i += 2 {
			out = append(out, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return out
	}
	for _, c := range []struct {
		name   string
		linked string
		info   *debug.BuildInfo
		want   string
	}{
		{"no build info", "", nil, "procsh (devel) go1.99 linux/amd64"},
		{"link-time version wins", "v9.9.9", &debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "v1.0.0"}, Deps: []*debug.Module{lua}},
			"procsh v9.9.9 go1.99 linux/amd64, Lua 5.1 (gopher-lua v1.1.2)"},
		{"go install @version", "", &debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "v1.2.3"}, Deps: []*debug.Module{lua}},
			"procsh v1.2.3 go1.99 linux/amd64, Lua 5.1 (gopher-lua v1.1.2)"},
		{"checkout: pseudo-version and revision", "", &debug.BuildInfo{
			Main:     debug.Module{Path: modulePath, Version: "v0.0.0-20261201080000-0123456789ab+dirty"},
			Settings: settings("vcs.revision", "0123456789abcdef0123", "vcs.modified", "true"),
		}, "procsh v0.0.0-20261201080000-0123456789ab+dirty (0123456789ab-dirty) go1.99 linux/amd64"},
		{"checkout without tags", "", &debug.BuildInfo{
			Main:     debug.Module{Path: modulePath, Version: "(devel)"},
			Settings: settings("vcs.modified", "false", "vcs.revision", "abcdef"),
		}, "procsh (devel) (abcdef) go1.99 linux/amd64"},
		{"built by another module", "", &debug.BuildInfo{
			Main: debug.Module{Path: "example.com/wrap", Version: "(devel)"},
			Deps: []*debug.Module{{Path: modulePath, Version: "v1.4.0", Replace: &debug.Module{Path: "../procsh"}}, lua},
		}, "procsh v1.4.0 go1.99 linux/amd64, Lua 5.1 (gopher-lua v1.1.2)"},
		{"another module's version is not ours", "", &debug.BuildInfo{Main: debug.Module{Path: "example.com/other", Version: "v5.0.0"}},
			"procsh (devel) go1.99 linux/amd64"},
		{"replaced gopher-lua", "", &debug.BuildInfo{Main: debug.Module{Path: modulePath},
			Deps: []*debug.Module{{Path: "github.com/yuin/gopher-lua", Version: "v1.1.2", Replace: &debug.Module{Path: "x", Version: "v1.1.3"}}}},
			"procsh (devel) go1.99 linux/amd64, Lua 5.1 (gopher-lua v1.1.3)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := describeVersion(c.linked, c.info, "go1.99", "linux/amd64"); got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}
