package luabind

import (
	"fmt"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/client"
)

// Tracing (WithTrace, procsh --trace): one line per command run.

// trace writes the line for a finished exec-like call that started at
// start; *res is nil when the call failed.
func (a *api) trace(verb, what string, start time.Time, res **client.ExecResult) {
	w := a.h.cfg.trace
	if w == nil {
		return
	}
	status := "failed"
	if r := *res; r != nil {
		status = resultStatus(r.ExitCode, r.Signal, r.TimedOut)
	}
	a.traceLine(start, verb, what, status)
}

// traceTable is trace for a call whose outcome is a result table (*t nil:
// the call failed).
func (a *api) traceTable(start time.Time, verb, what string, t **lua.LTable) {
	if a.h.cfg.trace == nil {
		return
	}
	status := "failed"
	if r := *t; r != nil {
		code, _ := r.RawGetString("exit_code").(lua.LNumber)
		sig := ""
		if v, ok := r.RawGetString("signal").(lua.LString); ok {
			sig = string(v)
		}
		status = resultStatus(int(code), sig, lua.LVAsBool(r.RawGetString("timed_out")))
	}
	a.traceLine(start, verb, what, status)
}

// traceLine writes one trace line: timestamp, target, verb, the command's
// first line, status and duration.
func (a *api) traceLine(start time.Time, verb, what, status string) {
	w := a.h.cfg.trace
	if w == nil {
		return
	}
	target := a.target
	if target == "" {
		target = a.name
	}
	line := fmt.Sprintf("[%s] %s %s: %s", start.Format("15:04:05.000"), target, verb, firstLine(what))
	if status != "" {
		line += fmt.Sprintf(" → %s in %s", status, time.Since(start).Round(time.Millisecond))
	}
	_, _ = w.Write([]byte(strings.ReplaceAll(line, "\n", " ") + "\n"))
}

// resultStatus describes an outcome: "exit 0", "signal KILL", "timed out".
func resultStatus(code int, signal string, timedOut bool) string {
	switch {
	case timedOut:
		return "timed out"
	case signal != "":
		return "signal " + signal
	}
	return fmt.Sprintf("exit %d", code)
}
