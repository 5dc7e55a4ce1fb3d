//go:build !linux

package local

import "github.com/procsh/procsh/client"

// Backend would run processes on this machine. On this system New never
// returns one; the type exists so that programs that mention it still
// build, and its methods are those of the client.Client it embeds.
type Backend struct{ client.Client }

// New fails with an error matching client.ErrUnsupported and ErrNeedsLinux:
// the local backend runs only on Linux.
func New(opts ...Option) (*Backend, error) {
	return nil, &client.Error{Op: "local backend", Kind: client.ErrUnsupported, Err: ErrNeedsLinux}
}
