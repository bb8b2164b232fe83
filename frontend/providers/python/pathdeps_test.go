package python

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// reportLock is services/report's poetry.lock: shared (its path
// dependency), core (which shared brings, from a path too), humanize from
// PyPI and devtool of the dev group.
const reportLock = `[[package]]
name = "core"
version = "0.1.0"
groups = ["main"]
develop = false

[package.source]
type = "directory"
url = "../../libs/core"

[[package]]
name = "devtool"
version = "0.1.0"
groups = ["dev"]
develop = true

[package.source]
type = "directory"
url = "../../libs/devtool"

[[package]]
name = "humanize"
version = "4.12.3"
groups = ["main"]

[[package]]
name = "shared"
version = "0.1.0"
groups = ["main"]
develop = false

[package.source]
type = "directory"
url = "../../libs/shared"

[metadata]
lock-version = "2.1"
python-versions = "^3.11"
content-hash = "0"
`

// uvappLock is services/uvapp's uv.lock (a project, no workspace): shared
// from a path (editable, as its [tool.uv.sources] says), devx from a path
// for the dev group only.
const uvappLock = `version = 1
requires-python = ">=3.11"

[[package]]
name = "devx"
version = "0.1.0"
source = { directory = "../../libs/devx" }

[[package]]
name = "shared"
version = "0.1.0"
source = { editable = "../../libs/shared" }

[[package]]
name = "uvapp"
version = "0.1.0"
source = { virtual = "." }
dependencies = [{ name = "shared" }]

[package.dev-dependencies]
dev = [{ name = "devx" }]
`

// pathDepsFS is a repository with apps in services/ whose dependency
// files name packages in libs/ (and a wheel in dist/).
func pathDepsFS() fstest.MapFS {
	lib := func(name string) *fstest.MapFile {
		return f("[project]\nname = \"" + name + "\"\nversion = \"0.1.0\"\n[build-system]\nrequires = [\"flit_core>=3.12,<4\"]\nbuild-backend = \"flit_core.buildapi\"\n")
	}
	return fstest.MapFS{
		"libs/shared/pyproject.toml":     lib("shared"),
		"libs/extra/pyproject.toml":      lib("extra"),
		"libs/core/pyproject.toml":       lib("core"),
		"libs/devtool/pyproject.toml":    lib("devtool"),
		"libs/devx/pyproject.toml":       lib("devx"),
		"dist/tool-1.0-py3-none-any.whl": f("PK"),
		// pip: local paths relative to pip's working directory (the
		// app's), -r files to the including file.
		"services/api/requirements.txt":        f("six==1.17.0\n../../libs/shared\n-r ../common/base.txt\n./vendor/x\n"),
		"services/api/vendor/x/pyproject.toml": lib("x"),
		"services/api/main.py":                 f(""),
		"services/common/base.txt":             f("humanize==4.12.3\n../../libs/extra\n"),
		"services/web/requirements.txt":        f("six==1.17.0\n../../libs/shared\n../../dist/tool-1.0-py3-none-any.whl\n"),
		"services/web/main.py":                 f(""),
		"services/report/pyproject.toml": f(`[tool.poetry]
package-mode = false

[tool.poetry.dependencies]
python = "^3.11"
humanize = "4.12.3"
shared = { path = "../../libs/shared", develop = false }

[tool.poetry.group.main.dependencies]
extra = [{ path = "../../libs/extra", markers = "sys_platform == 'linux'" }]

[tool.poetry.group.dev.dependencies]
devtool = { path = "../../libs/devtool", develop = true }
`),
		"services/report/poetry.lock":     f(reportLock),
		"services/report/main.py":         f(""),
		"services/uvapp/pyproject.toml":   f("[project]\nname = \"uvapp\"\nversion = \"0.1.0\"\ndependencies = [\"shared\"]\n[dependency-groups]\ndev = [\"devx\"]\n[tool.uv.sources]\nshared = { path = \"../../libs/shared\", editable = true }\ndevx = { path = \"../../libs/devx\" }\n"),
		"services/uvapp/uv.lock":          f(uvappLock),
		"services/uvapp/main.py":          f(""),
		"services/plain/requirements.txt": f("six==1.17.0\n"),
		"services/plain/main.py":          f(""),
	}
}

