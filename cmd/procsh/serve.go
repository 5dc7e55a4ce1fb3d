package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/procsh/procsh/client/local"
	"github.com/procsh/procsh/server"
)

// defaultListen is where `procsh serve` listens unless told otherwise: the
// loopback interface only, so nothing is exposed by accident.
const defaultListen = "127.0.0.1:2280"

// serveMain runs `procsh serve`: the process API of this machine over
// HTTP/WebSocket, until SIGINT or SIGTERM, then a graceful shutdown that
// ends every session and PTY process tree.
func serveMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("procsh serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	leaseGrace := fs.Duration("lease-grace", server.DefaultLeaseGrace, "how long a vanished procsh client's sessions and PTYs outlive it (`duration`; 0 = until deleted)")
	listen := fs.String("listen", defaultListen, "`address` to listen on (host:port; port 0 picks a free one)")
	// The default is not $PROCSH_TOKEN itself, so --help never prints it.
	tokenFlag := fs.String("token", "", "bearer `token` clients must send (default $PROCSH_TOKEN; required unless listening on loopback; visible to local users in ps, prefer --token-file)")
	tokenFile := fs.String("token-file", "", "read the token from `file` (0600); a missing file is created with a random token")
	var origins, hosts []string
	fs.Func("allow-origin", "let browser pages from `origin` (scheme://host[:port]) call the server; repeatable", func(v string) error {
		o, err := server.ParseOrigin(v)
		origins = append(origins, o)
		return err
	})
	fs.Func("allow-host", "accept `name` in the Host header on loopback besides localhost (a proxy's name); repeatable", func(v string) error {
		hosts = append(hosts, v)
		return nil
	})
	stdio := fs.Bool("stdio", false, "agent mode for the SSH backend: read the token from the first line of stdin, listen on a Unix socket in a fresh private directory (printed on stdout), and end at stdin EOF")
	maxOutput := fs.Int64("max-output", 0, "output `bytes` a synchronous result keeps for clients that set no cap (0: 64 MiB, -1: no cap)")
	logLimit := fs.Int64("log-limit", 0, "output `bytes` kept per session command, oldest dropped first (0: all; logs past 256 KiB live in a private file)")
	killGrace := fs.Duration("kill-grace", 0, "time between SIGTERM and SIGKILL when ending a process tree (0: the backend's default)")
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fmt.Fprintln(stdout, "Usage: procsh serve [--listen addr] [--token t | --token-file f] [--allow-origin o]...")
			fmt.Fprintln(stdout, "\nServes the toolbox /process API (HTTP + WebSocket) backed by this machine,")
			fmt.Fprintln(stdout, "until SIGINT or SIGTERM, then ends every session and PTY it started.")
			fmt.Fprintln(stdout)
			fs.PrintDefaults()
			return exitOK
		}
		fmt.Fprintln(stderr, "Run 'procsh serve --help' for usage.")
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "procsh serve: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if *logLimit < 0 {
		fmt.Fprintln(stderr, "procsh serve: --log-limit must be 0 or more bytes")
		return exitUsage
	}
	lopts := []local.Option{local.WithLogLimit(*logLimit)}
	if *killGrace > 0 {
		lopts = append(lopts, local.WithKillGrace(*killGrace))
	}
	if *stdio {
		// The token comes on stdin; nothing the server runs may see the
		// environment's one either.
		_ = os.Unsetenv(tokenEnv)
		// Its clients sit behind an SSH link, slower than a PTY can
		// produce: a larger per-handle buffer keeps a client that reads as
		// fast as the link allows from being cut off (the client side still
		// cuts off one that stops reading).
		return serveStdio(os.Stdin, stdout, stderr, append(lopts, local.WithPTYHandleBuffer(32<<20)))
	}
	tokenSet := false
	fs.Visit(func(f *flag.Flag) { tokenSet = tokenSet || f.Name == "token" })
	token := os.Getenv(tokenEnv)
	switch {
	case tokenSet && *tokenFile != "":
		fmt.Fprintln(stderr, "procsh serve: --token and --token-file exclude each other")
		return exitUsage
	case tokenSet:
		token = *tokenFlag
		if token != "" {
			fmt.Fprintln(stderr, "procsh serve: warning: a --token value is visible to every local user (ps, /proc/PID/cmdline); prefer --token-file or PROCSH_TOKEN")
		}
	case *tokenFile != "":
		t, created, err := loadTokenFile(*tokenFile)
		if err != nil {
			fmt.Fprintf(stderr, "procsh serve: %v\n", err)
			return exitUsage
		}
		token = t
		if created {
			fmt.Fprintf(stderr, "procsh: new token written to %s\n", *tokenFile)
		}
	}
	// Nothing the server runs may learn the token.
	_ = os.Unsetenv(tokenEnv)
	if err := server.CheckListenAddr(*listen, token); err != nil {
		fmt.Fprintf(stderr, "procsh serve: %v\n", err)
		return exitUsage
	}
	backend, err := local.New(append(lopts, local.WithEnv(childEnv(os.Environ(), token)))...)
	if err != nil {
		fmt.Fprintf(stderr, "procsh serve: %v\n", err)
		return exitError
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := server.New(backend, server.WithToken(token), server.WithLogger(logger),
		server.WithAllowedOrigins(origins...), server.WithAllowedHosts(hosts...), server.WithMaxOutput(*maxOutput),
		server.WithLeaseGrace(*leaseGrace))
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		_ = backend.Close()
		fmt.Fprintf(stderr, "procsh serve: %v\n", err)
		return exitError
	}
	auth := "no token (loopback only)"
	if token != "" {
		auth = "bearer token required"
	}
	// Tests and scripts read the address from this line (port 0 → the real
	// port), so its shape is stable.
	fmt.Fprintf(stderr, "procsh: serving on http://%s (%s)\n", ln.Addr(), auth)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	err = server.Serve(ctx, ln, srv)
	_ = backend.Close()
	if err != nil && ctx.Err() == nil {
		fmt.Fprintf(stderr, "procsh serve: %v\n", err)
		return exitError
	}
	fmt.Fprintln(stderr, "procsh: server stopped")
	return exitOK
}

