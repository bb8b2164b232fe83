// Package python is the Python provider. Dependencies are installed from
// the project's lock file by its own tool (pip, uv, Poetry; Pipfile.lock is
// converted to a hashed requirements list) into a virtual environment at
// /app/.venv created without pip, so no installer reaches the runtime. The
// builder is the official python:X.Y-slim-trixie image; the runtime is
// distroless python3-debian13 for the minor it ships, and cc-debian13 with
// the builder's interpreter transplanted for every other minor. A helper
// step (the frontend binary itself) points the environment at the
// runtime's interpreter and carries the shared libraries that compiled
// extensions need and the runtime lacks.
package python

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
)

// Tool versions installed in the builder for lock files pip cannot read.
const (
	UVVersion     = "0.13.9"
	PoetryVersion = "2.5.1"
)

// Paths in the builder and the image.
const (
	VenvDir     = "/app/.venv"
	srcDir      = "/src"
	toolsDir    = "/opt/distill"
	lockDir     = "/tmp/distill"
	pipCache    = "/root/.cache/pip"
	uvCache     = "/root/.cache/uv"
	poetryCache = "/root/.cache/pypoetry"
)

// Dependency managers.
const (
	managerNone    = "none"
	managerPip     = "pip"
	managerUV      = "uv"
	managerPoetry  = "poetry"
	managerPipenv  = "pipenv"
	managerProject = "pyproject"
)

// Provider is the Python provider.
type Provider struct{}

var _ providers.Provider = Provider{}

// Language implements providers.Provider.
func (Provider) Language() string { return "python" }

// Detect implements providers.Detector.
func (Provider) Detect(ctx context.Context, fsys providers.FS, dir string) (string, error) {
	return providers.DetectFiles(ctx, fsys, dir, "uv.lock", "poetry.lock", "Pipfile.lock", "Pipfile", "requirements.txt", "pyproject.toml", "setup.py")
}

type planner struct {
	req providers.Request
	m   *manifest.Manifest
	// member is the app's directory under the root (Manifest.Member: a
	// workspace's member, or an app whose path dependencies are beside
	// it), "." when the app's directory is the root.
	member string
	kind   string
	// file is the dependency file, dir its directory (the project root).
	file, dir string
	depsRange manifest.Range
	pyproject *pyproject
	lockReqs  string // Pipfile.lock converted
	reqFiles  []string
	// reqDests are where pip reads reqFiles in the builder.
	reqDests []string
	// reqLocal is set when the requirements install from local paths in
	// the app's directory (or absolute ones): the sources are needed.
	reqLocal bool
	// deps are the local packages copied into the builder before the
	// install (pathdeps.go).
	deps    []pathDep
	minor   string
	builder plan.Image
	runtime plan.Image
	// scriptFile is the context file the interpreter runs.
	scriptFile *plan.ContextFile
	command    []string
	script     string
	name       string
	// findings are what `--call=check` reports of the dependencies.
	findings []check.Finding
	// ws is the uv workspace the app is a member of, if any (dir is then
	// the member's directory, file the root's uv.lock).
	ws *uvWorkspace
}

// Ecosystem implements providers.Provider.
func (Provider) Ecosystem() providers.Ecosystem {
	return providers.Ecosystem{
		Fields: map[string]string{
			"version":        "a CPython minor: " + strings.Join(Minors(), ", ") + "; default: .python-version, else requires-python (pyproject.toml, uv.lock) or Pipfile.lock's python_version, else " + DefaultVersion,
			"dependencies":   "uv.lock, poetry.lock, Pipfile.lock, a requirements .txt file or pyproject.toml; detected in that order",
			"entrypoint":     "python and python3 are the environment's interpreter; a bare name is a console script of the installed packages; x.py runs with the interpreter. Default: main.py, app.py or __main__.py, else the project's single console script",
			"main":           "a module run with python -m when no entrypoint is given",
			"base":           "default: distroless python3-debian13 for the Python it ships, else cc-debian13 with the builder's interpreter transplanted",
			"build-packages": "e.g. [gcc, libpq-dev] for sdists that compile",
		},
		CAEnv:     []string{"PIP_CERT", "REQUESTS_CA_BUNDLE", "CARGO_HTTP_CAINFO"},
		Helpers:   map[string]providers.Helper{"python-finalize": finalizeMain},
		Workspace: workspace,
	}
}

// Prepare implements providers.Provider.
func (Provider) Prepare(ctx context.Context, req providers.Request) (*providers.Project, error) {
	pl := &planner{req: req, m: req.Manifest, member: path.Clean(cmpOr(req.Manifest.Member, "."))}
	var ps providers.Passes
	deps := ps.Run(ctx, pl.dependencies)
	// The manifest's version needs nothing read; the project's is in its
	// files.
	version := ps.Run(ctx, pl.version, deps || pl.m.Version.Set())
	ps.Run(ctx, pl.images, version)
	ps.Run(ctx, pl.entrypoint, deps, version)
	ps.Run(ctx, func(context.Context) error {
		_, err := providers.BuildPackages(pl.m)
		return err
	})
	if err := ps.Err(); err != nil {
		return nil, err
	}
	return &providers.Project{Findings: pl.findings, Build: pl.platformBuild}, nil
}

func (pl *planner) read(ctx context.Context, name string) ([]byte, bool, error) {
	return providers.ReadFile(ctx, pl.req.FS, name)
}

