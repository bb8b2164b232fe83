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

// workspaceFS is a go.work with three modules: the app imports lib
// (without requiring it), lib's go.mod replaces a module with a
// directory that is not in go.work, and other is used by nothing the app
// builds.
func workspaceFS() fstest.MapFS {
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	return fstest.MapFS{
		"go.work":                     f("go 1.26\n\nuse (\n\t./app\n\t./lib\n\t./other\n)\n"),
		"app/go.mod":                  f("module example.com/app\n\ngo 1.26\n"),
		"app/main.go":                 f("package main\n\nimport \"example.com/lib/greet\"\n\nfunc main() { greet.Hello() }\n"),
		"app/distill.yaml":            f("language: go\n"),
		"lib/go.mod":                  f("module example.com/lib\n\ngo 1.26\n\nrequire example.com/vendored v0.0.0\n\nreplace example.com/vendored => ../third_party/vendored\n"),
		"lib/greet/greet.go":          f("package greet\n\nimport _ \"example.com/vendored\"\n\nfunc Hello() {}\n"),
		"third_party/vendored/go.mod": f("module example.com/vendored\n\ngo 1.26\n"),
		"third_party/vendored/v.go":   f("package vendored\n\n// int one(void) { return 1; }\nimport \"C\"\n"),
		"other/go.mod":                f("module example.com/other\n\ngo 1.26\n"),
		"other/other.go":              f("package other\n"),
	}
}

func TestWorkspace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fsys := contextfs.FS{FS: workspaceFS()}
	m, err := manifest.Parse("app/distill.yaml", []byte("language: go\n"))
	if err != nil {
		t.Fatal(err)
	}
	root, err := providers.FindWorkspace(ctx, fsys, nil, "app", workspace)
	if err != nil || root != "." {
		t.Fatalf("FindWorkspace = %q, %v; want the context's root", root, err)
	}
	m.Member = "app"
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	proj, err := Provider{}.Prepare(ctx, providers.Request{Manifest: m, FS: fsys, Platforms: []ocispecs.Platform{amd64}, BuildPlatform: amd64})
	if err != nil {
		t.Fatal(err)
	}
	b, err := proj.Build(amd64)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range b.Steps {
		switch {
		case s.Write != nil:
			if want := "go 1.26\n\nuse (\n\t./app\n\t./lib\n)\n"; s.Write.Content != want {
				t.Errorf("go.work written:\n%s\nwant:\n%s", s.Write.Content, want)
			}
		case s.Copy != nil:
			names = append(names, strings.Join(s.Copy.Paths, " "))
		case s.Run != nil && strings.Contains(s.Name, "go build"):
			if s.Run.Dir != "/src/app" {
				t.Errorf("go build runs in %s, want /src/app", s.Run.Dir)
			}
		}
	}
	want := []string{"app/go.mod lib/go.mod third_party/vendored/go.mod", "app lib third_party/vendored"}
	if strings.Join(names, "|") != strings.Join(want, "|") {
		t.Errorf("copies = %q, want %q", names, want)
	}
	if b.Flavour != providers.Base || !strings.Contains(b.FlavourReason, "third_party/vendored/v.go") {
		t.Errorf("a replaced module's cgo: flavour %s (%s), want base for its import \"C\"", b.Flavour, b.FlavourReason)
	}

	// The manifest at the root: which module is the app is not known.
	root0, err := manifest.Parse("distill.yaml", []byte("language: go\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Provider{}.Prepare(ctx, providers.Request{Manifest: root0, FS: fsys, Platforms: []ocispecs.Platform{amd64}, BuildPlatform: amd64})
	if want := "go.work uses 3 modules (app, lib, other)"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("manifest at the root: %v, want %q", err, want)
	}
	// At the root, main: picks the package, and so the module.
	byMain, err := manifest.Parse("distill.yaml", []byte("language: go\nmain: ./app\n"))
	if err != nil {
		t.Fatal(err)
	}
	proj, err = Provider{}.Prepare(ctx, providers.Request{Manifest: byMain, FS: fsys, Platforms: []ocispecs.Platform{amd64}, BuildPlatform: amd64})
	if err != nil {
		t.Fatal(err)
	}
	if b, err = proj.Build(amd64); err != nil {
		t.Fatal(err)
	}
	if build := b.Steps[len(b.Steps)-2].Run; build == nil || build.Dir != "/src/app" || build.Args[len(build.Args)-1] != "." {
		t.Errorf("main: ./app at the workspace's root: build step %+v, want . in /src/app", build)
	}
	// A directory go.work does not use is no member.
	if root, err := providers.FindWorkspace(ctx, fsys, nil, "third_party/vendored", workspace); err != nil || root != "" {
		t.Errorf("FindWorkspace(third_party/vendored) = %q, %v; want none", root, err)
	}
}
