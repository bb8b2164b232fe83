package resolve

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/lock"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/llb/plan"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

var update = flag.Bool("update", false, "rewrite the plan snapshots in testdata/")

var amd64 = ocispecs.Platform{OS: "linux", Architecture: "amd64"}

// TestExamplePlans snapshots the plan of every example, for the default
// platform and for amd64+arm64.
func TestExamplePlans(t *testing.T) {
	t.Parallel()
	dirs := exampleDirs(t)
	for _, dir := range dirs {
		rel, _ := filepath.Rel("../../examples", dir)
		name := strings.ReplaceAll(filepath.ToSlash(rel), "/", "-")
		for _, tc := range []struct {
			suffix    string
			platforms []ocispecs.Platform
		}{
			{"", nil},
			{".multi", []ocispecs.Platform{amd64, {OS: "linux", Architecture: "arm64"}}},
		} {
			t.Run(name+tc.suffix, func(t *testing.T) {
				t.Parallel()
				js := planJSON(t, dir, Options{Platforms: tc.platforms, BuildPlatform: amd64})
				again := planJSON(t, dir, Options{Platforms: tc.platforms, BuildPlatform: amd64})
				if !bytes.Equal(js, again) {
					t.Fatal("the same inputs gave two different plans")
				}
				golden := filepath.Join("testdata", name+tc.suffix+".json")
				if *update {
					if err := os.WriteFile(golden, js, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test ./frontend/resolve -update)", err)
				}
				if !bytes.Equal(want, js) {
					t.Errorf("plan of %s changed; review and run with -update:\n%s", name, firstDiff(want, js))
				}
			})
		}
	}
}

// exampleDirs are the directories of every example manifest, the apps
// in a monorepo's directories included (monorepo/services/api).
func exampleDirs(t testing.TB) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir("../../examples", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "distill.yaml" {
			dirs = append(dirs, filepath.Dir(p))
		}
		return err
	})
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	return dirs
}

// examplePlan resolves the plan of the example in dir.
func examplePlan(t *testing.T, dir string, opts Options) *plan.Plan {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, manifest.DefaultFilename))
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Parse(manifest.DefaultFilename, data)
	if err != nil {
		t.Fatal(err)
	}
	// An app in a workspace: the example's directory is the context, and
	// the workspace above the manifest the root.
	root := dir
	if top, rel, ok := exampleTop(dir); ok {
		ws, err := WorkspaceRoot(context.Background(), contextfs.Dir(top), m, rel)
		if err != nil {
			t.Fatal(err)
		}
		if ws != "" {
			root = filepath.Join(top, ws)
			m.InRoot = path.Join(m.Member, manifest.DefaultFilename)
		}
	}
	// The example's lock pins what it downloads, as for the frontend.
	if data, err := os.ReadFile(filepath.Join(dir, lock.Name(manifest.DefaultFilename))); err == nil {
		if opts.Lock, err = lock.Parse("distill.lock", data); err != nil {
			t.Fatal(err)
		}
	}
	p, err := Resolve(context.Background(), m, contextfs.Dir(root), opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// exampleTop is the example's own directory (examples/<name>) and dir
// relative to it, when dir is below it.
func exampleTop(dir string) (string, string, bool) {
	rel, err := filepath.Rel("../../examples", dir)
	parts := strings.SplitN(filepath.ToSlash(rel), "/", 2)
	if err != nil || len(parts) < 2 {
		return "", "", false
	}
	return filepath.Join("../../examples", parts[0]), parts[1], true
}

func planJSON(t *testing.T, dir string, opts Options) []byte {
	t.Helper()
	js, err := examplePlan(t, dir, opts).JSON()
	if err != nil {
		t.Fatal(err)
	}
	return append(js, '\n')
}

// mapFS adapts an in-memory tree to providers.FS.
func TestResolveErrors(t *testing.T) {
	t.Parallel()
	hello := fstest.MapFS{
		"go.mod":  {Data: []byte("module example.com/x\n\ngo 1.26\n")},
		"main.go": {Data: []byte("package main\nfunc main() {}\n")},
	}
	cgo := fstest.MapFS{
		"go.mod":  {Data: []byte("module example.com/x\n\ngo 1.26\n")},
		"main.go": {Data: []byte("package main\n\n// int f(void) { return 1; }\nimport \"C\"\nfunc main() { C.f() }\n")},
	}
	for _, tc := range []struct {
		name     string
		fs       fstest.MapFS
		manifest string
		want     string
	}{
		{"unknown language", hello, "language: cobol\n", `distill.yaml:1:11: unsupported language "cobol" (supported: go, python, node, java, rust)`},
		{"no go.mod", fstest.MapFS{"main.go": hello["main.go"]}, "language: go\n", `distill.yaml:1:11: no go.mod at the root of the build context`},
		{"missing dependency file", hello, "language: go\ndependencies: app/go.mod\n", `distill.yaml:2:15: dependency file "app/go.mod" is not in the build context`},
		{"missing main", hello, "language: go\nmain: ./cmd/api\n", `distill.yaml:2:7: main package "./cmd/api" is not a directory`},
		{"missing include", hello, "language: go\ninclude:\n  - static/\n", `distill.yaml:3:5: include "static/" is not in the build context`},
		{"include outside", hello, "language: go\ninclude: [../etc]\n", `distill.yaml:2:11: include "../etc" is not a path inside the build context`},
		{"bad version", hello, "language: go\nversion: latest\n", `distill.yaml:2:10: invalid Go version "latest"`},
		{"bad user", hello, "language: go\nuser: www-data\n", `distill.yaml:2:7: unknown user "www-data"`},
		{"cgo on static", cgo, "language: go\nbase: static\n", `distill.yaml:2:7: base "static" cannot run this app: it needs base (cgo binary links libc (import "C" in main.go))`},
		{"bad platform", hello, "language: go\nplatforms: [linux/amd64, windows/amd64]\n", `distill.yaml:2:26: platform "windows/amd64" is not supported`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantResolveError(t, tc.fs, tc.manifest, tc.want)
		})
	}
}

