package gil

import (
	"context"
	"sync"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

func TestPending(t *testing.T) {
	var p Pending
	select {
	case <-p.Idle():
	default:
		t.Fatal("zero Pending is not idle")
	}
	p.Add()
	p.Add()
	idle := p.Idle()
	p.Done()
	select {
	case <-idle:
		t.Fatal("idle with one operation outstanding")
	default:
	}
	if p.N() != 1 {
		t.Fatalf("N = %d, want 1", p.N())
	}
	p.Done()
	select {
	case <-idle:
	case <-time.After(time.Second):
		t.Fatal("not idle after the last Done")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Done without Add did not panic")
		}
	}()
	p.Done()
}

// TestBlockInPcallAndIterator runs two tasks on one state: one blocks inside
// pcall and inside a for-iterator; the other must run while the first waits.
func TestBlockInPcallAndIterator(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	g := New(L)
	release := make(chan struct{})
	var mu sync.Mutex
	var order []string
	note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	L.SetGlobal("note", L.NewFunction(func(th *lua.LState) int { note(th.CheckString(1)); return 0 }))
	L.SetGlobal("wait_release", L.NewFunction(func(th *lua.LState) int {
		g.Block(th, func() { <-release })
		if g.L.G.CurrentThread != th {
			th.RaiseError("current thread not restored")
		}
		return 0
	}))
	L.SetGlobal("do_release", L.NewFunction(func(th *lua.LState) int { close(release); return 0 }))
	if err := L.DoString(`
		function a()
			local ok = pcall(function() wait_release() end)
			note("a:pcall " .. tostring(ok))
			local n = 0
			for i in function() n = n + 1; if n <= 2 then wait_release(); return n end end do note("a:iter " .. i) end
			local co = coroutine.wrap(function() wait_release(); coroutine.yield("co") end)
			note("a:" .. co())
		end
		function b() note("b:release"); do_release() end`); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, name := range []string{"a", "b"} {
		g.Lock(L)
		th, _ := L.NewThread()
		fn := L.GetGlobal(name)
		g.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.Lock(th)
			defer g.Unlock()
			th.Push(fn)
			if err := th.PCall(0, 0, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	want := []string{"b:release", "a:pcall true", "a:iter 1", "a:iter 2", "a:co"}
	if len(order) != len(want) {
		t.Fatalf("order = %q, want %q", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order = %q, want %q", order, want)
		}
	}
}

// TestFIFO: waiters get the lock in the order they asked for it.
func TestFIFO(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	g := New(L)
	g.Lock(L)
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.Lock(L)
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			g.Unlock()
		}()
		// Wait until goroutine i is queued before starting the next.
		for {
			g.mu.Lock()
			n := len(g.queue)
			g.mu.Unlock()
			if n == i+1 {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	g.Unlock()
	wg.Wait()
	for i, v := range order {
		if v != i {
			t.Fatalf("order = %v", order)
		}
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Unlock of an unlocked GIL did not panic")
		}
	}()
	g.Unlock()
}

// TestLockContext: a waiter whose context ends leaves the queue without the
// lock, and the lock still reaches the next waiter.
func TestLockContext(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	g := New(L)
	g.Lock(L)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- g.LockContext(ctx, L) }()
	got := make(chan struct{})
	go func() {
		for {
			g.mu.Lock()
			n := len(g.queue)
			g.mu.Unlock()
			if n == 1 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		g.Lock(L) // queued behind the context waiter
		g.Unlock()
		close(got)
	}()
	for {
		g.mu.Lock()
		n := len(g.queue)
		g.mu.Unlock()
		if n == 2 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-errc; err != context.Canceled {
		t.Fatalf("LockContext = %v", err)
	}
	g.Unlock()
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the lock did not reach the next waiter")
	}
	// Uncontended and already-cancelled-but-free cases take the lock.
	if err := g.LockContext(ctx, L); err != nil {
		t.Fatalf("free lock: %v", err)
	}
	g.Unlock()
}
