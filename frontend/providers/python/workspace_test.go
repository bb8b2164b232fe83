package python

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// wsLock is a workspace's uv.lock: api (virtual) needs shared with its
// "fast" extra and a package from PyPI; shared needs core, its extra
// plugins (a directory source); cli and tools are members api does not
// need.
const wsLock = `version = 1
revision = 3
requires-python = ">=3.11"

[manifest]
members = ["api", "cli", "core", "plugins", "shared", "tools"]

[[package]]
name = "api"
version = "0.1.0"
source = { virtual = "apps/api" }
dependencies = [
    { name = "requests" },
    { name = "shared", extra = ["fast"] },
]

[package.dev-dependencies]
dev = [{ name = "tools" }]

[[package]]
name = "cli"
version = "0.1.0"
source = { editable = "apps/cli" }
dependencies = [{ name = "shared" }]

[[package]]
name = "core"
version = "0.1.0"
source = { editable = "packages/core" }

[[package]]
name = "plugins"
version = "0.1.0"
source = { directory = "packages/plugins" }

[[package]]
name = "requests"
version = "2.32.5"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "shared"
version = "0.1.0"
source = { editable = "packages/shared" }
dependencies = [{ name = "core" }]

[package.optional-dependencies]
fast = [{ name = "plugins" }]

[[package]]
name = "tools"
version = "0.1.0"
source = { editable = "packages/tools" }
`

