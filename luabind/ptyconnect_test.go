package luabind_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/procsh/procsh/server"
)

// A Lua PTY over a remote connection is created and attached in one
// WebSocket upgrade (create-connect), not POST /process/pty then connect,
// and the shell's first output (its prompt, printed before any input)
// reaches expect, as does the env carried in the subprotocol token.
func TestLuaRemotePTYCreateConnect(t *testing.T) {
	marker := luaMarker(t)
	srv := server.New(luaBackend(t, marker), server.WithToken("sekrit"))
	var mu sync.Mutex
	var ptyReqs []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/process/pty") {
			mu.Lock()
			ptyReqs = append(ptyReqs, r.Method+" "+r.URL.Path+" upgrade="+r.Header.Get("Upgrade"))
			mu.Unlock()
		}
		srv.ServeHTTP(w, r)
	}))
	defer ts.Close()
	var stdout, stderr luaSyncBuffer
	h := luaHost(t, luaBackend(t, luaMarker(t)), &stdout, &stderr)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := h.RunString(ctx, "ptycc.lua", fmt.Sprintf(`
		local r = assert(process.connect(%q, {token = "sekrit"}))
		local p = r.pty{env = {PROCSH_FIRST = "first-output"}}
		-- the shell's first prompt, printed before any input, is not lost
		assert(p:expect("[$#] $", {timeout = 10}))
		p:send("printf '%%s-%%s\\n' \"$PROCSH_FIRST\" seen\n")
		assert(p:expect("first-output-seen", {timeout = 10}))
		p:kill()
		r.close()`, ts.URL))
	if err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, stderr.String())
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"GET /process/pty/create-connect upgrade=websocket"}
	var got []string
	for _, r := range ptyReqs {
		if !strings.HasPrefix(r, "DELETE /process/pty/") { // p:kill()
			got = append(got, r)
		}
	}
	if len(got) != 1 || got[0] != want[0] {
		t.Fatalf("PTY requests %q, want one create-connect upgrade (and the kill)", ptyReqs)
	}
}
