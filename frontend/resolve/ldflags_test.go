package resolve

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/llb/plan"
)

// TestGoLDFlags: ldflags: is added to distill's -s -w with ${NAME} taken
// from the declared build args (the client's value over the default); an
// undeclared name is an error at the ldflags line.
func TestGoLDFlags(t *testing.T) {
	fsys := contextfs.FS{FS: fstest.MapFS{
		"go.mod":  {Data: []byte("module example.com/v2\n\ngo 1.26\n")},
		"main.go": {Data: []byte("package main\n\nvar version string\n\nfunc main() {}\n")},
	}}
	plan1 := func(text string, given map[string]string) (*plan.Plan, error) {
		m, err := manifest.Parse("distill.yaml", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		return Resolve(context.Background(), m, fsys, Options{BuildPlatform: amd64, BuildArgs: given})
	}
	p, err := plan1("language: go\nargs:\n  VERSION: dev\nldflags: -X main.version=${VERSION}\n", map[string]string{"VERSION": "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	var build []string
	for _, s := range plan.AllSteps(p.Targets[0].Steps) {
		if s.Run != nil && slices.Contains(s.Run.Args, "build") {
			build = s.Run.Args
		}
	}
	if !slices.Contains(build, "-ldflags=-s -w -X main.version=1.2.3") {
		t.Errorf("go build = %q", build)
	}
	// The binary of a module whose path ends in a major version.
	if ep := p.Targets[0].Config.Entrypoint; len(ep) != 1 || ep[0] != "/app/example.com" {
		t.Errorf("entrypoint = %q, want /app/example.com", ep)
	}
	_, err = plan1("language: go\nldflags: -X main.version=${VERSION}\n", nil)
	if err == nil || !strings.Contains(err.Error(), "distill.yaml:2") || !strings.Contains(err.Error(), "VERSION is not a build arg the manifest declares") {
		t.Errorf("undeclared arg: %v", err)
	}
}

// TestGoVendorListOnly: vendor/modules.txt without the vendored packages
// (what a module's zip from the proxy keeps) is no vendored build: the
// modules are downloaded and built with -mod=mod; with the packages, the
// build uses vendor/ and downloads nothing.
func TestGoVendorListOnly(t *testing.T) {
	files := fstest.MapFS{
		"go.mod":             {Data: []byte("module example.com/app\n\ngo 1.26\n\nrequire example.com/dep v1.0.0\n")},
		"go.sum":             {Data: []byte("example.com/dep v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nexample.com/dep v1.0.0/go.mod h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")},
		"main.go":            {Data: []byte("package main\n\nfunc main() {}\n")},
		"vendor/modules.txt": {Data: []byte("# example.com/dep v1.0.0\n## explicit\nexample.com/dep\n")},
	}
	steps := func() (download bool, goflags string) {
		m, err := manifest.Parse("distill.yaml", []byte("language: go\n"))
		if err != nil {
			t.Fatal(err)
		}
		p, err := Resolve(context.Background(), m, contextfs.FS{FS: files}, Options{BuildPlatform: amd64})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range plan.AllSteps(p.Targets[0].Steps) {
			if s.Run == nil {
				continue
			}
			download = download || slices.Contains(s.Run.Args, "download")
			for _, e := range s.Run.Env {
				if v, ok := strings.CutPrefix(e, "GOFLAGS="); ok {
					goflags = v
				}
			}
		}
		return download, goflags
	}
	if dl, flags := steps(); !dl || !strings.Contains(flags, "-mod=mod") {
		t.Errorf("modules.txt alone: download %v, GOFLAGS %q; want a download and -mod=mod", dl, flags)
	}
	files["vendor/example.com/dep/dep.go"] = &fstest.MapFile{Data: []byte("package dep\n")}
	if dl, flags := steps(); dl || strings.Contains(flags, "-mod=mod") {
		t.Errorf("vendored: download %v, GOFLAGS %q; want neither", dl, flags)
	}
}
