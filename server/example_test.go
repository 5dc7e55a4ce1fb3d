package server_test

import (
	"context"
	"log"
	"os/signal"
	"syscall"

	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/server"
)

// Serving the local backend until SIGINT/SIGTERM, as `procsh serve` does.
func Example() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	backend, err := local.New()
	if err != nil {
		log.Fatal(err)
	}
	token := "" // required for a non-loopback address
	if err := server.CheckListenAddr(server.DefaultAddr, token); err != nil {
		log.Fatal(err)
	}
	s := server.New(backend, server.WithToken(token), server.WithMaxBodyBytes(1<<20))
	if err := server.ListenAndServe(ctx, server.DefaultAddr, s); err != nil {
		log.Print(err)
	}
}
