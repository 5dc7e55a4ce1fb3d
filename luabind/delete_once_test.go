package luabind_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/luabind"
)

// countingDeletes is the local backend, counting the DeleteSession calls
// that reach it.
type countingDeletes struct {
	*local.Backend
	deletes atomic.Int32
}

func (c *countingDeletes) DeleteSession(ctx context.Context, id string) error {
	c.deletes.Add(1)
	return c.Backend.DeleteSession(ctx, id)
}

// TestSessionDeletedOnce: a session the script deletes is not deleted again
// when the run ends (against a server, the second DELETE was a 404 on the
// wire), and one it does not delete is deleted once at the end.
func TestSessionDeletedOnce(t *testing.T) {
	b, err := local.New(local.WithKillGrace(200 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	c := &countingDeletes{Backend: b}
	var _ client.Client = c
	h, err := luabind.New(c)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for _, tc := range []struct{ src string }{
		{`local s = process.session(); s:run("true"); s:delete()`},
		{`local s = process.session(); s:run("true"); process.delete_session(s.id)`},
		{`local s = process.session(); s:run("true")`},
	} {
		c.deletes.Store(0)
		if err := h.RunString(context.Background(), "t.lua", tc.src); err != nil {
			t.Fatalf("%s: %v", tc.src, err)
		}
		if n := c.deletes.Load(); n != 1 {
			t.Errorf("%s: %d DeleteSession calls, want 1", tc.src, n)
		}
	}
}