var (
	fastapiRE = regexp.MustCompile(`(?m)^(\w+)\s*=\s*FastAPI\(`)
	flaskRE   = regexp.MustCompile(`(?m)^(\w+)\s*=\s*Flask\(`)
	// pyPortRE finds the port of a server the script starts itself:
	// HTTPServer(("", 8000), …), app.run(port=5000), uvicorn.run(…, port=8000).
	pyPortRE = regexp.MustCompile(`(?:HTTPServer\(\(\s*"[^"]*",\s*|\bport\s*=\s*)(\d{2,5})\b`)
)

// Suggest implements providers.Suggester: a FastAPI app served by
// uvicorn, a Flask app by gunicorn when the dependencies have it (the
// frameworks' production servers, on their port), else the port the
// script's own server listens on.
func (Provider) Suggest(ctx context.Context, fsys providers.FS, dir string) (providers.Suggestion, error) {
	var deps []byte
	for _, f := range []string{"requirements.txt", "pyproject.toml", "Pipfile", "uv.lock", "poetry.lock"} {
		if data, ok, err := providers.ReadFile(ctx, fsys, path.Join(dir, f)); err != nil {
			return providers.Suggestion{}, err
		} else if ok {
			deps = append(deps, data...)
		}
	}
	s, err := suggest(ctx, fsys, dir, deps)
	s.SuggestBuildPackages(nativeDeps, func(name string) bool { return requirementRE(name).Match(deps) })
	return s, err
}

// nativeDeps are packages PyPI serves no Linux wheel of (psycopg2-binary,
// not psycopg2, is the wheel): pip compiles them, with the builder's
// compiler, against these libraries' headers.
var nativeDeps = []providers.NativeDep{
	{Name: "psycopg2", Packages: []string{"gcc", "libc6-dev", "libpq-dev"}},
	{Name: "mysqlclient", Packages: []string{"gcc", "libc6-dev", "pkg-config", "default-libmysqlclient-dev"}},
	{Name: "python-ldap", Packages: []string{"gcc", "libc6-dev", "libldap-dev", "libsasl2-dev"}},
	{Name: "pygraphviz", Packages: []string{"gcc", "libc6-dev", "libgraphviz-dev"}},
}

// requirementRE matches name as a requirement in any of Python's
// dependency files: requirements lines, pyproject and Pipfile entries,
// lock records (name = "psycopg2"); not a longer name (psycopg2-binary).
func requirementRE(name string) *regexp.Regexp {
	return regexp.MustCompile(`(?im)(^|["'\s])` + regexp.QuoteMeta(name) + `\s*($|[=<>~!;,\["'\s])`)
}

// suggest is the command and port, from the app's scripts and its
// dependency files' text (deps).
func suggest(ctx context.Context, fsys providers.FS, dir string, deps []byte) (providers.Suggestion, error) {
	files := []string{"main.py", "app.py", "server.py", "wsgi.py", "asgi.py", "src/app.py", "src/main.py"}
	for _, f := range files {
		data, ok, err := providers.ReadFile(ctx, fsys, path.Join(dir, f))
		if err != nil {
			return providers.Suggestion{}, err
		}
		if !ok {
			continue
		}
		module := strings.ReplaceAll(strings.TrimSuffix(f, ".py"), "/", ".")
		if m := fastapiRE.FindSubmatch(data); m != nil && bytes.Contains(deps, []byte("uvicorn")) {
			return providers.Suggestion{
				Entrypoint:    []string{"uvicorn", module + ":" + string(m[1]), "--host", "0.0.0.0", "--port", "8000"},
				EntrypointWhy: fmt.Sprintf("the FastAPI app %s in %s, served by uvicorn (in the dependencies)", m[1], f),
				Port:          8000, PortWhy: "the port of the entrypoint",
			}, nil
		}
		if m := flaskRE.FindSubmatch(data); m != nil && bytes.Contains(deps, []byte("gunicorn")) {
			return providers.Suggestion{
				Entrypoint:    []string{"gunicorn", "--bind", "0.0.0.0:8000", module + ":" + string(m[1])},
				EntrypointWhy: fmt.Sprintf("the Flask app %s in %s, served by gunicorn (in the dependencies)", m[1], f),
				Port:          8000, PortWhy: "the port of the entrypoint",
			}, nil
		}
	}
	port, why, err := providers.ScanPort(ctx, fsys, dir, files, pyPortRE, providers.EnvPortRE)
	s := providers.Suggestion{Port: port, PortWhy: why}
	if err != nil {
		return s, err
	}
	// A script below the root (src/app.py), which distill's defaults do
	// not look for: the first of the conventional names.
	for _, f := range []string{"main.py", "app.py", "__main__.py"} {
		if ok, err := providers.Exists(ctx, fsys, path.Join(dir, f)); err != nil || ok {
			return s, err
		}
	}
	for _, f := range []string{"src/app.py", "src/main.py", "server.py"} {
		if ok, err := providers.Exists(ctx, fsys, path.Join(dir, f)); err != nil {
			return s, err
		} else if ok {
			s.Entrypoint, s.EntrypointWhy = []string{"python", f}, f+", the app's script (no main.py or app.py at the root)"
			return s, nil
		}
	}
	// The one script at the root (worker.py), tests and packaging aside.
	entries, err := fsys.ReadDir(ctx, dir)
	if err != nil {
		return s, nil // no listing: no suggestion
	}
	var scripts []string
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && strings.HasSuffix(n, ".py") && n != "setup.py" && n != "conftest.py" && !strings.HasPrefix(n, "test_") && !strings.HasSuffix(n, "_test.py") {
			scripts = append(scripts, n)
		}
	}
	if len(scripts) == 1 {
		s.Entrypoint, s.EntrypointWhy = []string{"python", scripts[0]}, scripts[0]+", the one script at the app's root"
	}
	return s, nil
}