func f(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

// workspaceFS is a uv workspace with a virtual root and the members of
// wsLock; apps/legacy matches the members' glob but is excluded.
func workspaceFS() fstest.MapFS {
	member := func(name, deps string) *fstest.MapFile {
		return f("[project]\nname = \"" + name + "\"\nversion = \"0.1.0\"\ndependencies = [" + deps + "]\n")
	}
	return fstest.MapFS{
		"pyproject.toml":                  f("[tool.uv.workspace]\nmembers = [\"apps/*\", \"packages/*\"]\nexclude = [\"apps/legacy\"]\n"),
		"uv.lock":                         f(wsLock),
		"apps/api/pyproject.toml":         member("api", `"requests", "shared[fast]"`),
		"apps/api/main.py":                f("import shared\n"),
		"apps/api/distill.yaml":           f("language: python\n"),
		"apps/cli/pyproject.toml":         member("cli", `"shared"`),
		"apps/cli/src/cli/__init__.py":    f(""),
		"apps/legacy/requirements.txt":    f("flask\n"),
		"packages/core/pyproject.toml":    member("core", ""),
		"packages/plugins/pyproject.toml": member("plugins", ""),
		"packages/shared/pyproject.toml":  member("shared", `"core"`),
		"packages/tools/pyproject.toml":   member("tools", ""),
		"tools/gen/pyproject.toml":        member("gen", ""),
	}
}

var amd64 = ocispecs.Platform{OS: "linux", Architecture: "amd64"}

// prepare plans the manifest of member (a directory of fsys, "" for the
// root) for amd64.
func prepare(t *testing.T, fsys fstest.MapFS, member, text string) (providers.Build, error) {
	t.Helper()
	return prepareFor(t, fsys, member, text, amd64)
}

// prepareFor plans the manifest of member for p, built from amd64.
func prepareFor(t *testing.T, fsys fstest.MapFS, member, text string, p ocispecs.Platform) (providers.Build, error) {
	t.Helper()
	file := "distill.yaml"
	if member != "" {
		file = member + "/distill.yaml"
	}
	m, err := manifest.Parse(file, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	m.Member = member
	proj, err := Provider{}.Prepare(context.Background(), providers.Request{Manifest: m, FS: contextfs.FS{FS: fsys}, Platforms: []ocispecs.Platform{p}, BuildPlatform: amd64})
	if err != nil {
		return providers.Build{}, err
	}
	return proj.Build(p)
}

// copies are a plan's copy steps, each as "dir: paths" (dir "." for the
// root).
func copies(steps []plan.Step) []string {
	var out []string
	for _, s := range steps {
		if s.Copy != nil {
			out = append(out, cmpOr(s.Copy.Dir, ".")+": "+strings.Join(s.Copy.Paths, " ")+" > "+s.Copy.Dest)
		}
	}
	return out
}

func runs(steps []plan.Step) []string {
	var out []string
	for _, s := range steps {
		if s.Run != nil && strings.HasSuffix(s.Run.Args[0], "/uv") {
			out = append(out, strings.Join(s.Run.Args[1:], " ")+" in "+s.Run.Dir)
		}
	}
	return out
}

func TestWorkspaceDetection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fsys := contextfs.FS{FS: workspaceFS()}
	for _, tc := range []struct{ dir, root string }{
		{"apps/api", "."},
		{"packages/shared", "."},
		{"apps/legacy", ""},     // excluded
		{"tools/gen", ""},       // no glob matches it
		{"apps/api/static", ""}, // below a member
	} {
		if root, err := providers.FindWorkspace(ctx, fsys, nil, tc.dir, workspace); err != nil || root != tc.root {
			t.Errorf("FindWorkspace(%s) = %q, %v; want %q", tc.dir, root, err, tc.root)
		}
	}
	// A nested workspace (its own pyproject.toml declares one) is found
	// before the outer one; a pyproject.toml without one is no workspace.
	nested := workspaceFS()
	nested["tools/pyproject.toml"] = f("[tool.uv.workspace]\nmembers = [\"gen\"]\n")
	if root, err := providers.FindWorkspace(ctx, contextfs.FS{FS: nested}, nil, "tools/gen", workspace); err != nil || root != "tools" {
		t.Errorf("nested workspace: FindWorkspace = %q, %v; want tools", root, err)
	}
	if uvHas("pyproject.toml", []byte("[project]\nname = \"x\"\n"), "apps/api") || uvHas("pyproject.toml", []byte("[tool.uv.workspace\n"), "apps/api") {
		t.Error("a pyproject.toml without a workspace, or malformed, has members")
	}
}

func TestWorkspaceMember(t *testing.T) {
	t.Parallel()
	b, err := prepare(t, workspaceFS(), "apps/api", "language: python\nentrypoint: [python, main.py]\n")
	if err != nil {
		t.Fatal(err)
	}
	// The closure: shared, its extra's plugins, core; not cli, nor tools
	// (api's dev group), nor the virtual api (its directory is the app).
	want := []string{
		".: pyproject.toml uv.lock > /src",
		".: packages/core packages/plugins packages/shared > /src",
		"apps/api:  > /app",
	}
	if got := copies(b.Steps); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("copies:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	wantRuns := []string{
		"sync --frozen --no-dev --package api --no-editable --no-install-local in /src",
		"sync --frozen --no-dev --package api --no-editable in /src",
	}
	if got := runs(b.Steps); strings.Join(got, "|") != strings.Join(wantRuns, "|") {
		t.Errorf("uv runs: %q, want %q", got, wantRuns)
	}
	for _, s := range b.Steps {
		if s.Copy != nil && s.Copy.Dir == "apps/api" && !strings.Contains(strings.Join(s.Copy.Exclude, " "), " distill.yaml ") {
			t.Errorf("the app's copy keeps its manifest: exclude %q", s.Copy.Exclude)
		}
	}
	// Paths of the manifest are the member's: main.py is apps/api's.
	if b.Script == nil || b.Script.Path != "apps/api/main.py" || strings.Join(b.Command, " ") != "/app/.venv/bin/python main.py" {
		t.Errorf("script %+v, command %q", b.Script, b.Command)
	}
	if b.Name != "api" {
		t.Errorf("name = %q, want the member's project", b.Name)
	}

	// A member with no member to build: no second sync; the default
	// entrypoint is found in the member's directory.
	fsys := workspaceFS()
	fsys["uv.lock"] = f(strings.Replace(wsLock, `    { name = "shared", extra = ["fast"] },`+"\n", "", 1))
	b, err = prepare(t, fsys, "apps/api", "language: python\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := runs(b.Steps); len(got) != 1 || strings.Join(b.Command, " ") != "/app/.venv/bin/python main.py" {
		t.Errorf("api without workspace dependencies: runs %q, command %q", got, b.Command)
	}
}

func TestWorkspaceVersion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"lock", nil, "3.13"},
		{"root's .python-version", map[string]string{".python-version": "3.12\n"}, "3.12"},
		{"member's .python-version first", map[string]string{".python-version": "3.12\n", "apps/api/.python-version": "3.11\n"}, "3.11"},
		{"member's requires-python within the lock's", map[string]string{"apps/api/pyproject.toml": "[project]\nname = \"api\"\nrequires-python = \"<3.13\"\n"}, "3.12"},
		{"root's requires-python", map[string]string{"pyproject.toml": "[project]\nname = \"root\"\nrequires-python = \"<3.12\"\n[tool.uv.workspace]\nmembers = [\"apps/*\", \"packages/*\"]\n"}, "3.11"},
	} {
		fsys := workspaceFS()
		for k, v := range tc.files {
			fsys[k] = f(v)
		}
		b, err := prepare(t, fsys, "apps/api", "language: python\n")
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if b.Builder.Facts.Version != tc.want {
			t.Errorf("%s: Python %s, want %s", tc.name, b.Builder.Facts.Version, tc.want)
		}
	}
}

