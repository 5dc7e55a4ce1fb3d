//go:build linux

package local

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPickShell(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, file string
		env        []string
		want       string
	}{
		{"zsh beats bash", write("a", "/bin/sh\n/usr/bin/bash\n/usr/bin/zsh\n"), nil, "/usr/bin/zsh"},
		{"bash", write("b", "# c\n/bin/sh\n/bin/bash\n"), nil, "/bin/bash"},
		{"comment ignored", write("c", "# /usr/bin/zsh\n/bin/bash\n"), nil, "/bin/bash"},
		{"$SHELL fallback", write("d", "/bin/sh\n"), []string{"SHELL=/my/shell"}, "/my/shell"},
		{"sh fallback", write("e", "/bin/dash\n"), nil, lookShell("sh")},
		{"unreadable", filepath.Join(dir, "missing"), []string{"SHELL=/my/shell"}, lookShell("sh")},
	}
	for _, tc := range tests {
		if got := pickShell(tc.file, tc.env); got != tc.want {
			t.Errorf("%s: pickShell = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestSessionShell(t *testing.T) {
	if p, bash := sessionShell("/bin/bash"); p != "/bin/bash" || !bash {
		t.Errorf("bash: %q %v", p, bash)
	}
	if p, bash := sessionShell("/bin/dash"); p != "/bin/dash" || bash {
		t.Errorf("dash: %q %v", p, bash)
	}
	if p, bash := sessionShell("sh"); !filepath.IsAbs(p) || bash {
		t.Errorf("sh by name must be resolved: %q %v", p, bash)
	}
	if p, bash := sessionShell("/usr/bin/zsh"); !bash || filepath.Base(p) != "bash" {
		t.Errorf("zsh must fall back to bash: %q %v", p, bash)
	}
}

func TestExtractCharts(t *testing.T) {
	line := `dtn_artifact_k39fd2:{"type":"chart","value":{"type":"bar","title":"T","elements":[{"label":"x","value":"3"}]}}`
	tests := []struct {
		in, out string
		charts  int
	}{
		{"plain\n", "plain\n", 0},
		{"a\n" + line + "\nb\n", "a\nb\n", 1},
		{line + "\n", "", 1},
		{"a\n" + line, "a", 1},
		{"dtn_artifact_k39fd2: {\"type\":\"other\",\"value\":{}}\nz\n", "z\n", 0},
		{"dtn_artifact_k39fd2:{bad json\nz", "z", 0},
		{"x dtn_artifact_k39fd2:{}\n", "x dtn_artifact_k39fd2:{}\n", 0},
	}
	for _, tc := range tests {
		out, charts := extractCharts(tc.in)
		if out != tc.out || len(charts) != tc.charts {
			t.Errorf("extractCharts(%q) = %q, %d charts; want %q, %d", tc.in, out, len(charts), tc.out, tc.charts)
		}
		if len(charts) == 1 && (charts[0].Type != "bar" || charts[0].Title != "T" || charts[0].Elements[0]["value"] != "3") {
			t.Errorf("chart %+v", charts[0])
		}
	}
}
