package golang

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestMainPackageIsACommand: a module whose root is a library (litestream,
// caddy) or holds only a //go:build tools file (cfssl) is no command to
// build: go build -o would write a library archive as /app/<name> (an
// image that cannot start) or fail later. The error, at the manifest's
// line, names the module's commands.
func TestMainPackageIsACommand(t *testing.T) {
	t.Parallel()
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	module := func(root map[string]string) fstest.MapFS {
		fsys := fstest.MapFS{
			"go.mod":              f("module example.com/tool\n\ngo 1.26\n"),
			"cmd/tool/main.go":    f("package main\n\nfunc main() {}\n"),
			"cmd/tool-gen/gen.go": f("// Command tool-gen.\npackage main\n\nfunc main() {}\n"),
			"cmd/README.md":       f("commands\n"),
			"internal/x/x.go":     f("package x\n"),
		}
		for n, s := range root {
			fsys[n] = f(s)
		}
		return fsys
	}
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	for _, tc := range []struct {
		name, manifest string
		root           map[string]string
		want           string // "" when the plan builds
		wantName       string
	}{
		{name: "library root", manifest: "language: go\n",
			root: map[string]string{"db.go": "package tool\n", "db_test.go": "package main\n", "gen.go": "//go:build ignore\n\npackage main\n"},
			want: `distill.yaml:1:11: the module's root package "." is package tool, not a command (go build would write a library archive, not a program) (set main: to the package of the command to build, e.g. ./cmd/tool, ./cmd/tool-gen)`},
		{name: "tools file only", manifest: "language: go\n",
			root: map[string]string{"tools.go": "//go:build tools\n// +build tools\n\npackage tools\n\nimport _ \"example.com/gen\"\n"},
			want: `the module's root package "." has no Go files for Linux (set main: to the package of the command to build, e.g. ./cmd/tool, ./cmd/tool-gen)`},
		{name: "main names a library", manifest: "language: go\nmain: ./internal/x\n",
			want: `distill.yaml:2:7: main package "./internal/x" is package x, not a command`},
		{name: "main names a command", manifest: "language: go\nmain: ./cmd/tool-gen\n", wantName: "tool-gen"},
		{name: "command root", manifest: "language: go\n",
			root: map[string]string{"main.go": "package main\n\nfunc main() {}\n", "main_windows.go": "package main\n"}, wantName: "tool"},
		{name: "command root for linux", manifest: "language: go\n",
			root: map[string]string{"main_linux.go": "//go:build linux\n\npackage main\n\nfunc main() {}\n"}, wantName: "tool"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := manifest.Parse("distill.yaml", []byte(tc.manifest))
			if err != nil {
				t.Fatal(err)
			}
			proj, err := Provider{}.Prepare(context.Background(), providers.Request{Manifest: m, FS: contextfs.FS{FS: module(tc.root)},
				Platforms: []ocispecs.Platform{amd64}, BuildPlatform: amd64})
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Prepare: %v\nwant an error containing %s", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, err := proj.Build(amd64)
			if err != nil {
				t.Fatal(err)
			}
			if b.Name != tc.wantName {
				t.Errorf("binary %q, want %q", b.Name, tc.wantName)
			}
		})
	}
}

// TestSuggest: init's port comes from the app's code, not from a test's
// fixture (litestream's replica_url_test.go has "rook-ceph-rgw:8080"),
// and main: is suggested when the module's only command is under cmd/.
func TestSuggest(t *testing.T) {
	t.Parallel()
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	fsys := contextfs.FS{FS: fstest.MapFS{
		"go.mod":               f("module example.com/db\n\ngo 1.26\n"),
		"db.go":                f("package db\n"),
		"replica_url_test.go":  f("package db\n\nvar u = \"rook-ceph-rgw:8080\"\n"),
		"cmd/dbd/main.go":      f("package main\n\nfunc main() { serve(\":9090\") }\n"),
		"cmd/dbd/main_test.go": f("package main\n\nvar addr = \":7070\"\n"),
		"cmd/gen/gen.go":       f("//go:build ignore\n\npackage main\n"),
	}}
	s, err := Provider{}.Suggest(context.Background(), fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	if s.Port != 9090 || s.PortWhy != `":9090" in cmd/dbd/main.go` {
		t.Errorf("port %d (%s), want 9090 from cmd/dbd/main.go", s.Port, s.PortWhy)
	}
	if s.Main != "./cmd/dbd" {
		t.Errorf("main %q, want ./cmd/dbd", s.Main)
	}
}
