package client

import (
	"strconv"
	"strings"
	"syscall"
)

// signals names the Linux signals by their number, as kill -l prints them
// without the SIG prefix. The table is ours rather than the platform's so
// that names read the same whichever system the client runs on.
var signals = [...]string{
	1: "HUP", 2: "INT", 3: "QUIT", 4: "ILL", 5: "TRAP", 6: "ABRT", 7: "BUS", 8: "FPE",
	9: "KILL", 10: "USR1", 11: "SEGV", 12: "USR2", 13: "PIPE", 14: "ALRM", 15: "TERM",
	16: "STKFLT", 17: "CHLD", 18: "CONT", 19: "STOP", 20: "TSTP", 21: "TTIN", 22: "TTOU",
	23: "URG", 24: "XCPU", 25: "XFSZ", 26: "VTALRM", 27: "PROF", 28: "WINCH", 29: "IO",
	30: "PWR", 31: "SYS",
}

// maxSignal is the highest signal number accepted (Linux's SIGRTMAX).
const maxSignal = 64

// ParseSignal reads a signal given by name ("TERM", "SIGTERM", "term") or by
// number ("15"). It is strict: an empty string, a bare "SIG", an unknown
// name or a number outside 1..64 is an error matching ErrInvalidArgument.
func ParseSignal(s string) (syscall.Signal, error) {
	name := strings.ToUpper(strings.TrimSpace(s))
	if n, err := strconv.Atoi(name); err == nil {
		if n >= 1 && n <= maxSignal {
			return syscall.Signal(n), nil
		}
		return 0, signalError(s)
	}
	name = strings.TrimPrefix(name, "SIG")
	if name != "" {
		for n, v := range signals {
			if v == name {
				return syscall.Signal(n), nil
			}
		}
	}
	return 0, signalError(s)
}

func signalError(s string) error {
	return Errorf("parse signal", ErrInvalidArgument,
		"%q is not a signal: want a name such as TERM, KILL or INT, or a number 1-%d", s, maxSignal)
}

// SignalName returns the name of sig without the SIG prefix ("TERM"), or
// its number for a signal without a name (real-time signals).
func SignalName(sig syscall.Signal) string {
	if n := int(sig); n > 0 && n < len(signals) && signals[n] != "" {
		return signals[n]
	}
	return strconv.Itoa(int(sig))
}

// ExitCodeForSignal is the status a shell reports for a command ended by
// sig: 128 + the signal number.
func ExitCodeForSignal(sig syscall.Signal) int { return 128 + int(sig) }

// PTYExitReason is the reason string Daytona's toolbox gives for how a PTY
// program ended (docs/protocol.md §7.4): "" for exit 0, "Ctrl+C",
// "SIGKILL" and "SIGTERM" for 130, 137 and 143, "signal N" for other
// codes above 128, and "non-zero exit" otherwise.
func PTYExitReason(code int) string {
	switch {
	case code == 0:
		return ""
	case code == 130:
		return "Ctrl+C"
	case code == 137:
		return "SIGKILL"
	case code == 143:
		return "SIGTERM"
	case code > 128:
		return "signal " + strconv.Itoa(code-128)
	}
	return "non-zero exit"
}
