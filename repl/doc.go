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
// History is saved in the user's state directory (see HistoryPath). Tab
// completes global names and, after "." and ":", fields and methods. The
// completer runs on readline's own goroutine, which must never touch the Lua
// state (only one goroutine at a time may), so it reads a Snapshot taken
// under Evaluator.Do after every evaluation.
//
// Keys: Ctrl-C while input runs cancels that evaluation's context, which
// stops blocking calls and kills what they started, and returns to the
// prompt; Ctrl-C at the prompt clears the line; Ctrl-D on an empty line
// exits. Errors are printed and the session goes on.
package repl
