package expect

import (
	"io"
	"time"
)

type config struct {
	timeout    time.Duration
	maxBuffer  int
	window     int
	stripANSI  bool
	transcript io.Writer
	sendLog    io.Writer
	lineEnd    string
	readSize   int
}

func defaultConfig() config {
	return config{timeout: 30 * time.Second, maxBuffer: 1 << 20, lineEnd: "\n", readSize: 32 << 10}
}

// An Option configures an Expecter.
type Option func(*config)

// WithTimeout sets the default timeout of Expect calls that have no Timeout
// pattern. The default is 30 seconds, as in pexpect; 0 means no timeout
// (the call's context still bounds it).
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithMaxBuffer bounds the unconsumed output kept in memory (default 1 MiB).
// When output arrives faster than Expect consumes it, the oldest bytes are
// dropped and counted by Discarded.
func WithMaxBuffer(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxBuffer = n
		}
	}
}

// WithSearchWindow limits the search to the last n bytes of the buffer, as
// pexpect's searchwindowsize does, which keeps matching cheap on a chatty
// stream. Result.Before still holds everything before the match. 0 (the
// default) searches the whole buffer.
func WithSearchWindow(n int) Option { return func(c *config) { c.window = n } }

// WithStripANSI removes terminal escape sequences (colours, cursor motion,
// window titles) from the output before it is matched, so patterns see the
// text a person would read. The transcript still gets the raw bytes.
func WithStripANSI() Option { return func(c *config) { c.stripANSI = true } }

// WithTranscript copies every byte read, as read, to w (pexpect's
// logfile_read). w is written from the reading goroutine; its errors are
// ignored.
func WithTranscript(w io.Writer) Option { return func(c *config) { c.transcript = w } }

// WithSendTranscript copies every byte sent to w (pexpect's logfile_send).
func WithSendTranscript(w io.Writer) Option { return func(c *config) { c.sendLog = w } }

// WithLineEnding sets what SendLine appends; the default is "\n". Programs
// that put the terminal in raw mode may want "\r", which is what a terminal's
// Enter key sends.
func WithLineEnding(s string) Option { return func(c *config) { c.lineEnd = s } }
