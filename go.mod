module github.com/procsh/procsh

go 1.26.8

require (
	github.com/chzyer/readline v1.5.1
	github.com/creack/pty v1.1.24
	github.com/gorilla/websocket v1.5.3
	github.com/kevinburke/ssh_config v1.6.0
	github.com/yuin/gopher-lua v1.1.2
	golang.org/x/crypto v0.59.0
	golang.org/x/sys v0.50.0
	layeh.com/gopher-json v0.0.0-20201124131017-552bb3c4c3bf
	layeh.com/gopher-luar v1.0.11
)
