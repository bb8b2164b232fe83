package golang

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// writeModule writes a module whose main package imports a local package
// with only cgo files (cnative) and one with a !cgo fallback (fallback).
func writeModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for f, c := range files {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var cgoModule = map[string]string{
	"go.mod":             "module example.com/app\n\ngo 1.26\n",
	"main.go":            "package main\n\nimport (\n\t\"example.com/app/cnative\"\n\t\"example.com/app/fallback\"\n)\n\nfunc main() { println(cnative.N() + fallback.N()) }\n",
	"cnative/c.go":       "package cnative\n\n// int n(void) { return 1; }\nimport \"C\"\n\nfunc N() int { return int(C.n()) }\n",
	"fallback/c.go":      "//go:build cgo\n\npackage fallback\n\n// int n(void) { return 1; }\nimport \"C\"\n\nfunc N() int { return int(C.n()) }\n",
	"fallback/purego.go": "//go:build !cgo\n\npackage fallback\n\nfunc N() int { return 1 }\n",
	"pure/main.go":       "package main\n\nimport \"example.com/app/fallback\"\n\nfunc main() { println(fallback.N()) }\n",
	"net/main.go":        "package main\n\nimport (\n\t\"net\"\n\t\"os/user\"\n)\n\nfunc main() { net.Dial(\"tcp\", \"x:1\"); user.Current() }\n",
}

// TestCgoPackages: the packages the main package imports that need cgo,
// the module's own included, the standard library's (net, os/user) not;
// and which of them build without cgo.
func TestCgoPackages(t *testing.T) {
	t.Chdir(writeModule(t, cgoModule))
	t.Setenv("GOFLAGS", "-mod=mod")
	got, err := cgoPackages(".")
	if err != nil {
		t.Fatal(err)
	}
	if d := describe(got); d != `example.com/app/cnative (c.go imports "C"), example.com/app/fallback (c.go imports "C")` {
		t.Errorf("cgo packages = %s", d)
	}
	with, without, err := fallbacks(got)
	if err != nil {
		t.Fatal(err)
	}
	if describe(with) != `example.com/app/fallback (c.go imports "C")` || describe(without) != `example.com/app/cnative (c.go imports "C")` {
		t.Errorf("with a fallback %v, without %v", with, without)
	}
	if got, err := cgoPackages("./net"); err != nil || len(got) != 0 {
		t.Errorf("the standard library's cgo packages count: %v, %v", got, err)
	}
}

// TestBuildHelper runs the helper on the module: auto turns cgo on for
// the main package, off refuses it naming cnative, and off builds a
// package with a fallback without cgo.
func TestBuildHelper(t *testing.T) {
	t.Chdir(writeModule(t, cgoModule))
	t.Setenv("GOFLAGS", "-mod=mod")
	// The helper reports CGO_ENABLED through what go env says in the build.
	env := []string{"go", "env", "CGO_ENABLED"}
	for _, tc := range []struct {
		args       []string
		code       int
		out, cgo   string
		errMessage string
	}{
		{[]string{"--cgo", "auto", "--main", "."}, 0, `cgo: on, example.com/app/cnative (c.go imports "C"), example.com/app/fallback`, "1", ""},
		{[]string{"--cgo", "off", "--main", "."}, 1, "", "", `distill: cgo: false, but example.com/app/cnative (c.go imports "C") needs cgo and has no Go files without it`},
		{[]string{"--cgo", "off", "--why", "base: static", "--main", "./pure"}, 0, "cgo: off (base: static); built without cgo from their !cgo files, check they work without it: example.com/app/fallback", "0", ""},
		{[]string{"--cgo", "auto", "--main", "./net"}, 0, "cgo: off (no package ./net imports needs it)", "0", ""},
	} {
		var stdout, stderr bytes.Buffer
		code := BuildHelper(append(append(append([]string{"go-build"}, tc.args...), "--"), env...), &stdout, &stderr)
		if code != tc.code || !strings.Contains(stdout.String(), tc.out) || !strings.Contains(stderr.String(), tc.errMessage) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", tc.args, code, stdout.String(), stderr.String())
		}
		if tc.code == 0 && !strings.HasSuffix(strings.TrimSpace(stdout.String()), "\n"+tc.cgo) {
			t.Errorf("%v: go env CGO_ENABLED in the build: %q, want %s", tc.args, stdout.String(), tc.cgo)
		}
	}
}

// TestBuildHelperNoCrossCompiler: cgo needed for another platform with
// no C cross compiler is an error that says what to do.
func TestBuildHelperNoCrossCompiler(t *testing.T) {
	t.Chdir(writeModule(t, cgoModule))
	t.Setenv("GOFLAGS", "-mod=mod")
	other := "s390x"
	if runtime.GOARCH == other {
		other = "riscv64"
	}
	t.Setenv("GOARCH", other)
	var stdout, stderr bytes.Buffer
	code := BuildHelper([]string{"go-build", "--cgo", "auto", "--main", ".", "--", "go", "version"}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "no C cross compiler for "+other) || !strings.Contains(stderr.String(), "Set cgo: true") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}

// TestCgoModes: how the plan leaves cgo to the build.
func TestCgoModes(t *testing.T) {
	dir := writeModule(t, map[string]string{"go.mod": "module example.com/app\n\ngo 1.26\n", "main.go": "package main\n\nfunc main() {}\n"})
	for _, tc := range []struct {
		manifest string
		helper   []string
		choose   bool
	}{
		{"language: go\n", []string{"go-build", "--cgo", "auto", "--main", ".", "--cc", "aarch64-linux-gnu-gcc", "--cross-packages", "gcc-aarch64-linux-gnu,libc6-dev-arm64-cross", "--"}, true},
		{"language: go\ncgo: false\n", []string{"go-build", "--cgo", "off", "--main", ".", "--why", "cgo: false", "--"}, false},
		{"language: go\nbase: static\n", []string{"go-build", "--cgo", "off", "--main", ".", "--why", "base: static", "--"}, false},
		{"language: go\ncgo: true\n", nil, true},
	} {
		m, err := manifest.Parse("distill.yaml", []byte(tc.manifest))
		if err != nil {
			t.Fatal(err)
		}
		builds, _, err := providers.Plan(context.Background(), Provider{}, providers.Request{
			Manifest: m, FS: contextfs.Dir(dir),
			Platforms:     []ocispecs.Platform{{OS: "linux", Architecture: "arm64"}},
			BuildPlatform: ocispecs.Platform{OS: "linux", Architecture: "amd64"},
		})
		if err != nil {
			t.Fatal(err)
		}
		b := builds[0]
		var helper []string
		for _, s := range b.Steps {
			if s.Run != nil && len(s.Run.Args) > 1 && s.Run.Args[1] == "go-build" {
				helper = s.Run.Args[1 : slices.Index(s.Run.Args, "--")+1]
			}
		}
		if strings.Join(helper, " ") != strings.Join(tc.helper, " ") {
			t.Errorf("%q: helper %q, want %q", tc.manifest, helper, tc.helper)
		}
		if (b.Choose != nil) != tc.choose || (b.Choose != nil && b.Choose.Libraries != providers.Sysroot) {
			t.Errorf("%q: choose = %+v", tc.manifest, b.Choose)
		}
	}
}
