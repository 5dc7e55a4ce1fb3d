package ssh_test

import (
	"context"
	"fmt"
	"log"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/ssh"
)

// Dial a host as ssh does (known_hosts, ~/.ssh/config, the agent) and run
// a command there. In agent mode (the default on Linux amd64/arm64 hosts)
// sessions, PTYs and the rest of the API work too.
func ExampleDial() {
	ctx := context.Background()
	c, err := ssh.Dial(ctx, "ssh://deploy@web1.example.com", ssh.Options{})
	if err != nil {
		log.Fatal(err) // e.g. kind unauthorized: "host key of … has CHANGED"
	}
	defer c.Close()
	res, err := c.Exec(ctx, client.ExecRequest{Command: "uptime", Cwd: "/srv/app", Env: map[string]string{"LC_ALL": "C"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(c.Mode(), ": ", res.Stdout)
}

// Raw mode uploads nothing: one-shot commands and PTYs over plain SSH
// channels.
func ExampleDial_raw() {
	ctx := context.Background()
	c, err := ssh.Dial(ctx, "router.example.com", ssh.Options{Mode: ssh.ModeRaw, Identity: "/home/me/.ssh/router_ed25519"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	res, err := c.Exec(ctx, client.ExecRequest{Command: "uname -a"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.ExitCode, res.Stdout)
}
