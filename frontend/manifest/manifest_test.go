package manifest

import (
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	t.Parallel()
	src := `# syntax=ghcr.io/distill-build/distill:1
language: go
main: ./cmd/server
entrypoint: ["server", "--listen", ":8080"]
include: [static/]
env:
  GIN_MODE: release
  RETRIES: 3
expose: [8080, "53/udp"]
cgo: false
platforms: [linux/amd64, linux/arm64]
`
	m, err := Parse("distill.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if m.Syntax != "ghcr.io/distill-build/distill:1" {
		t.Errorf("syntax = %q", m.Syntax)
	}
	if m.Language.Value != "go" || m.Language.Range.Start != (Pos{2, 11}) {
		t.Errorf("language = %+v", m.Language)
	}
	if got := strings.Join(m.Entrypoint.Values(), " "); got != "server --listen :8080" {
		t.Errorf("entrypoint = %q", got)
	}
	if len(m.Env.Vars) != 2 || m.Env.Vars[1].Value.Value != "3" {
		t.Errorf("env = %+v", m.Env)
	}
	if len(m.Expose.Items) != 2 || m.Expose.Items[1].String() != "53/udp" {
		t.Errorf("expose = %+v", m.Expose)
	}
	if !m.CGO.Set() || m.CGO.Value {
		t.Errorf("cgo = %+v", m.CGO)
	}
	if m.Version.Set() {
		t.Errorf("version should be unset")
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, src string
		want      []string // "line:col: substring" per error
	}{
		{"unknown key", "language: go\nentrypiont: [a]\n", []string{`2:1: unknown field "entrypiont" (did you mean "entrypoint"?)`}},
		{"shell string entrypoint", "language: go\nentrypoint: ./server --port 80\n", []string{`2:13: expected a list of strings, found the string "./server --port 80" (write it as a list: ["./server", "--port", "80"])`}},
		{"wrong type", "language: go\nexpose: 8080\n", []string{`2:9: expected a list of ports`}},
		{"bad port", "language: go\nexpose: [99999]\n", []string{`2:10: invalid port "99999"`}},
		{"bool", "language: go\ncgo: yes please\n", []string{`2:6: expected a boolean`}},
		{"duplicate", "language: go\nlanguage: go\n", []string{`2:1: field "language" is set twice`}},
		{"env list", "language: go\nenv: [A=b]\n", []string{`2:6: expected a mapping`}},
		{"syntax", "language: go\n  main: [\n", []string{`invalid YAML`}},
		{"two errors", "language: [go]\nfoo: 1\n", []string{`1:11: expected a string`, `2:1: unknown field "foo"`}},
		{"not a mapping", "- a\n", []string{`1:1: the manifest must be a mapping`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("distill.yaml", []byte(tc.src))
			if err == nil {
				t.Fatal("no error")
			}
			errs := Errors(err)
			if len(errs) != len(tc.want) {
				t.Fatalf("got %d errors, want %d: %v", len(errs), len(tc.want), err)
			}
			for i, e := range errs {
				if !strings.Contains(e.Error(), tc.want[i]) {
					t.Errorf("error %d = %q, want it to contain %q", i, e.Error(), tc.want[i])
				}
			}
		})
	}
}

func TestSchema(t *testing.T) {
	t.Parallel()
	s, err := Schema([]string{"go"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"entrypoint"`, `"additionalProperties": false`, `"enum": [`} {
		if !strings.Contains(string(s), want) {
			t.Errorf("schema lacks %s", want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("language: go\nentrypoint: [a]\nenv: {A: b}\nexpose: [1, \"2/udp\"]\n"))
	f.Add([]byte("# syntax=x\nlanguage: &a go\nmain: *a\n"))
	f.Add([]byte("language: go\ninclude: [[a]]\ncgo: true\n---\nx: 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse("distill.yaml", data)
		if err == nil && m == nil {
			t.Fatal("nil manifest without error")
		}
		for _, e := range Errors(err) {
			if e.Msg == "" {
				t.Fatalf("empty message in %v", err)
			}
		}
	})
}

func TestCheckDirective(t *testing.T) {
	m, err := Parse("distill.yaml", []byte("# syntax=ghcr.io/distill-build/distill:1\n# check=skip=UnpinnedImage, InlineCredentials;error=true\nlanguage: go\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c := m.Check; !c.Error || len(c.Skip) != 2 || c.Skip[1] != "InlineCredentials" || c.Range.Start.Line != 2 {
		t.Errorf("check = %+v", c)
	}
	_, err = Parse("distill.yaml", []byte("# check=fail=yes\nlanguage: go\n"))
	if err == nil || !strings.Contains(err.Error(), "distill.yaml:1:1: unknown check option") {
		t.Errorf("err = %v", err)
	}
	// Not a directive once the YAML has started.
	m, err = Parse("distill.yaml", []byte("language: go\n# check=error=true\n"))
	if err != nil || m.Check.Set() {
		t.Errorf("check = %+v, %v", m.Check, err)
	}
}

// TestParseSyntaxOnly: a manifest of only its syntax line (and comments)
// is valid: every field takes its default, the language is detected.
func TestParseSyntaxOnly(t *testing.T) {
	t.Parallel()
	for _, data := range []string{"# syntax=ghcr.io/distill-build/distill:1\n", "# syntax=ghcr.io/distill-build/distill:1\n# the app's image, zero-config\n", ""} {
		m, err := Parse("distill.yaml", []byte(data))
		if err != nil || m.Language.Set() || m.Language.Value != "" {
			t.Errorf("%q: %+v, %v", data, m, err)
		}
	}
}
