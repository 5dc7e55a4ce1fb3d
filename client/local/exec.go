//go:build linux

package local

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/procsh/procsh/client"
	"github.com/procsh/procsh/internal/ids"
)

// Exec implements client.Client.
//
// The script is written to a private (0600) temporary file and run as
// `<shell> <file>` with stdin from /dev/null. This keeps the toolbox's
// properties (no -c, so no ARG_MAX limit; the shell chosen as docs/protocol.md §2 says;
// its own process group) but not its quirk: a `read` in the script gets EOF
// instead of swallowing the next script line, which is what someone reading
// the script expects. $0 in the script is the temporary file's path.
func (b *Backend) Exec(ctx context.Context, req client.ExecRequest) (*client.ExecResult, error) {
	const op = "exec"
	if err := b.checkOpen(op); err != nil {
		return nil, err
	}
	if err := checkCommand(op, req.Command); err != nil {
		return nil, err
	}
	if err := client.CheckEnv(op, req.Env); err != nil {
		return nil, err
	}
	if req.Timeout < 0 {
		return nil, client.Errorf(op, client.ErrInvalidArgument, "negative timeout")
	}
	dir := b.resolveDir(req.Cwd)
	if err := checkDir(op, dir); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(b.tmp, tempPattern("exec", ".sh"))
	if err != nil {
		return nil, &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "script file", Err: err}
	}
	defer os.Remove(f.Name())
	_, err = f.WriteString(req.Command)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "script file", Err: err}
	}
	return b.run(ctx, runSpec{
		op:        op,
		argv:      []string{b.shell, f.Name()},
		dir:       dir,
		env:       mergeEnv(b.baseEnv(), req.Env),
		timeout:   req.Timeout,
		onOutput:  req.OnOutput,
		marker:    "PROCSH_EXEC=" + ids.UUID(),
		maxOutput: req.MaxOutput,
		merge:     req.Merge,
		detach:    req.Detach || req.KeepBackground,
		owned:     !req.Detach,
	})
}

// checkDir fails with ErrInvalidArgument unless dir ("" = the current
// directory) is a directory.
func checkDir(op, dir string) error {
	if dir == "" {
		return nil
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return client.Errorf(op, client.ErrInvalidArgument, "working directory %q is not a directory", dir)
	}
	return nil
}

// resolveDir applies the default working directory and resolves a
// relative cwd against it.
func (b *Backend) resolveDir(cwd string) string {
	if cwd == "" {
		return b.opts.dir
	}
	if !filepath.IsAbs(cwd) && b.opts.dir != "" {
		return filepath.Join(b.opts.dir, cwd)
	}
	return cwd
}

// baseEnv is the environment every child starts from.
func (b *Backend) baseEnv() []string {
	if b.opts.env != nil {
		return b.opts.env
	}
	return os.Environ()
}

// jsArgvPreload makes process.argv [node, ...args] as the toolbox does,
// without editing the user's code (so line numbers and "use strict" stay).
const jsArgvPreload = "process.argv.splice(1, 1);\n"

// pyFileAsStdin runs the file in sys.argv[1] as if it had come on stdin
// (`python3 -`): sys.argv[0] is "-", tracebacks name "<stdin>", the code
// runs in __main__ and none of these names is left in it. It is used when
// stdin carries the caller's input instead of the code.
const pyFileAsStdin = `import sys
sys.argv[0] = "-"
with open(sys.argv.pop(1), "rb") as __f:
    __c = compile(__f.read(), "<stdin>", "exec")
del sys, __f
exec(globals().pop("__c"))
`

