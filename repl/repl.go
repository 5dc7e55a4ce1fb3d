package repl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/chzyer/readline"
	lua "github.com/yuin/gopher-lua"
)

// Evaluator is what the REPL needs from a Lua host. *luabind.Host
// implements it: Eval runs one piece of input (expression first, as lua.c
// does) and Do gives exclusive access to the state for printing results
// and taking completion snapshots.
type Evaluator interface {
	Eval(ctx context.Context, src string) ([]lua.LValue, error)
	Do(fn func(L *lua.LState) error) error
}

// Config configures Run. IsIncomplete is required; everything else has a
// working default.
type Config struct {
	// Stdin, Stdout and Stderr are the terminal; nil means the process's.
	Stdin          io.ReadCloser
	Stdout, Stderr io.Writer
	// HostStdout and HostStderr, when set, are the writers the Lua host
	// prints through. While the REPL runs they point at readline's writers,
	// so output from callbacks and background tasks that arrives while the
	// user is typing is printed above the prompt, which is then redrawn.
	HostStdout, HostStderr *SwitchWriter
	// HistoryFile is where history persists; "" means HistoryPath(), and
	// "-" keeps history in memory only.
	HistoryFile string
	// IsIncomplete reports whether an Eval error means "unfinished input,
	// read another line" (luabind.ErrIncomplete).
	IsIncomplete func(error) bool
	// IsExit reports whether an Eval error ends the REPL (the script called
	// os.exit); Run then returns that error.
	IsExit func(error) bool
	// Banner is printed once before the first prompt.
	Banner string
	// BeforeEval and AfterEval bracket each evaluation (the command uses
	// them to show its status line only while something runs).
	BeforeEval, AfterEval func()
	// Format tunes how results are printed.
	Format FormatOptions
}

// Default prompts, as in lua.c; the globals _PROMPT and _PROMPT2 override
// them.
const (
	Prompt  = "> "
	Prompt2 = ">> "
)

// Run reads, evaluates and prints until Ctrl-D or until ctx is done. It
// follows lua.c: an expression is printed, "=expr" works, a statement runs,
// and unfinished input continues on a ">> " line. Ctrl-C at the prompt
// clears the line and any pending continuation; Ctrl-C while input runs
// cancels that evaluation (and so kills what it started) and returns to the
// prompt. Errors are printed and the REPL goes on.
func Run(ctx context.Context, ev Evaluator, cfg Config) error {
	if cfg.IsIncomplete == nil {
		return errors.New("repl: Config.IsIncomplete is required")
	}
	stdin, stdout, stderr := cfg.Stdin, cfg.Stdout, cfg.Stderr
	if stdin == nil {
		stdin = os.Stdin
	}
	if stdout == nil {
		stdout = os.Stdout
	}
	if stderr == nil {
		stderr = os.Stderr
	}
	history := cfg.HistoryFile
	if history == "" {
		p, err := HistoryPath()
		if err != nil {
			fmt.Fprintf(stderr, "procsh: %v (history is not saved)\n", err)
			history = "-"
		} else {
			history = p
		}
	}
	if history != "-" {
		if err := prepareHistory(history); err != nil {
			fmt.Fprintf(stderr, "procsh: %v (history is not saved)\n", err)
			history = "-"
		}
	}
	if history == "-" {
		history = ""
	}
	comp := &completer{}
	rl, err := readline.NewEx(&readline.Config{
		Prompt: Prompt,
		// The REPL keeps the file itself (historyFile): readline's would
		// split multi-line entries.
		HistoryFile:            "",
		HistoryLimit:           historyLimit,
		DisableAutoSaveHistory: true,
		HistorySearchFold:      true,
		AutoComplete:           comp,
		Painter:                newlinePainter{},
		InterruptPrompt:        "^C",
		Stdin:                  stdin,
		Stdout:                 stdout,
		Stderr:                 stderr,
	})
	if err != nil {
		return fmt.Errorf("repl: %w", err)
	}
	defer rl.Close()
	var hist *historyFile
	if history != "" {
		hist = &historyFile{path: history, limit: historyLimit}
		entries, err := hist.load()
		if err != nil {
			fmt.Fprintf(stderr, "procsh: %v (history is not saved)\n", err)
			hist = nil
		}
		for _, e := range entries {
			_ = rl.SaveHistory(e)
		}
	}
	var outs []*lineWriter
	for _, sw := range []struct {
		host     *SwitchWriter
		rl, term io.Writer
	}{{cfg.HostStdout, rl.Stdout(), stdout}, {cfg.HostStderr, rl.Stderr(), stderr}} {
		if sw.host == nil {
			continue
		}
		lw := newLineWriter(sw.rl, sw.term)
		outs = append(outs, lw)
		prev := sw.host.Set(lw)
		defer func() {
			sw.host.Set(prev)
			lw.close()
		}()
	}
	// Ctrl-C reaches us as SIGINT only while an evaluation runs: readline
	// puts the terminal in raw mode (no ISIG) while it reads, and Readline
	// returns ErrInterrupt instead. Keep the handler for the whole session
	// so a Ctrl-C between the two never kills the REPL.
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, os.Interrupt)
	defer signal.Stop(sigc)

	s := &session{ev: ev, cfg: cfg, rl: rlAdapter{rl}, comp: comp, interrupt: sigc, hostOut: outs, hist: hist}
	if cfg.Banner != "" {
		fmt.Fprintln(rl.Stdout(), cfg.Banner)
	}
	return s.loop(ctx)
}

