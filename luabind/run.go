package luabind

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/procsh/procsh/luabind/internal/gil"
)

// cleanupTimeout bounds how long the end of a run may spend killing and
// deleting what the script left behind.
const cleanupTimeout = 10 * time.Second

// cleanupParallelism bounds how many resources are ended at once.
const cleanupParallelism = 128

// resource is something a run started and must end unless detached.
type resource interface {
	cleanup(ctx context.Context)
}

type resourceFunc func(ctx context.Context)

func (f resourceFunc) cleanup(ctx context.Context) { f(ctx) }

// run is one RunString/RunFile, or the long-lived REPL run of Eval.
type run struct {
	h       *Host
	repl    bool
	ctx     context.Context
	cancel  context.CancelCauseFunc
	pending gil.Pending
	wg      sync.WaitGroup // goroutines started for this run

	mu         sync.Mutex
	resources  []resource
	tasks      map[*task]struct{} // running tasks, and finished ones a script run may still report
	nextTask   int
	bgErrs     []error // errors of callbacks and unobserved tasks
	exitCode   *int
	foreground context.CancelFunc // Eval: cancels the current evaluation
	stopClose  func() bool        // unregisters the Close hook
}

var errExit = errors.New("os.exit")

func (h *Host) newRun(parent context.Context, repl bool) *run {
	r := &run{h: h, repl: repl}
	r.ctx, r.cancel = context.WithCancelCause(parent)
	// Close ends a run in progress too.
	r.stopClose = context.AfterFunc(h.ctx, func() { r.cancel(ErrClosed) })
	return r
}

func (r *run) add(res resource) {
	r.mu.Lock()
	r.resources = append(r.resources, res)
	r.mu.Unlock()
}

// addTask registers t and returns its number.
func (r *run) addTask(t *task) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tasks == nil {
		r.tasks = map[*task]struct{}{}
	}
	r.tasks[t] = struct{}{}
	r.nextTask++
	return r.nextTask
}

// taskDone forgets a finished task in the REPL's run, which never reports
// unobserved failures at an end (it reports them at once), so that a long
// session does not keep every task it ever spawned.
func (r *run) taskDone(t *task) {
	if !r.repl {
		return
	}
	r.mu.Lock()
	delete(r.tasks, t)
	r.mu.Unlock()
}

// cancelTasks cancels every task of the run.
func (r *run) cancelTasks() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for t := range r.tasks {
		t.cancel()
	}
}

// background records an error that happened outside the main chunk and
// reports it on the host's stderr at once.
func (r *run) background(what string, err error) {
	fmt.Fprintf(r.h.stderr, "procsh: %s: %v\n", what, err)
	r.mu.Lock()
	r.bgErrs = append(r.bgErrs, err)
	r.mu.Unlock()
}

func (r *run) setForeground(cancel context.CancelFunc) {
	r.mu.Lock()
	r.foreground = cancel
	r.mu.Unlock()
}

// exit records os.exit(code) and stops the run (or, in the REPL, the
// current evaluation), so that no pcall can swallow it.
func (r *run) exit(code int) {
	r.mu.Lock()
	if r.exitCode == nil {
		r.exitCode = &code
	}
	fg := r.foreground
	r.mu.Unlock()
	if r.repl {
		if fg != nil {
			fg()
		}
		return
	}
	r.cancel(errExit)
}

// exiting reports whether os.exit was called and not yet reported.
func (r *run) exiting() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.exitCode != nil
}

func (r *run) takeExit() (int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.exitCode == nil {
		return 0, false
	}
	c := *r.exitCode
	r.exitCode = nil
	return c, true
}

// end cancels what is still running, ends every resource the run did not
// detach and waits for the run's goroutines. It must be called without the
// GIL.
func (r *run) end() {
	r.stopClose()
	r.cancel(context.Canceled)
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	r.mu.Lock()
	res := r.resources
	r.resources = nil
	r.mu.Unlock()
	// Resources are independent (a session's deletion also ends its
	// commands), so end them concurrently: deleting a session or killing a
	// PTY waits for its process tree, and a hundred of them one after the
	// other would take seconds.
	sem := make(chan struct{}, cleanupParallelism)
	var wg sync.WaitGroup
	for i := len(res) - 1; i >= 0; i-- {
		sem <- struct{}{}
		wg.Add(1)
		go func(res resource) {
			defer wg.Done()
			defer func() { <-sem }()
			res.cleanup(ctx)
		}(res[i])
	}
	wg.Wait()
	r.wg.Wait()
}

// result turns the main chunk's error and the background errors into the
// run's error.
func (r *run) result(ctx context.Context, err error) error {
	if code, ok := r.takeExit(); ok {
		return &ExitError{Code: code}
	}
	if cause := context.Cause(r.ctx); errors.Is(cause, ErrClosed) && ctx.Err() == nil {
		return fmt.Errorf("luabind: script stopped: %w", ErrClosed)
	}
	if ctx.Err() != nil {
		if err != nil {
			return fmt.Errorf("luabind: script stopped (%v): %w", toScriptError(err), context.Cause(ctx))
		}
		return fmt.Errorf("luabind: script stopped: %w", context.Cause(ctx))
	}
	if err != nil {
		return toScriptError(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var failed []*task
	for t := range r.tasks {
		if t.err != nil && !t.observed && !t.canceled {
			failed = append(failed, t)
		}
	}
	sort.Slice(failed, func(i, j int) bool { return failed[i].id < failed[j].id })
	for _, t := range failed {
		r.bgErrs = append(r.bgErrs, t.err)
		fmt.Fprintf(r.h.stderr, "procsh: %s failed and was never waited for: %v\n", t, t.err)
	}
	if len(r.bgErrs) > 0 {
		return r.bgErrs[0]
	}
	return nil
}
