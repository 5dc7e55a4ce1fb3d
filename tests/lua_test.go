package tests

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/luabind"
)

// The Lua tests run every tests/lua/*.lua script as a subtest against the
// real local backend. A script passes when it returns without error; it
// asserts with the stdlib t module. Scripts named sandbox_*.lua run in the
// sandbox profile. After each script no process it started may be left:
// every process the backend starts carries a marker in its environment,
// and the test scans /proc for it.

const luaMarkerVar = "PROCSH_LUATEST"

// luaSyncBuffer is a goroutine-safe output buffer.
type luaSyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *luaSyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *luaSyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func luaMarker(t testing.TB) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "luatest-" + hex.EncodeToString(b[:])
}

// luaBackend returns a local backend whose processes carry marker.
func luaBackend(t testing.TB, marker string) client.Client {
	t.Helper()
	b, err := local.New(local.WithEnv(append(os.Environ(), luaMarkerVar+"="+marker)), local.WithKillGrace(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// luaProcs returns the pids of live processes whose environment has marker.
func luaProcs(marker string) []int {
	want := []byte(luaMarkerVar + "=" + marker + "\x00")
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(env, want) {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

// luaAssertNoProcs fails if processes with marker are still there shortly
// after a run (killing is asynchronous: a TERM grace may still be running).
func luaAssertNoProcs(t testing.TB, marker string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		pids := luaProcs(marker)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			var desc []string
			for _, p := range pids {
				cmd, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "cmdline"))
				desc = append(desc, strconv.Itoa(p)+":"+strings.ReplaceAll(string(cmd), "\x00", " "))
			}
			t.Fatalf("processes left after the run: %s", strings.Join(desc, "; "))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func luaHost(t testing.TB, backend client.Client, stdout, stderr *luaSyncBuffer, opts ...luabind.Option) *luabind.Host {
	t.Helper()
	opts = append([]luabind.Option{luabind.WithStdout(stdout), luabind.WithStderr(stderr)}, opts...)
	h, err := luabind.New(backend, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

func TestLuaScripts(t *testing.T) {
	scripts, err := filepath.Glob("lua/*.lua")
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no Lua test scripts found (%v)", err)
	}
	for _, path := range scripts {
		name := strings.TrimSuffix(filepath.Base(path), ".lua")
		t.Run(name, func(t *testing.T) {
			marker := luaMarker(t)
			var stdout, stderr luaSyncBuffer
			var opts []luabind.Option
			if strings.HasPrefix(name, "sandbox_") {
				opts = append(opts, luabind.WithProfile(luabind.ProfileSandbox))
			}
			h := luaHost(t, luaBackend(t, marker), &stdout, &stderr, opts...)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err := h.RunFile(ctx, path, "arg-one", "arg two")
			if err != nil {
				t.Fatalf("%s failed: %v\nstdout:\n%s\nstderr:\n%s", path, err, stdout.String(), stderr.String())
			}
			if s := stderr.String(); s != "" && !strings.HasPrefix(name, "callback") {
				t.Errorf("unexpected stderr output:\n%s", s)
			}
			luaAssertNoProcs(t, marker)
		})
	}
}

var _ = errors.Is
