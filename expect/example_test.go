package expect_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/procsh/procsh/expect"
)

func Example() {
	// Any io.ReadWriter works: a PTY handle, a pipe, a connection. Here a
	// canned transcript stands in for a program.
	out := strings.NewReader("Login: \x1b[1mPassword:\x1b[0m ok\r\n$ ")
	e := expect.NewReader(out, io.Discard, expect.WithStripANSI(), expect.WithTimeout(time.Second))
	defer e.Close()
	ctx := context.Background()

	res, _ := e.Expect(ctx, expect.Literal("Password:"), expect.Regexp(`\$ `))
	fmt.Printf("pattern %d after %q\n", res.Index, res.Before)
	_ = e.SendLine("secret")

	res, _ = e.Expect(ctx, expect.Regexp(`(\w+)\r\n`), expect.EOF, expect.Timeout(time.Second))
	fmt.Printf("pattern %d, group %q\n", res.Index, res.Groups[0])

	res, _ = e.Expect(ctx, expect.Literal("never"), expect.EOF)
	fmt.Printf("pattern %d, EOF %v, rest %q\n", res.Index, res.EOF, res.Before)
	// Output:
	// pattern 0 after "Login: "
	// pattern 0, group "ok"
	// pattern 1, EOF true, rest "$ "
}
