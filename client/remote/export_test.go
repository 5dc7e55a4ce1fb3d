package remote

import "time"

// SetPTYConnectTimeout shortens the wait for the connected frame in tests;
// it returns a function that restores it.
func SetPTYConnectTimeout(d time.Duration) (restore func()) {
	old := ptyConnectTimeout
	ptyConnectTimeout = d
	return func() { ptyConnectTimeout = old }
}