func TestWorkspaceErrors(t *testing.T) {
	t.Parallel()
	noLock := workspaceFS()
	delete(noLock, "uv.lock")
	stale := workspaceFS()
	stale["apps/api/pyproject.toml"] = f("[project]\nname = \"api-server\"\n")
	missing := workspaceFS()
	delete(missing, "packages/plugins/pyproject.toml")
	for _, tc := range []struct {
		name, member, manifest string
		fs                     fstest.MapFS
		want                   []string
	}{
		{"manifest at a virtual root", "", "language: python\n", workspaceFS(), []string{
			"distill.yaml:1:11: pyproject.toml declares a uv workspace without a project of its own (6 members: apps/api, apps/cli, packages/core, packages/plugins, packages/shared, packages/tools)",
			"docker buildx build -f apps/api/distill.yaml .",
		}},
		{"virtual root without a lock", "", "language: python\n", noLock, []string{"(members = apps/*, packages/*)"}},
		{"no lock", "apps/api", "language: python\n", noLock, []string{"has no uv.lock", "run `uv lock`"}},
		{"member not locked", "apps/api", "language: python\n", stale, []string{`uv.lock has no package "api-server"`}},
		{"member's own dependency file", "apps/api", "language: python\ndependencies: requirements.txt\n", workspaceFS(), []string{"apps/api/distill.yaml:2:15", "its dependencies are the workspace's uv.lock"}},
		{"member without pyproject.toml", "apps/web", "language: python\n", workspaceFS(), []string{"apps/web is a member of the uv workspace (members = apps/*, packages/*) but has no pyproject.toml"}},
	} {
		_, err := prepare(t, tc.fs, tc.member, tc.manifest)
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v, want %q", tc.name, err, w)
			}
		}
	}
	// A source the lock installs from that the context lacks.
	if _, err := prepare(t, missing, "apps/api", "language: python\n"); err == nil || !strings.Contains(err.Error(), "packages/plugins") {
		t.Errorf("missing source: %v", err)
	}
}

// TestWorkspaceRootProject: a manifest at the root of a workspace whose
// root is a project builds that project, with the members it needs and
// without the other members' directories in /app.
func TestWorkspaceRootProject(t *testing.T) {
	t.Parallel()
	fsys := workspaceFS()
	fsys["pyproject.toml"] = f("[project]\nname = \"site\"\nversion = \"1\"\ndependencies = [\"core\"]\n[tool.uv.sources]\ncore = { workspace = true }\n[tool.uv.workspace]\nmembers = [\"apps/*\", \"packages/*\"]\n")
	fsys["main.py"] = f("")
	fsys["uv.lock"] = f(strings.Replace(wsLock, `members = ["api",`, `members = ["site", "api",`, 1) +
		"\n[[package]]\nname = \"site\"\nversion = \"1\"\nsource = { virtual = \".\" }\ndependencies = [{ name = \"core\" }]\n")
	b, err := prepare(t, fsys, "", "language: python\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".: pyproject.toml uv.lock > /src", ".: packages/core > /src", ".:  > /app"}
	if got := copies(b.Steps); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("copies = %q, want %q", got, want)
	}
	for _, s := range b.Steps {
		if s.Copy != nil && s.Copy.Dest == "/app" {
			if ex := strings.Join(s.Copy.Exclude, " "); !strings.Contains(ex, "apps/api apps/cli packages/core") {
				t.Errorf("the root's copy keeps the members: exclude %s", ex)
			}
		}
	}
}
