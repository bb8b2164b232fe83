package resolve

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers/golang"
)

// fakeImages has the files of a distroless base: static has no libc.
type fakeImages map[string][]string

func (f fakeImages) Exists(_ context.Context, ref, _, p string) (bool, error) {
	for prefix, files := range f {
		if strings.Contains(ref, prefix) {
			for _, g := range files {
				if g == p {
					return true, nil
				}
			}
		}
	}
	return false, nil
}

var distroless = fakeImages{
	"static-debian13":  {"/etc/passwd"},
	"base-debian13":    {"/etc/passwd", "/lib/x86_64-linux-gnu/libc.so.6"},
	"nodejs24":         {"/nodejs/bin/node", "/lib/x86_64-linux-gnu/libc.so.6"},
	"python3-debian13": {"/usr/bin/python3", "/lib/x86_64-linux-gnu/libc.so.6"},
}

// TestCheckRules: every rule fires on the manifest that breaks it, at the
// line that causes it, and a clean locked project has no finding.
func TestCheckRules(t *testing.T) {
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	gomod := f("module example.com/hello\n\ngo 1.26\n")
	hello := f("package main\nfunc main() {}\n")
	cgo := f("package main\n// #include <stdio.h>\nimport \"C\"\nfunc main() {}\n")
	tests := []struct {
		name     string
		fs       fstest.MapFS
		manifest string
		locked   bool
		want     []string // rule@line
	}{
		{"locked go app", fstest.MapFS{"go.mod": gomod, "main.go": hello}, "language: go\n", true, nil},
		{"unpinned", fstest.MapFS{"go.mod": gomod, "main.go": hello}, "language: go\n", false, []string{"UnpinnedImage@1", "UnpinnedImage@1"}},
		{"runtime packages not pinned", fstest.MapFS{"go.mod": gomod, "main.go": hello}, "language: go\nruntime-packages: [jq]\n", true, []string{"UnpinnedPackages@2"}},
		{"inline credentials", fstest.MapFS{"go.mod": gomod, "main.go": hello},
			"language: go\nenv:\n  API_TOKEN: abc123\n  DATABASE_URL: postgres://app:hunter2@db/app\n  LOG_LEVEL: info\n  TOKEN_FILE: /run/secrets/token\n", true,
			[]string{"InlineCredentials@3", "InlineCredentials@4"}},
		{"cgo on a static image ref", fstest.MapFS{"go.mod": gomod, "main.go": cgo}, "language: go\nbase: gcr.io/distroless/static-debian13:nonroot\n", true,
			[]string{"CgoOnStaticBase@2"}},
		{"entrypoint names nothing", fstest.MapFS{"go.mod": gomod, "main.go": hello}, "language: go\nentrypoint: [/app/server]\n", true,
			[]string{"EntrypointNotFound@2"}},
		{"node script not in the context", fstest.MapFS{"package.json": f(`{"name":"a","version":"1.0.0"}`), "package-lock.json": f(`{"lockfileVersion":3,"packages":{"":{}}}`), "index.js": f("")},
			"language: node\nentrypoint: [node, server.js]\n", true, []string{"EntrypointNotFound@2"}},
		{"builder of another Debian release", fstest.MapFS{"go.mod": gomod, "main.go": hello}, "language: go\nbuilder: golang:1.26-bookworm\n", true,
			[]string{"VersionMismatch@2"}},
		{"requirements not pinned", fstest.MapFS{"requirements.txt": f("flask>=3\nrequests==2.32.3\n"), "app.py": f("")},
			"language: python\nentrypoint: [python, app.py]\n", true, []string{"DependenciesWithoutLock@1"}},
		{"pyproject without a lock", fstest.MapFS{"pyproject.toml": f("[project]\nname = \"x\"\nversion = \"1\"\ndependencies = [\"flask\"]\n"), "app.py": f("")},
			"language: python\ndependencies: pyproject.toml\nentrypoint: [python, app.py]\n", true, []string{"DependenciesWithoutLock@2"}},
		{"package.json without a lock", fstest.MapFS{"package.json": f(`{"name":"a","version":"1.0.0","dependencies":{"express":"^4"}}`), "index.js": f("")},
			"language: node\n", true, []string{"DependenciesWithoutLock@1"}},
		{"go.mod without go.sum", fstest.MapFS{"go.mod": f("module example.com/x\n\ngo 1.26\n\nrequire golang.org/x/text v0.3.0\n"), "main.go": hello}, "language: go\n", true,
			[]string{"DependenciesWithoutLock@1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := manifest.Parse("distill.yaml", []byte(tt.manifest))
			if err != nil {
				t.Fatal(err)
			}
			fsys := contextfs.FS{FS: tt.fs}
			p, provider, err := Checked(context.Background(), m, fsys, Options{BuildPlatform: amd64})
			if err != nil {
				t.Fatal(err)
			}
			got, err := check.Run(context.Background(), check.Input{
				Manifest: m, Plan: p, Provider: provider, Images: distroless,
				Context: func(ctx context.Context, name string) (bool, error) {
					_, err := fsys.Stat(ctx, name)
					return err == nil, nil
				},
				Locked: func(string, string) bool { return tt.locked },
			})
			if err != nil {
				t.Fatal(err)
			}
			var rules []string
			for _, f := range got {
				rules = append(rules, f.Rule.Name+"@"+itoa(f.Range.Start.Line))
				if f.Msg == "" || f.Hint == "" {
					t.Errorf("%s: finding without message or hint: %+v", tt.name, f)
				}
			}
			if strings.Join(rules, " ") != strings.Join(tt.want, " ") {
				t.Errorf("findings = %v, want %v\n%+v", rules, tt.want, got)
			}
		})
	}
}

// TestRuleErrors: what cannot be built at all is an error, which check
// reports as its rule: cgo on base: static, a builder of another version.
func TestRuleErrors(t *testing.T) {
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	node := fstest.MapFS{"package.json": f(`{"name":"a","version":"1.0.0"}`), "package-lock.json": f(`{"lockfileVersion":3,"packages":{"":{}}}`), "index.js": f("")}
	cgo := fstest.MapFS{"go.mod": f("module x\n\ngo 1.26\n"), "main.go": f("package main\nimport \"C\"\nfunc main() {}\n")}
	py := fstest.MapFS{"requirements.txt": f("flask==3.0.0\n"), "app.py": f("")}
	for _, tt := range []struct {
		fs       fstest.MapFS
		manifest string
		rule     check.Rule
		line     int
	}{
		{cgo, "language: go\nbase: static\n", golang.CgoOnStaticBase, 2},
		{node, "language: node\nversion: \"24\"\nbuilder: node:22-trixie-slim\n", check.VersionMismatch, 3},
		{node, "language: node\nbuilder: node:24-bookworm-slim\n", check.VersionMismatch, 2},
		{py, "language: python\nversion: \"3.13\"\nbuilder: python:3.12-slim-trixie\nentrypoint: [python, app.py]\n", check.VersionMismatch, 3},
	} {
		m, err := manifest.Parse("distill.yaml", []byte(tt.manifest))
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = Checked(context.Background(), m, contextfs.FS{FS: tt.fs}, Options{BuildPlatform: amd64})
		errs := manifest.Errors(err)
		if len(errs) != 1 || errs[0].Rule != tt.rule.Name || errs[0].Range.Start.Line != tt.line {
			t.Errorf("%q: err = %v, want rule %s at line %d", tt.manifest, err, tt.rule.Name, tt.line)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
