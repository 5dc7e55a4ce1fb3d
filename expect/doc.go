// Package expect drives an interactive program through a byte stream, in the
// style of pexpect and Tcl expect: wait for one of several patterns, then
// send a reply.
//
// An Expecter reads its io.Reader in a background goroutine into a bounded
// buffer, so output that arrives between two Expect calls, or while none is
// waiting, is kept (up to the buffer limit) and a timeout never loses data.
// Expect searches the buffer for the earliest match of any pattern, so a
// match may span any number of reads, and consumes the buffer up to the end
// of the match. Literals, and regular expressions that cannot match a
// newline (most prompt patterns), are searched incrementally: new output
// costs time in proportion to itself, not to the whole buffer. Other
// regular expressions rescan the buffer when output arrives (bound that with
// WithSearchWindow on a chatty stream). The search runs outside the buffer's
// lock, so the reading goroutine never waits for it.
//
// End of stream and timeout are outcomes a caller can match on: put the EOF
// or Timeout sentinel among the patterns and Expect returns successfully with
// that pattern's index. Without the sentinel they are errors: one matching
// ErrEOF (and io.EOF, and the stream's own error when it failed), or one
// matching ErrTimeout. The package depends on nothing of procsh: the Lua
// layer maps ErrTimeout and ErrClosed to its error kinds.
//
// The stream is anything readable: a client.PTYHandle (local or remote), a
// pipe, a network connection. One Expect runs at a time (concurrent calls
// wait their turn); Send and its helpers may be called concurrently with
// Expect.
package expect
