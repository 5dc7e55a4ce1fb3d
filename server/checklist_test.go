package server

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/procsh/procsh/internal/proctable"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// check is one expectation on a reply.
type check func(t *testing.T, r reply)

func status(want int) check {
	return func(t *testing.T, r reply) {
		t.Helper()
		if r.status != want {
			t.Errorf("status %d, want %d (body %q)", r.status, want, r.body)
		}
	}
}

func field(key string, want any) check {
	return func(t *testing.T, r reply) {
		t.Helper()
		m := r.json(t)
		got, ok := m[key]
		if !ok {
			t.Errorf("no key %q in %s", key, r.body)
			return
		}
		if w, isInt := want.(int); isInt {
			want = float64(w)
		}
		if got != want {
			t.Errorf("%s = %#v, want %#v", key, got, want)
		}
	}
}

func fieldPrefix(key, prefix string) check {
	return func(t *testing.T, r reply) {
		t.Helper()
		s, _ := r.json(t)[key].(string)
		if !strings.HasPrefix(s, prefix) {
			t.Errorf("%s = %q, want prefix %q", key, s, prefix)
		}
	}
}

func noKey(key string) check {
	return func(t *testing.T, r reply) {
		t.Helper()
		if _, ok := r.json(t)[key]; ok {
			t.Errorf("unexpected key %q in %s", key, r.body)
		}
	}
}

func emptyBody() check {
	return func(t *testing.T, r reply) {
		t.Helper()
		if len(r.body) != 0 {
			t.Errorf("body %q, want empty", r.body)
		}
	}
}

func bodyIs(want string) check {
	return func(t *testing.T, r reply) {
		t.Helper()
		if string(r.body) != want {
			t.Errorf("body %q, want %q", r.body, want)
		}
	}
}

// e1 checks the exact key set of the standard error shape (item 16).
func e1(code, msg string) check {
	return func(t *testing.T, r reply) {
		t.Helper()
		m := r.json(t)
		keys := []string{"statusCode", "message", "code", "timestamp", "path", "method"}
		if len(m) != len(keys) {
			t.Errorf("E1 body has keys %v, want exactly %v", m, keys)
		}
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				t.Errorf("E1 body lacks %q: %s", k, r.body)
			}
		}
		if m["code"] != code {
			t.Errorf("code %v, want %s", m["code"], code)
		}
		if s, _ := m["message"].(string); !strings.HasPrefix(s, msg) {
			t.Errorf("message %q, want prefix %q", s, msg)
		}
		if ts, _ := m["timestamp"].(string); ts == "" {
			t.Error("empty timestamp")
		} else if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
			t.Errorf("timestamp %q: %v", ts, err)
		}
		if int(m["statusCode"].(float64)) != r.status {
			t.Errorf("statusCode %v != HTTP status %d", m["statusCode"], r.status)
		}
	}
}

type reqCase struct {
	name         string
	method, path string
	body         string
	hdr          map[string]string
	checks       []check
}

func runCases(t *testing.T, h *harness, cases []reqCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.do(c.method, c.path, c.body, c.hdr)
			for _, ck := range c.checks {
				ck(t, r)
			}
		})
	}
}