func TestCgoDetection(t *testing.T) {
	t.Parallel()
	gomod := &fstest.MapFile{Data: []byte("module example.com/x\n\ngo 1.26\n")}
	for _, tc := range []struct {
		name    string
		files   map[string]string
		runtime string
	}{
		{"pure go", map[string]string{"main.go": "package main\nfunc main() {}\n"}, "static"},
		{"cgo", map[string]string{"main.go": "package main\nimport \"C\"\nfunc main() {}\n"}, "base"},
		{"cgo optional", map[string]string{"main.go": "package main\nfunc main() {}\n", "c.go": "//go:build cgo\n\npackage main\nimport \"C\"\n"}, "static"},
		{"cgo in test", map[string]string{"main.go": "package main\nfunc main() {}\n", "x_test.go": "package main\nimport \"C\"\n"}, "static"},
		{"cgo for windows", map[string]string{"main.go": "package main\nfunc main() {}\n", "x_windows.go": "package main\nimport \"C\"\n"}, "static"},
		{"cgo with c++", map[string]string{"main.go": "package main\nfunc main() {}\n", "lib/l.go": "package lib\nimport \"C\"\n", "lib/l.cc": "int f() { return 1; }\n"}, "cc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fs := fstest.MapFS{"go.mod": gomod}
			for k, v := range tc.files {
				fs[k] = &fstest.MapFile{Data: []byte(v)}
			}
			m, err := manifest.Parse("distill.yaml", []byte("language: go\n"))
			if err != nil {
				t.Fatal(err)
			}
			p, err := Resolve(context.Background(), m, contextfs.FS{FS: fs}, Options{BuildPlatform: amd64})
			if err != nil {
				t.Fatal(err)
			}
			want := "gcr.io/distroless/" + tc.runtime + "-debian13:nonroot"
			if got := p.Targets[0].Runtime.Ref; got != want {
				t.Errorf("runtime = %s, want %s", got, want)
			}
		})
	}
}

