package luatest

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// reporter writes results as they come (Text, TAP) or at the end (JUnit).
type reporter struct {
	cfg Config
	w   io.Writer
	n   int
}

func newReporter(cfg Config) *reporter {
	r := &reporter{cfg: cfg, w: cfg.Stdout}
	if cfg.Format == TAP {
		fmt.Fprintln(r.w, "TAP version 13")
	}
	return r
}

func (r *reporter) result(res Result) {
	r.n++
	switch r.cfg.Format {
	case Text:
		switch res.Status {
		case Pass:
			fmt.Fprintf(r.w, "ok      %s: %s (%s)\n", res.File, res.Name(), round(res.Duration))
		case Pending:
			fmt.Fprintf(r.w, "pending %s: %s\n", res.File, res.Name())
		default:
			fmt.Fprintf(r.w, "FAIL    %s: %s (%s)\n", res.File, res.Name(), round(res.Duration))
			for _, line := range strings.Split(strings.TrimRight(res.Message, "\n"), "\n") {
				fmt.Fprintf(r.w, "        %s\n", line)
			}
		}
	case TAP:
		for _, line := range splitLines(res.Output) {
			fmt.Fprintf(r.w, "# %s\n", line)
		}
		switch res.Status {
		case Pass:
			fmt.Fprintf(r.w, "ok %d - %s\n", r.n, tapName(res.Name()))
		case Pending:
			fmt.Fprintf(r.w, "ok %d - %s # SKIP pending\n", r.n, tapName(res.Name()))
		default:
			fmt.Fprintf(r.w, "not ok %d - %s\n", r.n, tapName(res.Name()))
			fmt.Fprintf(r.w, "  ---\n  file: %s\n  message: |\n", yamlScalar(res.File))
			for _, line := range splitLines(res.Message) {
				fmt.Fprintf(r.w, "    %s\n", line)
			}
			fmt.Fprintln(r.w, "  ...")
		}
	}
}

func (r *reporter) finish(sum *Summary) {
	switch r.cfg.Format {
	case Text:
		fmt.Fprintf(r.w, "\n%d passed, %d failed, %d pending (%s)\n", sum.Passed, sum.Failed, sum.Pending, round(sum.Duration))
	case TAP:
		fmt.Fprintf(r.w, "1..%d\n", r.n)
	case JUnit:
		writeJUnit(r.w, sum)
	}
}

func round(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return d.Round(time.Microsecond)
	}
	return d.Round(time.Millisecond)
}

func splitLines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// tapName keeps a test name on one line and out of TAP's directive syntax.
func tapName(s string) string {
	s = strings.NewReplacer("\n", " ", "\r", " ", "#", "\\#").Replace(s)
	return s
}

func yamlScalar(s string) string {
	return fmt.Sprintf("%q", s)
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *struct{}     `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

func writeJUnit(w io.Writer, sum *Summary) {
	out := junitSuites{Tests: len(sum.Results), Failures: sum.Failed, Skipped: sum.Pending, Time: secs(sum.Duration)}
	idx := map[string]int{}
	var durs []time.Duration
	for _, r := range sum.Results {
		i, ok := idx[r.File]
		if !ok {
			i = len(out.Suites)
			idx[r.File] = i
			out.Suites = append(out.Suites, junitSuite{Name: r.File})
			durs = append(durs, 0)
		}
		s := &out.Suites[i]
		durs[i] += r.Duration
		c := junitCase{Name: r.Name(), Classname: r.File, Time: secs(r.Duration), SystemOut: r.Output}
		s.Tests++
		switch r.Status {
		case Fail:
			s.Failures++
			first, _, _ := strings.Cut(r.Message, "\n")
			c.Failure = &junitFailure{Message: first, Text: r.Message}
		case Pending:
			s.Skipped++
			c.Skipped = &struct{}{}
		}
		s.Cases = append(s.Cases, c)
	}
	for i := range out.Suites {
		out.Suites[i].Time = secs(durs[i])
	}
	fmt.Fprint(w, xml.Header)
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	_ = enc.Encode(out)
	fmt.Fprintln(w)
}
