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
	"context"
	"path"

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
			"version":        "a CPython release, e.g. \"3.13\"; default: .python-version, else requires-python (pyproject.toml, uv.lock) or Pipfile.lock's python_version, else " + DefaultVersion,
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
	for _, step := range []func(context.Context) error{pl.dependencies, pl.version, pl.images, pl.entrypoint} {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	return &providers.Project{Findings: pl.findings, Build: pl.platformBuild}, nil
}

func (pl *planner) read(ctx context.Context, name string) ([]byte, bool, error) {
	return providers.ReadFile(ctx, pl.req.FS, name)
}
