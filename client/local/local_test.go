//go:build linux

package local_test

import (
	"testing"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/clienttest"
	"github.com/procsh/procsh/client/local"
)

func newBackend(t *testing.T) client.Client {
	b, err := local.New(local.WithKillGrace(200 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConformance(t *testing.T) {
	clienttest.Run(t, newBackend)
}
