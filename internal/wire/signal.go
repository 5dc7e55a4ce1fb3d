package wire

import (
	"strconv"
	"strings"
	"syscall"
)

var signalNames = map[string]syscall.Signal{
	"HUP": syscall.SIGHUP, "INT": syscall.SIGINT, "QUIT": syscall.SIGQUIT, "KILL": syscall.SIGKILL,
	"TERM": syscall.SIGTERM, "USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2, "STOP": syscall.SIGSTOP,
	"CONT": syscall.SIGCONT, "ALRM": syscall.SIGALRM, "PIPE": syscall.SIGPIPE, "WINCH": syscall.SIGWINCH,
}

// ParseSignal reads "TERM", "SIGTERM", "term" or "15"; "" means TERM.
func ParseSignal(name string) (syscall.Signal, bool) {
	n := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(name)), "SIG")
	if n == "" {
		return syscall.SIGTERM, true
	}
	if sig, ok := signalNames[n]; ok {
		return sig, true
	}
	if i, err := strconv.Atoi(n); err == nil && i > 0 && i < 65 {
		return syscall.Signal(i), true
	}
	return 0, false
}

// SignalName names sig for a KillRequest ("TERM"), or gives its number.
func SignalName(sig syscall.Signal) string {
	for k, v := range signalNames {
		if v == sig {
			return k
		}
	}
	return strconv.Itoa(int(sig))
}
