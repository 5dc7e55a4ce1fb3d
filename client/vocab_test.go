package client

import (
	"errors"
	"fmt"
	"syscall"
	"testing"
)

func TestKindTable(t *testing.T) {
	seenName, seenWire := map[string]bool{}, map[string]bool{}
	for _, k := range Kinds() {
		if seenName[k.Name] || seenWire[k.Wire] {
			t.Fatalf("duplicate kind %+v", k)
		}
		seenName[k.Name], seenWire[k.Wire] = true, true
		wrapped := fmt.Errorf("outer: %w", Errorf("op", k.Err, "detail"))
		if got := KindOf(wrapped); got != k.Err {
			t.Errorf("KindOf(%v) = %v, want %v", wrapped, got, k.Err)
		}
		if got := KindName(wrapped); got != k.Name {
			t.Errorf("KindName = %q, want %q", got, k.Name)
		}
		if got := WireKind(wrapped); got != k.Wire {
			t.Errorf("WireKind = %q, want %q", got, k.Wire)
		}
		if KindFromWire(k.Wire) != k.Err || KindFromName(k.Name) != k.Err {
			t.Errorf("round trip of %+v failed", k)
		}
	}
	if KindOf(errors.New("plain")) != nil || KindName(nil) != "" || KindFromWire("nope") != nil {
		t.Error("unclassified errors must map to nothing")
	}
}

func TestParseSignal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want syscall.Signal
		ok   bool
	}{
		{"TERM", syscall.SIGTERM, true}, {"sigkill", syscall.SIGKILL, true}, {" int ", syscall.SIGINT, true},
		{"9", syscall.SIGKILL, true}, {"64", 64, true}, {"WINCH", syscall.SIGWINCH, true},
		{"", 0, false}, {"SIG", 0, false}, {"0", 0, false}, {"65", 0, false}, {"-1", 0, false},
		{"BOGUS", 0, false}, {"SIGSIGTERM", 0, false},
	} {
		got, err := ParseSignal(tc.in)
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("ParseSignal(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ParseSignal(%q) error %v is not ErrInvalidArgument", tc.in, err)
		}
	}
	for n := 1; n <= 31; n++ {
		sig := syscall.Signal(n)
		if back, err := ParseSignal(SignalName(sig)); err != nil || back != sig {
			t.Errorf("SignalName(%d) = %q does not parse back", n, SignalName(sig))
		}
	}
	if SignalName(40) != "40" || ExitCodeForSignal(syscall.SIGTERM) != 143 {
		t.Error("real-time names or exit code convention changed")
	}
}

func TestCheckEnv(t *testing.T) {
	for _, tc := range []struct {
		env map[string]string
		ok  bool
	}{
		{map[string]string{"A": "1", "_b2": "x=y"}, true},
		{map[string]string{"": "1"}, false},
		{map[string]string{"2A": "1"}, false},
		{map[string]string{"A=B": "1"}, false},
		{map[string]string{"A": "x\x00y"}, false},
		{map[string]string{"A\x00": "x"}, false},
	} {
		err := CheckEnv("op", tc.env)
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrInvalidArgument)) {
			t.Errorf("CheckEnv(%q) = %v, want ok=%v", tc.env, err, tc.ok)
		}
	}
}

func TestPTYExitReason(t *testing.T) {
	tests := []struct {
		code   int
		reason string
	}{
		{0, ""}, {1, "non-zero exit"}, {-1, "non-zero exit"}, {128, "non-zero exit"}, {129, "signal 1"},
		{130, "Ctrl+C"}, {137, "SIGKILL"}, {143, "SIGTERM"}, {138, "signal 10"},
	}
	for _, tc := range tests {
		if got := PTYExitReason(tc.code); got != tc.reason {
			t.Errorf("PTYExitReason(%d) = %q, want %q", tc.code, got, tc.reason)
		}
	}
}
