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
	"fmt"
	"path"
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

// detectOrder is the order dependency files are looked for.
var detectOrder = []struct{ file, kind string }{
	{"uv.lock", managerUV},
	{"poetry.lock", managerPoetry},
	{"Pipfile.lock", managerPipenv},
	{"requirements.txt", managerPip},
	{"pyproject.toml", managerProject},
}

// Provider is the Python provider.
type Provider struct{}

var _ providers.Provider = Provider{}

// Language implements providers.Provider.
func (Provider) Language() string { return "python" }

type planner struct {
	req  providers.Request
	m    *manifest.Manifest
	kind string
	// file is the dependency file, dir its directory (the project root).
	file, dir string
	depsRange manifest.Range
	pyproject *pyproject
	lockReqs  string // Pipfile.lock converted
	reqFiles  []string
	reqLocal  bool
	minor     string
	builder   plan.Image
	runtime   plan.Image
	// scriptFile is the context file the interpreter runs.
	scriptFile *plan.ContextFile
	command    []string
	script     string
	name       string
	// findings are what `--call=check` reports of the dependencies.
	findings []check.Finding
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
		CAEnv:   []string{"PIP_CERT", "REQUESTS_CA_BUNDLE", "CARGO_HTTP_CAINFO"},
		Helpers: map[string]providers.Helper{"python-finalize": finalizeMain},
	}
}

// Prepare implements providers.Provider.
func (Provider) Prepare(ctx context.Context, req providers.Request) (*providers.Project, error) {
	pl := &planner{req: req, m: req.Manifest}
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

// dependencies finds the dependency file and reads what planning needs.
func (pl *planner) dependencies(ctx context.Context) error {
	m := pl.m
	pl.depsRange = m.Language.Range
	if m.Dependencies.Set() {
		pl.depsRange = m.Dependencies.Range
		f := path.Clean(strings.TrimPrefix(m.Dependencies.Value, "./"))
		if path.IsAbs(f) || f == ".." || strings.HasPrefix(f, "../") {
			return providers.Fail(pl.m, pl.depsRange, "use a path inside the build context", "dependency file %q leaves the build context", m.Dependencies.Value)
		}
		base := path.Base(f)
		switch {
		case base == "uv.lock":
			pl.kind = managerUV
		case base == "poetry.lock":
			pl.kind = managerPoetry
		case base == "Pipfile.lock":
			pl.kind = managerPipenv
		case base == "Pipfile":
			return providers.Fail(pl.m, pl.depsRange, "run `pipenv lock` and name Pipfile.lock", "Pipfile alone does not pin versions")
		case base == "pyproject.toml":
			pl.kind = managerProject
		case strings.HasSuffix(base, ".txt") || strings.HasSuffix(base, ".in"):
			pl.kind = managerPip
		default:
			return providers.Fail(pl.m, pl.depsRange, "name uv.lock, poetry.lock, Pipfile.lock, a requirements .txt file or pyproject.toml", "%q is not a Python dependency file", m.Dependencies.Value)
		}
		pl.file, pl.dir = f, path.Dir(f)
		ok, err := providers.Exists(ctx, pl.req.FS, f)
		if err != nil {
			return err
		}
		if !ok {
			return providers.Fail(pl.m, pl.depsRange, "check the path and that .dockerignore does not exclude it", "dependency file %q is not in the build context", f)
		}
	} else {
		pl.kind, pl.dir = managerNone, "."
		for _, d := range detectOrder {
			ok, err := providers.Exists(ctx, pl.req.FS, d.file)
			if err != nil {
				return err
			}
			if ok {
				pl.kind, pl.file = d.kind, d.file
				break
			}
		}
		if pl.kind == managerNone {
			if ok, _ := providers.Exists(ctx, pl.req.FS, "Pipfile"); ok {
				return providers.Fail(pl.m, pl.depsRange, "run `pipenv lock` and add Pipfile.lock to the context", "Pipfile has no Pipfile.lock next to it: versions are not pinned")
			}
		}
	}

	// Projects managed by uv and Poetry need their pyproject.toml.
	if pl.kind == managerUV || pl.kind == managerPoetry || pl.kind == managerProject {
		pp := path.Join(pl.dir, "pyproject.toml")
		data, ok, err := pl.read(ctx, pp)
		if err != nil {
			return err
		}
		if !ok {
			return providers.Fail(pl.m, pl.depsRange, "add the project's pyproject.toml next to the lock file", "%s needs %s, which is not in the build context", pl.file, pp)
		}
		p, err := parsePyproject(data)
		if err != nil {
			return providers.Fail(pl.m, pl.depsRange, "fix pyproject.toml", "%s: %v", pp, err)
		}
		pl.pyproject = p
		pl.name = p.name()
		if pl.kind == managerProject && p.Project != nil && len(p.Project.Dependencies) > 0 {
			pl.findings = append(pl.findings, check.Finding{Rule: check.DependenciesWithoutLock, Range: pl.depsRange,
				Msg:  fmt.Sprintf("%s has no lock next to it: its dependencies resolve to the newest matching versions on every build", pp),
				Hint: "run `uv lock` (or `poetry lock`) and add the lock file to the context"})
		}
	}
	switch pl.kind {
	case managerPipenv:
		data, _, err := pl.read(ctx, pl.file)
		if err != nil {
			return err
		}
		reqs, _, err := pipenvRequirements(data)
		if err != nil {
			return providers.Fail(pl.m, pl.depsRange, "run `pipenv lock` to regenerate it", "%s: %v", pl.file, err)
		}
		pl.lockReqs = reqs
	case managerPip:
		seen := map[string]bool{}
		queue := []string{pl.file}
		for len(queue) > 0 {
			f := queue[0]
			queue = queue[1:]
			if seen[f] {
				continue
			}
			seen[f] = true
			data, ok, err := pl.read(ctx, f)
			if err != nil {
				return err
			}
			if !ok {
				return providers.Fail(pl.m, pl.depsRange, "add it to the build context or remove the -r/-c line", "%s includes %s, which is not in the build context", pl.file, f)
			}
			pl.reqFiles = append(pl.reqFiles, f)
			if loose := unpinnedRequirements(data); len(loose) > 0 {
				pl.findings = append(pl.findings, check.Finding{Rule: check.DependenciesWithoutLock, Range: pl.depsRange,
					Msg:  fmt.Sprintf("%s does not pin %s: every build may install other versions", f, strings.Join(loose, ", ")),
					Hint: "pin every requirement (pip freeze, pip-compile --generate-hashes, uv pip compile) or use a lock file (uv.lock, poetry.lock)"})
			}
			refs, local := requirementsRefs(data)
			pl.reqLocal = pl.reqLocal || local
			for _, r := range refs {
				rp := path.Join(path.Dir(f), r)
				if path.IsAbs(r) || strings.HasPrefix(rp, "../") {
					return providers.Fail(pl.m, pl.depsRange, "keep included requirement files inside the build context", "%s includes %s, outside the build context", f, r)
				}
				queue = append(queue, rp)
			}
		}
	}
	return nil
}