// CodeRun implements client.Client.
//
// Programs run directly, not through a shell, so argv elements arrive
// exactly as given (["x y","--z"] is two arguments). Python runs as
// `python3 -u -` with the code on stdin, so sys.argv[0] is "-" as on Daytona
// and input() reads EOF (or req.Stdin, when set: the code then comes from a
// private file, run as if from stdin). JavaScript runs as `node -` with the code on stdin
// and a preload that makes process.argv [node, ...args]. TypeScript needs
// tsx, ts-node, or node >= 22.6 (--experimental-strip-types); without one the
// call fails with ErrUnsupported naming what is missing.
func (b *Backend) CodeRun(ctx context.Context, req client.CodeRunRequest) (*client.ExecResult, error) {
	const op = "code run"
	if err := b.checkOpen(op); err != nil {
		return nil, err
	}
	if err := client.CheckEnv(op, req.Env); err != nil {
		return nil, err
	}
	if req.Timeout < 0 {
		return nil, client.Errorf(op, client.ErrInvalidArgument, "negative timeout")
	}
	lang := req.Language
	if lang == "" {
		lang = client.Python
	}
	spec := runSpec{
		op:        op,
		dir:       b.opts.dir,
		env:       mergeEnv(b.baseEnv(), req.Env),
		timeout:   req.Timeout,
		onOutput:  req.OnOutput,
		marker:    "PROCSH_EXEC=" + ids.UUID(),
		maxOutput: req.MaxOutput,
		merge:     req.Merge,
		owned:     true,
	}
	if req.Stdin != "" {
		// The code cannot travel on stdin as well: it goes in a file.
		spec.stdin = strings.NewReader(req.Stdin)
	}
	switch lang {
	case client.Python:
		if req.Stdin == "" {
			spec.argv = append([]string{"python3", "-u", "-"}, req.Argv...)
			spec.stdin = strings.NewReader(req.Code)
			break
		}
		dir, err := os.MkdirTemp(b.tmp, tempPattern("code", ""))
		if err != nil {
			return nil, &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "temp dir", Err: err}
		}
		defer os.RemoveAll(dir)
		src := filepath.Join(dir, "main.py")
		if err := os.WriteFile(src, []byte(req.Code), 0o600); err != nil {
			return nil, &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "source file", Err: err}
		}
		spec.argv = append([]string{"python3", "-u", "-c", pyFileAsStdin, src}, req.Argv...)
	case client.JavaScript, client.TypeScript:
		dir, err := os.MkdirTemp(b.tmp, tempPattern("code", ""))
		if err != nil {
			return nil, &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "temp dir", Err: err}
		}
		defer os.RemoveAll(dir)
		if lang == client.JavaScript {
			pre := filepath.Join(dir, "argv.js")
			if err := os.WriteFile(pre, []byte(jsArgvPreload), 0o600); err != nil {
				return nil, &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "preload", Err: err}
			}
			if req.Stdin == "" {
				spec.argv = append([]string{"node", "-r", pre, "-"}, req.Argv...)
				spec.stdin = strings.NewReader(req.Code)
				break
			}
			// The preload's splice drops the file name as it drops "-".
			src := filepath.Join(dir, "main.js")
			if err := os.WriteFile(src, []byte(req.Code), 0o600); err != nil {
				return nil, &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "source file", Err: err}
			}
			spec.argv = append([]string{"node", "-r", pre, src}, req.Argv...)
			break
		}
		runner, err := tsRunner()
		if err != nil {
			return nil, &client.Error{Op: op, Kind: client.ErrUnsupported, Msg: err.Error()}
		}
		src := filepath.Join(dir, "main.ts")
		// Same argv fix as the toolbox, on the first line so that line
		// numbers in stack traces stay right.
		if err := os.WriteFile(src, []byte(jsArgvPreload[:len(jsArgvPreload)-1]+req.Code), 0o600); err != nil {
			return nil, &client.Error{Op: op, Kind: client.ErrUnavailable, Msg: "source file", Err: err}
		}
		spec.argv = append(append(runner, src), req.Argv...)
	default:
		return nil, client.Errorf(op, client.ErrInvalidArgument, "unsupported language: %s", req.Language)
	}
	res, err := b.run(ctx, spec)
	if res != nil {
		res.Result, res.Artifacts.Charts = extractCharts(res.Result)
		res.Stdout, _ = extractCharts(res.Stdout)
		res.Artifacts.Stdout = res.Result
	}
	return res, err
}

// tsRunner finds a TypeScript runner.
func tsRunner() ([]string, error) {
	if p, err := exec.LookPath("tsx"); err == nil {
		return []string{p}, nil
	}
	if p, err := exec.LookPath("ts-node"); err == nil {
		return []string{p, "-T", "-O", `{"module":"CommonJS"}`}, nil
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("typescript needs tsx, ts-node, or node >= 22.6; none is installed")
	}
	out, err := exec.Command(node, "--version").Output()
	if err == nil {
		if m := regexp.MustCompile(`^v(\d+)\.(\d+)`).FindStringSubmatch(strings.TrimSpace(string(out))); m != nil {
			major, _ := strconv.Atoi(m[1])
			minor, _ := strconv.Atoi(m[2])
			if major > 22 || major == 22 && minor >= 6 {
				return []string{node, "--experimental-strip-types", "--no-warnings"}, nil
			}
		}
	}
	return nil, fmt.Errorf("typescript needs tsx, ts-node, or node >= 22.6 (found node %s)", strings.TrimSpace(string(out)))
}

// chartPrefix starts a chart artifact line (docs/protocol.md §4).
const chartPrefix = "dtn_artifact_k39fd2:"

// extractCharts removes artifact lines from out and parses their charts.
// Lines that do not parse, or are not charts, are dropped silently, as on
// Daytona. Output without artifact lines is returned unchanged.
func extractCharts(out string) (string, []client.Chart) {
	if !strings.Contains(out, chartPrefix) {
		return out, nil
	}
	var charts []client.Chart
	var kept []string
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, chartPrefix) {
			kept = append(kept, line)
			continue
		}
		var art struct {
			Type  string          `json:"type"`
			Value json.RawMessage `json:"value"`
		}
		if json.Unmarshal([]byte(strings.TrimSpace(line[len(chartPrefix):])), &art) != nil || art.Type != "chart" {
			continue
		}
		var ch client.Chart
		if json.Unmarshal(art.Value, &ch) != nil {
			continue
		}
		if ch.Elements == nil {
			ch.Elements = []map[string]any{}
		}
		charts = append(charts, ch)
	}
	return strings.Join(kept, "\n"), charts
}
