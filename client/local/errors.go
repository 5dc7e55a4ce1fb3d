package local

import (
	"errors"
	"runtime"
)

// ErrNeedsLinux is the cause New reports on systems other than Linux. It is
// defined on every system so that portable code can test for it.
var ErrNeedsLinux = errors.New("the local backend needs Linux (it reads /proc and uses Linux pipes, FIFOs and process groups), not " + runtime.GOOS + "; use a remote backend (procsh --remote)")
