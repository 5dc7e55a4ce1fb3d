// Package repl is procsh's interactive Lua prompt, built on
// github.com/chzyer/readline and the public API of the Lua host (any
// Evaluator; *luabind.Host is one).
//
// It follows the conventions of lua.c: an expression is evaluated and its
// values printed ("1 + 1" prints 2), a leading "=" means "return", a
// statement just runs, and input that is not finished yet (an open
// function, table or long string) continues on a line with the secondary
// prompt ">> ". Results are pretty-printed by Format: strings quoted,
// tables expanded with sorted keys, nesting up to a depth limit and cycles
// marked. The host keeps the last value in the global "_".
//
// History is saved in the user's state directory (see HistoryPath). An
// entry that took several lines stays one entry with its newlines (so a
// line ending in a comment does not swallow the next when recalled); the
// file stores such an entry as a backslash and its Go-quoted text, and the
// prompt shows its newlines as "↵" while it is edited. Output from
// background tasks and callbacks that arrives while the prompt is up is
// printed above it a whole line at a time: a line without its newline is
// held briefly, then shown on a line of its own, never on the prompt's.
// Tab completes global names and, after "." and ":", fields and methods
// ("__" names such as metamethods only once "__" is typed). The
// completer runs on readline's own goroutine, which must never touch the Lua
// state (only one goroutine at a time may), so it reads a Snapshot taken
// under Evaluator.Do after every evaluation.
//
// Keys: Ctrl-C while input runs cancels that evaluation's context, which
// stops blocking calls and kills what they started, and returns to the
// prompt; Ctrl-C at the prompt clears the line; Ctrl-D on an empty line
// exits. Errors are printed and the session goes on.
package repl