// newlinePainter draws the newlines of a recalled multi-line entry as "↵":
// readline edits its buffer as a single row, and a real newline in it
// would break the redraw. The entry keeps its newlines when it is run. The
// newline readline itself appends on Enter stays one.
type newlinePainter struct{}

// Paint implements readline.Painter.
func (newlinePainter) Paint(line []rune, _ int) []rune {
	out := line
	for i, r := range line {
		if r == '\n' && i < len(line)-1 {
			if &out[0] == &line[0] {
				out = append([]rune(nil), line...)
			}
			out[i] = '↵'
		}
	}
	return out
}

// lineReader is the part of *readline.Instance the loop uses; tests drive
// the loop with a scripted one.
type lineReader interface {
	Readline() (string, error)
	SetPrompt(string)
	SaveHistory(string) error
	Stdout() io.Writer
	Stderr() io.Writer
}

type rlAdapter struct{ *readline.Instance }

// errInterrupt and errEOF are what a lineReader returns for Ctrl-C and
// Ctrl-D.
var (
	errInterrupt = readline.ErrInterrupt
	errEOF       = io.EOF
)

type session struct {
	ev        Evaluator
	cfg       Config
	rl        lineReader
	comp      *completer
	interrupt <-chan os.Signal
	prompts   [2]string
	hostOut   []*lineWriter // the host's output while the REPL runs
	hist      *historyFile  // nil: history in memory only
}

// historyLimit is how many entries the REPL remembers.
const historyLimit = 1000

// foreground tells the host's writers whether an evaluation runs.
func (s *session) foreground(fg bool) {
	for _, lw := range s.hostOut {
		lw.setForeground(fg)
	}
}

func (s *session) loop(ctx context.Context) error {
	s.prompts = [2]string{Prompt, Prompt2}
	s.refresh(nil, nil)
	pending := ""
	for {
		if err := ctx.Err(); err != nil {
			return nil
		}
		if pending == "" {
			s.rl.SetPrompt(s.prompts[0])
		} else {
			s.rl.SetPrompt(s.prompts[1])
		}
		line, err := s.rl.Readline()
		switch {
		case errors.Is(err, errInterrupt):
			pending = ""
			continue
		case errors.Is(err, errEOF):
			if pending != "" {
				// Ctrl-D on a continuation line drops the unfinished input,
				// like Ctrl-C; a second Ctrl-D exits.
				pending = ""
				fmt.Fprintln(s.rl.Stdout())
				continue
			}
			fmt.Fprintln(s.rl.Stdout())
			return nil
		case err != nil:
			return fmt.Errorf("repl: read: %w", err)
		}
		src := line
		if pending != "" {
			src = pending + "\n" + line
		}
		if strings.TrimSpace(src) == "" {
			pending = ""
			continue
		}
		out, interrupted, err := s.eval(ctx, src)
		if err != nil && !interrupted && s.cfg.IsIncomplete(err) {
			pending = src
			continue
		}
		pending = ""
		// The entry keeps its newlines: joined with spaces, a line ending
		// in a comment would swallow the next one.
		_ = s.rl.SaveHistory(src)
		if s.hist != nil {
			if err := s.hist.add(src); err != nil {
				fmt.Fprintf(s.rl.Stderr(), "procsh: %v\n", err)
			}
		}
		switch {
		case interrupted:
			fmt.Fprintln(s.rl.Stderr(), "interrupted")
		case err != nil && s.cfg.IsExit != nil && s.cfg.IsExit(err):
			return err
		case err != nil:
			fmt.Fprintln(s.rl.Stderr(), strings.TrimRight(err.Error(), "\n"))
		case out != "":
			fmt.Fprintln(s.rl.Stdout(), out)
		}
	}
}

// eval runs src on its own goroutine so that a Ctrl-C (SIGINT) can cancel
// it; the results are formatted, and a fresh completion snapshot taken,
// under Do before eval returns.
func (s *session) eval(ctx context.Context, src string) (out string, interrupted bool, err error) {
	ectx, cancel := context.WithCancel(ctx)
	defer cancel()
	// A Ctrl-C that arrived while nothing ran is stale.
	for drained := false; !drained; {
		select {
		case <-s.interrupt:
		default:
			drained = true
		}
	}
	s.foreground(true)
	defer s.foreground(false)
	if s.cfg.BeforeEval != nil {
		s.cfg.BeforeEval()
	}
	if s.cfg.AfterEval != nil {
		defer s.cfg.AfterEval()
	}
	type result struct {
		out string
		err error
	}
	done := make(chan result, 1)
	go func() {
		vals, err := s.ev.Eval(ectx, src)
		var out string
		if err != nil {
			vals = nil
		}
		s.refresh(vals, &out)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		return r.out, false, r.err
	case <-s.interrupt:
		cancel()
		r := <-done
		return "", true, r.err
	}
}

// refresh formats vals into *out (when out is set) and takes a new
// completion snapshot, in one exclusive visit to the state.
func (s *session) refresh(vals []lua.LValue, out *string) {
	_ = s.ev.Do(func(L *lua.LState) error {
		if out != nil && len(vals) > 0 {
			parts := make([]string, len(vals))
			for i, v := range vals {
				parts[i] = Format(L, v, s.cfg.Format)
			}
			*out = strings.Join(parts, "\t")
		}
		s.comp.snap.Store(TakeSnapshot(L))
		if p, ok := L.GetGlobal("_PROMPT").(lua.LString); ok {
			s.prompts[0] = string(p)
		}
		if p, ok := L.GetGlobal("_PROMPT2").(lua.LString); ok {
			s.prompts[1] = string(p)
		}
		return nil
	})
}
