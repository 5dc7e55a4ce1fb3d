package expect

import "testing"

func TestANSIStrip(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "hello\r\n", "hello\r\n"},
		{"sgr", "\x1b[1;32mok\x1b[0m", "ok"},
		{"cursor and erase", "a\x1b[2K\x1b[10;5Hb\x1b[?25l", "ab"},
		{"bracketed paste mode", "\x1b[?2004h$ \x1b[?2004l", "$ "},
		{"osc title bel", "\x1b]0;user@host: ~\x07$ ", "$ "},
		{"osc st", "\x1b]7;file://host/tmp\x1b\\x", "x"},
		{"dcs", "\x1bPq#0;2;0;0;0\x1b\\y", "y"},
		{"charset", "\x1b(B\x1b)0z", "z"},
		{"two-byte", "\x1b=\x1b>\x1bMk", "k"},
		{"esc esc", "\x1b\x1b[31mr", "r"},
		{"c0 inside csi kept", "\x1b[1\n;2mx", "\nx"},
		{"esc inside osc restarts", "\x1b]0;t\x1b[31mred", "red"},
		{"utf-8 untouched", "café ✓ \x1b[1m雪\x1b[0m", "café ✓ 雪"},
		{"unterminated csi at end dropped", "a\x1b[1;", "a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var whole ansiStripper
			if got := string(whole.strip([]byte(tc.in))); got != tc.want {
				t.Errorf("whole: %q, want %q", got, tc.want)
			}
			var bytewise ansiStripper
			var got []byte
			for i := 0; i < len(tc.in); i++ {
				got = append(got, bytewise.strip([]byte{tc.in[i]})...)
			}
			if string(got) != tc.want {
				t.Errorf("byte by byte: %q, want %q", got, tc.want)
			}
		})
	}
}
