package cast_test

import (
	"fmt"
	"strings"

	"github.com/procsh/procsh/cast"
)

func ExampleReadAll() {
	file := `{"version": 2, "width": 80, "height": 24, "timestamp": 1700000000}
[0.10, "o", "$ "]
[1.25, "i", "ls\r"]
[1.30, "o", "ls\r\nREADME.md\r\n"]
[2.00, "r", "100x30"]
`
	h, events, err := cast.ReadAll(strings.NewReader(file))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%dx%d, %d events\n", h.Width, h.Height, len(events))
	for _, ev := range events {
		fmt.Printf("%.2f %s %q\n", ev.Time, ev.Type, ev.Data)
	}
	// Output:
	// 80x24, 4 events
	// 0.10 o "$ "
	// 1.25 i "ls\r"
	// 1.30 o "ls\r\nREADME.md\r\n"
	// 2.00 r "100x30"
}