// Checklist items 1–23 (execute and code-run) and 16, 83.
func TestChecklistExecute(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const X = "/process/execute"
	cases := []reqCase{
		{"01 exit 3", "POST", X, `{"command":"exit 3"}`, nil, []check{status(200), field("exitCode", 3), field("result", "")}},
		{"02 combined", "POST", X, `{"command":"echo a; sleep 0.05; echo b >&2"}`, nil, []check{status(200), field("result", "a\nb\n")}},
		{"03 empty command", "POST", X, `{"command":""}`, nil, []check{status(400), e1("BAD_REQUEST", "bad request: invalid request body:")}},
		{"04 blank command", "POST", X, `{"command":"   "}`, nil, []check{status(400), e1("BAD_REQUEST", "bad request: command cannot be empty or whitespace-only")}},
		{"05 no body", "POST", X, ``, nil, []check{status(400), field("message", "bad request: invalid request body: EOF")}},
		{"06 negative timeout", "POST", X, `{"command":"echo","timeout":-1}`, nil, []check{status(400), e1("BAD_REQUEST", "bad request: invalid request body:")}},
		{"09 no default timeout", "POST", X, `{"command":"sleep 2"}`, nil, []check{status(200), field("exitCode", 0)}},
		{"10 cwd", "POST", X, `{"command":"pwd","cwd":"/tmp"}`, nil, []check{status(200), field("result", "/tmp\n")}},
		{"11 bad cwd", "POST", X, `{"command":"pwd","cwd":"/nonexistent/dir"}`, nil, []check{status(200), field("exitCode", -1), func(t *testing.T, r reply) {
			if r.json(t)["result"] == "" {
				t.Error("empty result for a start failure")
			}
		}}},
		{"12 env", "POST", X, `{"command":"echo $FOO","envs":{"FOO":"bar baz"}}`, nil, []check{status(200), field("result", "bar baz\n")}},
		{"13 env 1BAD", "POST", X, `{"command":"echo","envs":{"1BAD":"x"}}`, nil, []check{status(400), e1("BAD_REQUEST", "bad request: invalid environment variable name: '1BAD'")}},
		{"13 env A-B", "POST", X, `{"command":"echo","envs":{"A-B":"x"}}`, nil, []check{status(400), e1("BAD_REQUEST", "bad request: invalid environment variable name: 'A-B'")}},
		{"13 env _x9", "POST", X, `{"command":"echo $_x9","envs":{"_x9":"ok"}}`, nil, []check{status(200), field("result", "ok\n")}},
		{"14 kill -9", "POST", X, `{"command":"kill -9 $$"}`, nil, []check{status(200), field("exitCode", -1)}},
		// Divergence (doc.go): the script is not read from stdin, so `read`
		// gets EOF instead of eating the next line.
		{"15 read in script", "POST", X, `{"command":"read x\necho got:$x\necho after"}`, nil, []check{status(200), field("result", "got:\nafter\n")}},
		{"16 wrong type", "POST", X, `{"command":5}`, nil, []check{status(400), e1("BAD_REQUEST", "bad request: invalid request body: json")}},
		{"16 path/method", "POST", X, `{"command":""}`, nil, []check{field("path", X), field("method", "POST")}},
		{"unknown fields ignored", "POST", X, `{"command":"echo ok","bogus":{"x":1}}`, nil, []check{status(200), field("result", "ok\n")}},
		{"malformed JSON", "POST", X, `{"command":`, nil, []check{status(400), e1("BAD_REQUEST", "bad request: invalid request body:")}},
	}
	const C = "/process/code-run"
	cases = append(cases, []reqCase{
		{"17 print", "POST", C, `{"code":"print(1)","language":"python"}`, nil, []check{status(200), field("exitCode", 0), field("result", "1\n"), noKey("artifacts")}},
		{"18 python argv", "POST", C, `{"code":"import sys; print(sys.argv)","language":"python","argv":["a","b"]}`, nil, []check{status(200), field("result", "['-', 'a', 'b']\n")}},
		{"18 argv not re-split", "POST", C, `{"code":"import sys; print(sys.argv)","language":"python","argv":["x y"]}`, nil, []check{status(200), field("result", "['-', 'x y']\n")}},
		{"19 js argv", "POST", C, `{"code":"console.log(process.argv.slice(1))","language":"javascript","argv":["a","b"]}`, nil, []check{status(200), field("result", "[ 'a', 'b' ]\n")}},
		{"20 ruby", "POST", C, `{"code":"p 1","language":"ruby"}`, nil, []check{status(400), e1("BAD_REQUEST", "bad request: unsupported language: ruby")}},
		{"21 no language", "POST", C, `{"code":"print(1)"}`, nil, []check{status(400), e1("INVALID_REQUEST_BODY", "invalid body request:")}},
		{"21 no code", "POST", C, `{"language":"python"}`, nil, []check{status(400), e1("INVALID_REQUEST_BODY", "invalid body request:")}},
		{"22 artifact", "POST", C, `{"code":"print('x')\nprint('dtn_artifact_k39fd2:{\"type\":\"chart\",\"value\":{\"type\":\"line\",\"elements\":[]}}')","language":"python"}`, nil, []check{status(200), field("result", "x\n"), func(t *testing.T, r reply) {
			var m struct {
				Artifacts struct {
					Charts []map[string]any `json:"charts"`
				} `json:"artifacts"`
			}
			_ = json.Unmarshal(r.body, &m)
			if len(m.Artifacts.Charts) != 1 || m.Artifacts.Charts[0]["type"] != "line" {
				t.Errorf("charts = %+v", m.Artifacts.Charts)
			}
		}}},
		{"23 sys.exit(2)", "POST", C, `{"code":"import sys; sys.exit(2)","language":"python"}`, nil, []check{status(200), field("exitCode", 2)}},
	}...)
	runCases(t, h, cases)

	t.Run("07 timeout 408", func(t *testing.T) {
		start := time.Now()
		r := h.do("POST", X, `{"command":"sleep 5","timeout":1}`, nil)
		e1("REQUEST_TIMEOUT", "request timeout: command execution timeout")(t, r)
		status(408)(t, r)
		if d := time.Since(start); d > 4*time.Second {
			t.Errorf("took %v", d)
		}
	})
	t.Run("08 timeout kills group", func(t *testing.T) {
		h.do("POST", X, `{"command":"sleep 30.123 & sleep 30.123","timeout":1}`, nil)
		time.Sleep(300 * time.Millisecond)
		if n := countProcs(t, "sleep 30.123"); n != 0 {
			t.Errorf("%d sleep processes survive the timeout", n)
		}
	})
	t.Run("83 X-Request-Id", func(t *testing.T) {
		r := h.do("POST", X, `{"command":"true"}`, nil)
		if !uuidRE.MatchString(r.header.Get("X-Request-Id")) {
			t.Errorf("X-Request-Id %q", r.header.Get("X-Request-Id"))
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
	})
}

// countProcs counts live processes whose command line is exactly cmdline
// (arguments separated by single spaces).
func countProcs(t *testing.T, cmdline string) int {
	t.Helper()
	pids, err := proctable.WithCmdline(strings.Fields(cmdline)...)
	if err != nil {
		t.Fatal(err)
	}
	return len(pids)
}
