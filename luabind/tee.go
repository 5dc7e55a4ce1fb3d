package luabind

import (
	"bytes"
	"sync"

	lua "github.com/yuin/gopher-lua"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/luaargs"
)

// tee reads the tee option: false or nil (no tee), true (output goes to the
// host's stdout and stderr as it arrives), or a string prefix, which starts
// every line of this command's output so that the live output of commands
// running at once can be told apart ("web1 | compiling…").
func (h *Host) teeOpt(o *luaargs.Opts) func(client.Chunk) {
	switch v := o.Get("tee").(type) {
	case *lua.LNilType:
		return nil
	case lua.LBool:
		if v {
			return h.teeChunk
		}
		return nil
	case lua.LString:
		p := &prefixTee{h: h, prefix: []byte(string(v) + " | ")}
		p.start[0], p.start[1] = true, true
		return p.chunk
	default:
		o.Bad("tee", luaargs.TypeMsg("boolean or string (a line prefix)", v))
	}
	return nil
}

// prefixTee prefixes each line. Each stream keeps its own line state, and a
// chunk is written with one Write, so lines of concurrent commands do not
// interleave mid-line unless a command writes a partial line.
type prefixTee struct {
	h      *Host
	prefix []byte
	mu     sync.Mutex
	start  [2]bool // stdout, stderr: at the start of a line
}

func (p *prefixTee) chunk(c client.Chunk) {
	i := 0
	if c.Stream == client.Stderr {
		i = 1
	}
	p.mu.Lock()
	var out bytes.Buffer
	data := c.Data
	for len(data) > 0 {
		if p.start[i] {
			out.Write(p.prefix)
			p.start[i] = false
		}
		n := bytes.IndexByte(data, '\n')
		if n < 0 {
			out.Write(data)
			break
		}
		out.Write(data[:n+1])
		data = data[n+1:]
		p.start[i] = true
	}
	p.mu.Unlock()
	if i == 1 {
		_, _ = p.h.stderr.Write(out.Bytes())
		return
	}
	_, _ = p.h.stdout.Write(out.Bytes())
}
