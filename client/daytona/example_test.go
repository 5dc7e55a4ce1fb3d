package daytona_test

import (
	"context"
	"fmt"
	"log"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/client/daytona"
)

// Create a sandbox, run a command in it through its toolbox, delete it.
// The API key and URL default to DAYTONA_API_KEY and DAYTONA_API_URL.
func Example() {
	ctx := context.Background()
	d, err := daytona.New(daytona.Options{})
	if err != nil {
		log.Fatal(err)
	}
	sb, err := d.Create(ctx, map[string]any{"snapshot": "python", "labels": map[string]string{"job": "ci"}})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Delete(ctx, sb.ID)
	p, err := d.ConnectSandbox(ctx, sb)
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	res, err := p.Exec(ctx, client.ExecRequest{Command: "python3 --version"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(sb.ID, ": ", res.Result)
}
