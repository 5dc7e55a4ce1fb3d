//go:build !linux

package local_test

import (
	"errors"
	"testing"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/local"
)

func TestNewNeedsLinux(t *testing.T) {
	b, err := local.New()
	if b != nil || !errors.Is(err, client.ErrUnsupported) || !errors.Is(err, local.ErrNeedsLinux) {
		t.Fatalf("New() = %v, %v; want nil and an unsupported error naming Linux", b, err)
	}
}