func parseManifest(t *testing.T, file, text string) *manifest.Manifest {
	t.Helper()
	m, err := manifest.Parse(file, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestReach(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fsys := contextfs.FS{FS: pathDepsFS()}
	for _, tc := range []struct {
		name, dir, manifest string
		want                []string
	}{
		// The included file, and the local paths of both files (the
		// app's ./vendor/x is its own).
		{"requirements", "services/api", "language: python\n", []string{"libs/extra", "libs/shared", "services/common/base.txt"}},
		{"named requirements", "services/api", "language: python\ndependencies: requirements.txt\n", []string{"libs/extra", "libs/shared", "services/common/base.txt"}},
		{"a wheel", "services/web", "language: python\n", []string{"dist/tool-1.0-py3-none-any.whl", "libs/shared"}},
		// The main group's (both spellings), and what the lock adds;
		// not the dev group's.
		{"poetry", "services/report", "language: python\n", []string{"libs/core", "libs/extra", "libs/shared"}},
		// What the project installs from the lock; not the dev group's.
		{"uv", "services/uvapp", "language: python\n", []string{"libs/shared"}},
		{"none", "services/plain", "language: python\n", nil},
		{"no dependency file", "libs", "language: python\n", nil},
		{"a missing named file", "services/plain", "language: python\ndependencies: nope.txt\n", nil},
	} {
		got, err := reach(ctx, fsys, parseManifest(t, tc.dir+"/distill.yaml", tc.manifest), tc.dir)
		slices.Sort(got)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: reach(%s) = %q, %v; want %q", tc.name, tc.dir, got, err, tc.want)
		}
	}
}

// TestPathDepsRoot: the root is the directory holding the app and what
// it reaches.
func TestPathDepsRoot(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fsys := pathDepsFS()
	fsys["apps/x/svc/requirements.txt"] = f("../lib\n")
	fsys["apps/x/lib/pyproject.toml"] = f("[project]\nname = \"lib\"\n")
	fsys["apps/y/requirements.txt"] = f("../../../outside\n")
	for dir, want := range map[string]string{
		"services/api": ".", "services/report": ".", "services/uvapp": ".", "services/plain": "",
		"apps/x/svc": "apps/x", "apps/y": "",
	} {
		m := parseManifest(t, dir+"/distill.yaml", "language: python\n")
		if got, err := providers.FindWorkspace(ctx, contextfs.FS{FS: fsys}, m, dir, workspace); err != nil || got != want {
			t.Errorf("FindWorkspace(%s) = %q, %v; want %q", dir, got, err, want)
		}
	}
}

// mustPrepare plans the manifest of member for p.
func mustPrepare(t *testing.T, member string, p ocispecs.Platform) providers.Build {
	t.Helper()
	b, err := prepareFor(t, pathDepsFS(), member, "language: python\n", p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// commands are a plan's steps running pip, Poetry or uv: the command
// from its program's base name, and where it runs.
func commands(steps []plan.Step) []string {
	var out []string
	for _, s := range steps {
		if s.Run == nil {
			continue
		}
		for _, c := range chained(s.Run) {
			args := c.Args
			if i := slices.Index(args, "pip"); i > 0 {
				args = args[i:]
			} else if b := args[0][strings.LastIndex(args[0], "/")+1:]; b != "poetry" && b != "uv" {
				continue
			} else {
				args = append([]string{b}, args[1:]...)
			}
			out = append(out, strings.Join(args, " ")+" in "+c.Dir)
		}
	}
	return out
}

// chained are the commands of a step's run, one for each that
// providers.Chain joined (their words unquoted).
func chained(r *plan.Run) []plan.Run {
	script, ok := strings.CutPrefix(strings.Join(r.Args, " "), "sh -c set -e\n")
	if !ok {
		return []plan.Run{*r}
	}
	var out []plan.Run
	for _, l := range strings.Split(script, "\n") {
		dir, cmd, _ := strings.Cut(strings.TrimPrefix(l, "cd "), " && ")
		out = append(out, plan.Run{Dir: dir, Args: strings.Fields(strings.ReplaceAll(cmd, "'", ""))})
	}
	return out
}

func TestPathDepsPlan(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, member string
		copies, cmds []string
		contextPaths []string
		emulatedDirs []string
	}{
		{
			// ./vendor/x is the app's: its sources come before the
			// install, the other packages to where pip finds them from
			// /app, and base.txt where -r ../common/base.txt reads it.
			name: "pip", member: "services/api",
			copies: []string{
				"services/api: requirements.txt > /app",
				"services/common: base.txt > /common",
				"libs/shared:  > /libs/shared",
				"libs/extra:  > /libs/extra",
				"services/api:  > /app",
			},
			cmds:         []string{"pip --python /app/.venv/bin/python install --no-compile -r /app/requirements.txt in /app"},
			contextPaths: []string{"libs/extra", "libs/shared", "services/api", "services/common/base.txt"},
			emulatedDirs: []string{"/app", "/libs/shared", "/libs/extra", "/common"},
		},
		{
			// The app's sources after the install (nothing of its own
			// is installed); a wheel is copied alone.
			name: "pip, a wheel", member: "services/web",
			copies: []string{
				"services/web: requirements.txt > /app",
				"libs/shared:  > /libs/shared",
				"dist: tool-1.0-py3-none-any.whl > /dist",
				"services/web:  > /app",
			},
			cmds:         []string{"pip --python /app/.venv/bin/python install --no-compile -r /app/requirements.txt in /app"},
			contextPaths: []string{"dist/tool-1.0-py3-none-any.whl", "libs/shared", "services/web"},
			emulatedDirs: []string{"/app", "/libs/shared", "/dist"},
		},
		{
			name: "poetry", member: "services/report",
			copies: []string{
				"services/report: pyproject.toml poetry.lock > /app",
				"libs/shared:  > /libs/shared",
				"libs/extra:  > /libs/extra",
				"libs/core:  > /libs/core",
				"services/report:  > /app",
			},
			cmds:         []string{"poetry install --only main --no-root --no-ansi in /app"},
			contextPaths: []string{"libs/core", "libs/extra", "libs/shared", "services/report"},
			emulatedDirs: []string{"/app", "/libs/shared", "/libs/extra", "/libs/core"},
		},
		{
			// editable = true is no error: uv installs non-editable.
			name: "uv", member: "services/uvapp",
			copies: []string{
				"services/uvapp: pyproject.toml uv.lock > /app",
				"libs/shared:  > /libs/shared",
				"services/uvapp:  > /app",
			},
			cmds:         []string{"pip install --no-compile --target /opt/distill/uv uv==0.13.9 in /", "uv sync --frozen --no-dev --no-install-project --no-editable in /app"},
			contextPaths: []string{"libs/shared", "services/uvapp"},
		},
	} {
		b := mustPrepare(t, tc.member, amd64)
		if got := copies(b.Steps); !slices.Equal(got, tc.copies) {
			t.Errorf("%s: copies:\n%s\nwant:\n%s", tc.name, strings.Join(got, "\n"), strings.Join(tc.copies, "\n"))
		}
		if got := commands(b.Steps); !slices.Equal(got, tc.cmds) {
			t.Errorf("%s: commands %q, want %q", tc.name, got, tc.cmds)
		}
		p := &plan.Plan{Targets: []plan.Target{{Steps: b.Steps, Artifacts: b.Artifacts}}}
		if got, whole := p.ContextPaths(); whole || !slices.Equal(got, tc.contextPaths) {
			t.Errorf("%s: the build is sent %q (whole: %v), want %q", tc.name, got, whole, tc.contextPaths)
		}
		// Nothing outside /app reaches the image.
		for _, a := range b.Artifacts {
			if a.From == plan.FromBuilder && a.Src != providers.Sysroot && !strings.HasPrefix(a.Src, providers.AppDir) {
				t.Errorf("%s: artifact from %s", tc.name, a.Src)
			}
		}
		if tc.emulatedDirs == nil {
			continue
		}
		// For another platform, the install runs in its builder, with the
		// path dependencies' directories.
		arm := mustPrepare(t, tc.member, ocispecs.Platform{OS: "linux", Architecture: "arm64"})
		var dirs []string
		for _, s := range arm.Steps {
			if s.Run != nil && s.Run.Emulated != nil {
				dirs = s.Run.Emulated.Dirs
			}
		}
		if !slices.Equal(dirs, tc.emulatedDirs) {
			t.Errorf("%s: emulated install shares %q, want %q", tc.name, dirs, tc.emulatedDirs)
		}
	}
}

// TestPathDepsOrder: with nothing of its own to install first, the app's
// files come after the environment is complete; the path dependency
// before the install.
func TestPathDepsOrder(t *testing.T) {
	t.Parallel()
	b := mustPrepare(t, "services/web", amd64)
	var names []string
	for _, s := range b.Steps {
		names = append(names, s.Name)
	}
	want := []string{
		"[python] copy requirements.txt of services/web",
		"[python] copy libs/shared to /libs/shared (a path dependency)",
		"[python] copy dist/tool-1.0-py3-none-any.whl to /dist/tool-1.0-py3-none-any.whl (a path dependency)",
		"[python] create the virtual environment /app/.venv; pip install -r requirements.txt",
		"[python] use the runtime's python3.13; carry needed shared libraries; compile bytecode of the environment",
		"[python] copy services/web (the app's directory)",
		"[python] compile bytecode of the app",
	}
	if !slices.Equal(names, want) {
		t.Errorf("steps:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	// The manifest and the requirements stay out of the image.
	for _, s := range b.Steps {
		if s.Copy != nil && s.Copy.Dir == "services/web" && len(s.Copy.Paths) == 0 {
			if ex := strings.Join(s.Copy.Exclude, " "); !strings.Contains(ex, " distill.yaml ") || !strings.Contains(ex, " requirements.txt ") {
				t.Errorf("the app's copy excludes %s", ex)
			}
		}
	}
}

func TestPathDepsErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, member string
		files        map[string]string
		want         []string
	}{
		{"pip editable", "services/plain", map[string]string{"services/plain/requirements.txt": "-e ../../libs/shared\n"},
			[]string{"services/plain/distill.yaml:1:11: services/plain/requirements.txt installs ../../libs/shared editable, from outside the app's directory (services/plain): the image would point at a source it does not hold", "write it without -e"}},
		{"poetry develop", "services/report", map[string]string{"services/report/pyproject.toml": "[tool.poetry.dependencies]\nshared = { path = \"../../libs/shared\", develop = true }\n"},
			[]string{"services/report/pyproject.toml installs ../../libs/shared editable", "set develop = false"}},
		{"poetry develop, from the lock", "services/report", map[string]string{"services/report/poetry.lock": strings.Replace(reportLock, "develop = false", "develop = true", 1)},
			[]string{"services/report/poetry.lock installs ../../libs/core editable"}},
		{"missing", "services/plain", map[string]string{"services/plain/requirements.txt": "../../libs/missing\n"},
			[]string{"installs ../../libs/missing (libs/missing), which is not in the build context"}},
		{"the builder's directory", "services/plain", map[string]string{"services/plain/requirements.txt": "../../lib/shared\n", "lib/shared/pyproject.toml": ""},
			[]string{"names ../../lib/shared (lib/shared), which is /lib/shared from the app's directory (/app): the builder's own /lib", "such as libs/"}},
		{"the app's directory", "services/plain", map[string]string{"services/plain/requirements.txt": "../app\n", "services/app/pyproject.toml": ""},
			[]string{"the builder's own /app"}},
		{"holding the app", "services/plain", map[string]string{"services/plain/requirements.txt": "..\n"},
			[]string{"names .. (services), a directory holding the app's"}},
		{"one place for two", "a/b/c", map[string]string{"a/b/c/requirements.txt": "../../lib2\n../../../lib2\n", "a/lib2/pyproject.toml": "", "lib2/pyproject.toml": ""},
			[]string{"a/lib2 and lib2 both resolve to /lib2 from the app's directory (/app)"}},
		{"an included file in the builder's", "services/plain", map[string]string{"services/plain/requirements.txt": "-r ../../etc/reqs.txt\n", "etc/reqs.txt": "six==1.17.0\n"},
			[]string{"names ../../etc/reqs.txt (etc/reqs.txt), which is /etc/reqs.txt"}},
		{"a file at the builder's root", "services/plain", map[string]string{"services/plain/requirements.txt": "-c ../../constraints.txt\n", "constraints.txt": "six==1.17.0\n"},
			[]string{"names ../../constraints.txt (constraints.txt), which is /constraints.txt from the app's directory (/app): a file at the builder's root"}},
		{"a wheel at the builder's root", "services/plain", map[string]string{"services/plain/requirements.txt": "../../tool-1.0-py3-none-any.whl\n", "tool-1.0-py3-none-any.whl": "PK"},
			[]string{"a file at the builder's root", "such as requirements/ or dist/"}},
		{"outside the context", "", map[string]string{"requirements.txt": "../shared\n"},
			[]string{"distill.yaml:1:11: requirements.txt installs ../shared, outside the build context", "docker buildx build -f <app's directory>/distill.yaml ."}},
	} {
		fsys := pathDepsFS()
		for k, v := range tc.files {
			fsys[k] = f(v)
		}
		_, err := prepare(t, fsys, tc.member, "language: python\n")
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v, want %q", tc.name, err, w)
			}
		}
	}
}

// TestPathDepsInsideApp: Poetry's path dependency in the app's own
// directory is copied before the install too (which needs it), to its
// place under /app; editable is then no error (the source is the app's).
func TestPathDepsInsideApp(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"pyproject.toml":          f("[tool.poetry]\npackage-mode = false\n[tool.poetry.dependencies]\npython = \"^3.11\"\nx = { path = \"./vendor/x\", develop = true }\n"),
		"poetry.lock":             f("[[package]]\nname = \"x\"\nversion = \"0.1.0\"\ngroups = [\"main\"]\ndevelop = true\n\n[package.source]\ntype = \"directory\"\nurl = \"vendor/x\"\n\n[metadata]\nlock-version = \"2.1\"\n"),
		"vendor/x/pyproject.toml": f("[project]\nname = \"x\"\n"),
		"main.py":                 f(""),
	}
	b, err := prepare(t, fsys, "", "language: python\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".: pyproject.toml poetry.lock > /app", "vendor/x:  > /app/vendor/x", ".:  > /app"}
	if got := copies(b.Steps); !slices.Equal(got, want) {
		t.Errorf("copies = %q, want %q", got, want)
	}
}
