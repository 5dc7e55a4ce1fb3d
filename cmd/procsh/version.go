package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at link time: go build -ldflags "-X main.version=v1.2.3".
var version = ""

// versionString describes this build: the link-time version, else the
// module version and VCS revision recorded by the Go toolchain.
func versionString() string {
	v := version
	rev, lua := "", ""
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == "github.com/yuin/gopher-lua" {
				lua = d.Version
			}
		}
		if v == "" && info.Main.Version != "" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
				if len(rev) > 12 {
					rev = rev[:12]
				}
			case "vcs.modified":
				if s.Value == "true" && rev != "" {
					rev += "-dirty"
				}
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	s := fmt.Sprintf("procsh %s", v)
	if rev != "" {
		s += " (" + rev + ")"
	}
	s += fmt.Sprintf(" %s %s/%s", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if lua != "" {
		s += ", Lua 5.1 (gopher-lua " + lua + ")"
	}
	return s
}
