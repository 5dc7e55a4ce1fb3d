package luadiff

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/luabind"
)

// RunProcsh runs src as the script name in a fresh procsh host over
// backend, as procsh runs a script file, and returns what it printed and
// the message of the error it ended with. A failure of the host itself
// (rather than of the script) is returned as err.
func RunProcsh(backend client.Client, name, src string) (Result, error) {
	var out bytes.Buffer
	h, err := luabind.New(backend, luabind.WithStdout(&out), luabind.WithStderr(&out))
	if err != nil {
		return Result{}, err
	}
	defer h.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = h.RunString(ctx, name, src)
	res := Result{Stdout: out.String()}
	var se *luabind.ScriptError
	if errors.As(err, &se) {
		res.Error = se.Message
	} else if err != nil {
		return res, err
	}
	return res, nil
}
