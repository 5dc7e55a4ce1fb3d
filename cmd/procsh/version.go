package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at link time for release builds:
//
//	go build -ldflags "-X main.version=v1.2.3" ./cmd/procsh
//
// Without it, the version comes from the build information the Go
// toolchain records: the module version for `go install
// github.com/procsh/procsh/cmd/procsh@v1.2.3` (or the version another
// module requires when it builds this command), and the VCS tag or
// pseudo-version and revision for a build in a checkout.
var version = ""

// modulePath is this command's module.
const modulePath = "github.com/procsh/procsh"

// versionString describes this build.
func versionString() string {
	info, _ := debug.ReadBuildInfo()
	return describeVersion(version, info, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
}

// describeVersion is versionString for a given link-time version and build
// information (nil when there is none): "procsh v1.2.3 (0123456789ab)
// go1.26 linux/amd64, Lua 5.1 (gopher-lua v1.1.2)".
func describeVersion(linked string, info *debug.BuildInfo, goVersion, platform string) string {
	v := linked
	rev, lua := "", ""
	if info != nil {
		mod := &info.Main
		if mod.Path != modulePath {
			// Built as a dependency of another module.
			for _, d := range info.Deps {
				if d.Path == modulePath {
					mod = d
				}
			}
		}
		if v == "" && mod.Path == modulePath && mod.Version != "" && mod.Version != "(devel)" {
			v = mod.Version
		}
		for _, d := range info.Deps {
			if d.Path == "github.com/yuin/gopher-lua" {
				lua = d.Version
				if d.Replace != nil && d.Replace.Version != "" {
					lua = d.Replace.Version
				}
			}
		}
		if rev = setting(info, "vcs.revision"); len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" && setting(info, "vcs.modified") == "true" {
			rev += "-dirty"
		}
	}
	if v == "" {
		v = "(devel)"
	}
	s := "procsh " + v
	if rev != "" {
		s += " (" + rev + ")"
	}
	s += fmt.Sprintf(" %s %s", goVersion, platform)
	if lua != "" {
		s += ", Lua 5.1 (gopher-lua " + lua + ")"
	}
	return s
}

// setting returns the build setting key, or "".
func setting(info *debug.BuildInfo, key string) string {
	for _, s := range info.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}