func TestTargetPlatforms(t *testing.T) {
	t.Parallel()
	m, err := manifest.Parse("distill.yaml", []byte("language: go\nplatforms: [linux/arm64, linux/amd64, linux/arm64/v8]\n"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := TargetPlatforms(m, Options{BuildPlatform: amd64})
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, p := range got {
		s = append(s, platforms.Format(p))
	}
	if strings.Join(s, ",") != "linux/arm64,linux/amd64" {
		t.Errorf("platforms = %v", s)
	}
	// The client's --platform wins over the manifest.
	got, _ = TargetPlatforms(m, Options{Platforms: []ocispecs.Platform{amd64}, BuildPlatform: amd64})
	if len(got) != 1 || got[0].Architecture != "amd64" {
		t.Errorf("client platforms ignored: %v", got)
	}
}

// TestSchemaUpToDate keeps the shipped JSON Schema in step with the types.
func TestSchemaUpToDate(t *testing.T) {
	t.Parallel()
	want, err := manifest.Schema(Languages(), FieldDocs())
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../manifest/distill.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
		t.Error("frontend/manifest/distill.schema.json is stale: run make schema")
	}
}

func TestLocalReplaceInDownloadStep(t *testing.T) {
	t.Parallel()
	fs := fstest.MapFS{
		"app/go.mod":     {Data: []byte("module example.com/app\n\ngo 1.26\n\nrequire example.com/lib v0.0.0\n\nreplace (\n\texample.com/lib => ../lib // local\n)\n")},
		"app/main.go":    {Data: []byte("package main\nfunc main() {}\n")},
		"lib/go.mod":     {Data: []byte("module example.com/lib\n\ngo 1.26\n")},
		"lib/lib.go":     {Data: []byte("package lib\n")},
		"app/vendor/x.y": {Data: nil},
	}
	m, err := manifest.Parse("distill.yaml", []byte("language: go\ndependencies: app/go.mod\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Resolve(context.Background(), m, contextfs.FS{FS: fs}, Options{BuildPlatform: amd64})
	if err != nil {
		t.Fatal(err)
	}
	cp := p.Targets[0].Steps[0].Copy
	if cp == nil || strings.Join(cp.Paths, ",") != "app/go.mod,lib/go.mod" || cp.Dest != "/src" {
		t.Errorf("download step copy = %+v", cp)
	}
	if dir := p.Targets[0].Steps[1].Run.Dir; dir != "/src/app" {
		t.Errorf("download runs in %s", dir)
	}
}

func TestPythonDetection(t *testing.T) {
	t.Parallel()
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	pipfileLock := `{"_meta": {"requires": {"python_version": "3.12"}, "sources": [{"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": true}]},
 "default": {"six": {"hashes": ["sha256:bb", "sha256:aa"], "version": "==1.16.0", "markers": "python_version >= '2.7'"}}, "develop": {"pytest": {"version": "==8.0.0", "hashes": ["sha256:cc"]}}}`
	for _, tc := range []struct {
		name     string
		fs       fstest.MapFS
		manifest string
		// want are substrings of the plan's JSON.
		want []string
	}{
		{"requirements, default version", fstest.MapFS{"requirements.txt": f("flask==3.0.0\n"), "main.py": f("")},
			"language: python\n", []string{`"ref": "docker.io/library/python:3.13-slim-trixie"`, `"ref": "gcr.io/distroless/python3-debian13:nonroot"`, `; pip install -r requirements.txt"`, `"/app/.venv/bin/python",` + "\n" + `          "main.py"`}},
		{"python-version picks 3.12 and cc", fstest.MapFS{"requirements.txt": f("six\n"), ".python-version": f("3.12\n"), "app.py": f("")},
			"language: python\n", []string{`python:3.12-slim-trixie`, `gcr.io/distroless/cc-debian13:nonroot`, `transplant python3.12`}},
		{"uv lock first", fstest.MapFS{"uv.lock": f("version = 1\nrequires-python = \">=3.11,<3.13\"\n"), "pyproject.toml": f("[project]\nname = \"x\"\nversion = \"1\"\n"), "requirements.txt": f(""), "main.py": f("")},
			"language: python\n", []string{`uv sync --frozen --no-dev`, `python:3.12-slim-trixie`, `"UV_PROJECT_ENVIRONMENT=/app/.venv"`}},
		{"poetry", fstest.MapFS{"poetry.lock": f("[metadata]\nlock-version = \"2.1\"\n"), "pyproject.toml": f("[tool.poetry]\npackage-mode = false\n[tool.poetry.dependencies]\npython = \"^3.11\"\n"), "main.py": f("")},
			"language: python\n", []string{`poetry install --only main --no-root`, `python:3.13-slim-trixie`}},
		{"pipenv lock converted", fstest.MapFS{"Pipfile.lock": f(pipfileLock), "Pipfile": f(""), "main.py": f("")},
			"language: python\n", []string{`six==1.16.0 ; python_version >= '2.7' \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb`, `--require-hashes`, `python:3.12-slim-trixie`}},
		{"console script", fstest.MapFS{"requirements.txt": f("uvicorn\n")},
			"language: python\nentrypoint: [uvicorn, main:app]\n", []string{`"/app/.venv/bin/uvicorn",`, `--script uvicorn`}},
		{"build packages", fstest.MapFS{"requirements.txt": f("psycopg2\n"), "main.py": f("")},
			"language: python\nbuild-packages: [gcc, libpq-dev]\n", []string{`apt-get install gcc libpq-dev`}},
		{"package project", fstest.MapFS{"pyproject.toml": f("[project]\nname = \"hello\"\nversion = \"1\"\ndependencies = [\"click>=8\"]\n[project.scripts]\nhello = \"hello:main\"\n[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n")},
			"language: python\n", []string{`click>=8`, `"/app/.venv/bin/hello"`, `pip install . (the project)`}},
		{"version and base cc", fstest.MapFS{"requirements.txt": f("")},
			"language: python\nversion: \"3.13\"\nbase: cc\nmain: app\n", []string{`gcr.io/distroless/cc-debian13:nonroot`, `"-m",` + "\n" + `          "app"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := manifest.Parse("distill.yaml", []byte(tc.manifest))
			if err != nil {
				t.Fatal(err)
			}
			p, err := Resolve(context.Background(), m, contextfs.FS{FS: tc.fs}, Options{BuildPlatform: amd64})
			if err != nil {
				t.Fatal(err)
			}
			js, err := p.JSON()
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(js), w) {
					t.Errorf("plan lacks %q:\n%s", w, js)
				}
			}
		})
	}
}

func TestPythonErrors(t *testing.T) {
	t.Parallel()
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	app := fstest.MapFS{"requirements.txt": f("flask\n"), "main.py": f("")}
	for _, tc := range []struct {
		name     string
		fs       fstest.MapFS
		manifest string
		want     string
	}{
		{"unsupported version", app, "language: python\nversion: \"3.9\"\n", `distill.yaml:2:10: Python 3.9 has no official slim trixie image (supported: 3.14, 3.13, 3.12, 3.11, 3.10)`},
		{"builder minor mismatch", app, "language: python\nversion: \"3.12\"\nbuilder: python:3.13-slim-trixie\n", `distill.yaml:3:10: builder python:3.13-slim-trixie has Python 3.13, but the app is built for Python 3.12`},
		{"builder suite mismatch", app, "language: python\nbuilder: python:3.13-slim-bookworm\n", `distill.yaml:2:10: builder python:3.13-slim-bookworm is not Debian 13 (bookworm)`},
		{"distroless python for 3.12", app, "language: python\nversion: \"3.12\"\nbase: gcr.io/distroless/python3-debian13\n", `distill.yaml:3:7: base gcr.io/distroless/python3-debian13 ships Python 3.13, but the app is built for Python 3.12`},
		{"static base", app, "language: python\nbase: static\n", `distill.yaml:2:7: base "static" cannot run Python`},
		{"pipfile without lock", fstest.MapFS{"Pipfile": f(""), "main.py": f("")}, "language: python\n", `distill.yaml:1:11: Pipfile has no Pipfile.lock next to it`},
		{"not a dependency file", app, "language: python\ndependencies: setup.cfg\n", `distill.yaml:2:15: "setup.cfg" is not a Python dependency file`},
		{"missing include", fstest.MapFS{"requirements.txt": f("-r base.txt\n"), "main.py": f("")}, "language: python\n", `distill.yaml:1:11: requirements.txt includes base.txt, which is not in the build context`},
		{"no entrypoint", fstest.MapFS{"requirements.txt": f("")}, "language: python\n", `distill.yaml:1:11: no entrypoint`},
		{"requires-python unsatisfiable", fstest.MapFS{"pyproject.toml": f("[project]\nname = \"x\"\nrequires-python = \">=3.15\"\n"), "main.py": f("")}, "language: python\n", `pyproject.toml requires Python >=3.15, which no supported release satisfies`},
		{"bad build package", app, "language: python\nbuild-packages: [gcc, \"libpq dev\"]\n", `distill.yaml:2:23: "libpq dev" is not a Debian package name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantResolveError(t, tc.fs, tc.manifest, tc.want)
		})
	}
}

// wantResolveError resolves a manifest over a context and expects an
// error containing want, which it returns.
func wantResolveError(t *testing.T, fs fstest.MapFS, manifestText, want string) error {
	t.Helper()
	m, err := manifest.Parse("distill.yaml", []byte(manifestText))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Resolve(context.Background(), m, contextfs.FS{FS: fs}, Options{BuildPlatform: amd64})
	if err == nil {
		t.Fatal("no error")
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error = %q\nwant it to contain %q", err, want)
	}
	return err
}

// firstDiff shows the first differing line of two texts, with context.
func firstDiff(want, got []byte) string {
	a, b := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < max(len(a), len(b)); i++ {
		if i < len(a) && i < len(b) && a[i] == b[i] {
			continue
		}
		lo := max(0, i-3)
		var out strings.Builder
		for j := lo; j < i; j++ {
			fmt.Fprintf(&out, "  %d: %s\n", j+1, b[j])
		}
		if i < len(a) {
			fmt.Fprintf(&out, "- %d: %s\n", i+1, a[i])
		}
		if i < len(b) {
			fmt.Fprintf(&out, "+ %d: %s\n", i+1, b[i])
		}
		return out.String()
	}
	return "(no difference)"
}

// TestDebugRuntime: the debug target moves every language's distroless
// runtime to its debug tag, and refuses a base that is not distroless.
func TestDebugRuntime(t *testing.T) {
	t.Parallel()
	for example, want := range map[string]string{
		"go-hello":       "gcr.io/distroless/static-debian13:debug-nonroot",
		"python-fastapi": "gcr.io/distroless/python3-debian13:debug-nonroot",
		"node-express":   "gcr.io/distroless/nodejs24-debian13:debug-nonroot",
		"python-312":     "gcr.io/distroless/cc-debian13:debug-nonroot",
	} {
		p := examplePlan(t, filepath.Join("..", "..", "examples", example), Options{Platforms: []ocispecs.Platform{amd64}, BuildPlatform: amd64, Debug: true})
		if got := p.Targets[0].Runtime.Ref; got != want {
			t.Errorf("%s: debug runtime = %s, want %s", example, got, want)
		}
	}
	m, err := manifest.Parse("distill.yaml", []byte("language: go\nbase: docker.io/library/debian:trixie-slim\n"))
	if err != nil {
		t.Fatal(err)
	}
	fs := fstest.MapFS{"main.go": {Data: []byte("package main\nfunc main() {}\n")}, "go.mod": {Data: []byte("module x\n\ngo 1.26\n")}}
	_, err = Resolve(context.Background(), m, contextfs.FS{FS: fs}, Options{BuildPlatform: amd64, Debug: true})
	if err == nil || !strings.Contains(err.Error(), "the debug target needs a distroless base") || !strings.Contains(err.Error(), "distill.yaml:2") {
		t.Errorf("error = %v, want the debug target refused at distill.yaml:2", err)
	}
}

// TestDetectLanguage: a manifest without language: gets the one whose
// files its directory holds; none or two are errors naming them.
func TestDetectLanguage(t *testing.T) {
	t.Parallel()
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	for _, tc := range []struct {
		name string
		fs   fstest.MapFS
		want string // language, or the error's text
	}{
		{"go", fstest.MapFS{"go.mod": f("module x\n"), "main.go": f("package main\n")}, "go"},
		{"python", fstest.MapFS{"requirements.txt": f("flask==3.1.1\n")}, "python"},
		{"rust", fstest.MapFS{"Cargo.toml": f("[package]\n")}, "rust"},
		{"java", fstest.MapFS{"pom.xml": f("<project/>")}, "java"},
		{"none", fstest.MapFS{"README.md": f("# x\n")}, "distill.yaml:1:1: the manifest names no language, and its directory has no file that tells one"},
		{"two", fstest.MapFS{"go.mod": f("module x\n"), "package.json": f("{}")}, "distill.yaml:1:1: the manifest names no language, and 2 match its directory: go (go.mod), node (package.json)"},
	} {
		m, err := manifest.Parse("distill.yaml", []byte("# syntax=ghcr.io/distill-build/distill:1\n"))
		if err != nil {
			t.Fatal(err)
		}
		err = DetectLanguage(context.Background(), contextfs.FS{FS: tc.fs}, m, ".")
		got := m.Language.Value
		if err != nil {
			got = err.Error()
		}
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
