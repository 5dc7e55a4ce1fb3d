// Package local is the procsh backend that runs processes on this machine:
// one-shot commands and code runs with os/exec, persistent shell sessions, and
// PTY sessions with github.com/creack/pty. It implements client.Client.
package local