// serveStdio is `procsh serve --stdio`, the server side of the SSH
// backend's agent mode. The token arrives as the first line of stdin, so it
// is on no command line; the socket lives in a fresh 0700 directory, so no
// other user of the host can reach it; and the server ends (with every
// process it started) when stdin reaches EOF, which happens when the SSH
// channel closes, also when the connection just drops.
func serveStdio(stdin io.Reader, stdout, stderr io.Writer, lopts []local.Option) int {
	br := bufio.NewReader(stdin)
	line, err := br.ReadString('\n')
	token := strings.TrimSpace(line)
	if err != nil || token == "" {
		fmt.Fprintln(stderr, "procsh serve --stdio: expected a token line on stdin")
		return exitUsage
	}
	dir, err := os.MkdirTemp("", "procsh-agent-")
	if err != nil {
		fmt.Fprintf(stderr, "procsh serve: %v\n", err)
		return exitError
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o700); err != nil {
		fmt.Fprintf(stderr, "procsh serve: %v\n", err)
		return exitError
	}
	sock := filepath.Join(dir, "sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		fmt.Fprintf(stderr, "procsh serve: %v\n", err)
		return exitError
	}
	backend, err := local.New(lopts...)
	if err != nil {
		ln.Close()
		fmt.Fprintf(stderr, "procsh serve: %v\n", err)
		return exitError
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := server.New(backend, server.WithToken(token), server.WithLogger(logger))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		_, _ = io.Copy(io.Discard, br)
		cancel()
	}()
	fmt.Fprintf(stdout, "procsh: agent socket %s\n", sock)
	err = server.Serve(ctx, ln, srv)
	_ = backend.Close()
	if err != nil && ctx.Err() == nil {
		fmt.Fprintf(stderr, "procsh serve: %v\n", err)
		return exitError
	}
	return exitOK
}
