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
	"github.com/containerd/platforms"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
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

// build is the plan of one target platform.
func (pl *planner) build(p ocispecs.Platform, mode, why string) (providers.Build, error) {
	m := pl.m
	builderPlatform, suffix := pl.req.BuildPlatform, ""
	switch mode {
	case emulated:
		builderPlatform, suffix = p, providers.Emulated(p, why)
	case cross, installs:
		suffix = " (for " + platforms.Format(p) + ", from " + platforms.Format(pl.req.BuildPlatform) + ")"
	}
	langOrigin := providers.Origin("language", m.Language.Range)
	depsOrigin := providers.DependenciesOrigin(m)
	pyexe := "python" + pl.minor
	pipEnv := []string{
		"PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_INPUT=1", "PIP_ROOT_USER_ACTION=ignore",
		"PIP_CACHE_DIR=" + pipCache, "PYTHONDONTWRITEBYTECODE=1",
	}
	pipCaches := []plan.Cache{{ID: "pip", Target: pipCache, Sharing: "shared"}}
	secrets := indexSecrets()
	pipInstall := func(args ...string) []string {
		return append([]string{pyexe, "-m", "pip", "--python", pl.python(), "install", "--no-compile"}, args...)
	}
	// depsInstall is the install of the locked dependencies: for another
	// platform, its wheels, reporting whether there were all.
	var probe string
	depsInstall := func(args ...string) []string {
		if mode != cross {
			return pipInstall(args...)
		}
		probe = crossProbe
		return pl.probed(pipInstall(append(pl.crossPip(p), args...)...))
	}
	run := func(name string, origin plan.Origin, r plan.Run) plan.Step {
		r.Dir = cmpOr(r.Dir, providers.AppDir)
		return plan.Step{Name: "[python] " + name + suffix, Origin: origin, Run: &r}
	}
	// inTarget is a step run by the target's builder instead, for reason.
	inTarget := func(reason string, s plan.Step, setup []plan.Step, dirs ...string) plan.Step {
		builder := pl.builder
		builder.Platform = platforms.Format(p)
		return providers.InTarget(s, builder, providers.Emulated(p, reason), suffix, setup, dirs...)
	}
	// install is a step that installs packages: in installs mode, run by
	// the target's builder (the rest of the build stays native).
	install := func(s plan.Step, setup []plan.Step, dirs ...string) plan.Step {
		if mode != installs {
			return s
		}
		return inTarget(why, s, setup, dirs...)
	}
	// fallback is a cross install's replacement when a wheel is missing:
	// the same install run by the target's builder on the app directory
	// (the environment) and the generated requirements it reads.
	fallback := func(name string, origin plan.Origin, r plan.Run, setup []plan.Step, dirs ...string) *plan.Step {
		if mode != cross {
			return nil
		}
		s := inTarget("a dependency has no wheel for it", run(name, origin, r), setup, dirs...)
		return &s
	}

	var steps []plan.Step
	if m.BuildPackages.Set() {
		pkgs, err := providers.BuildPackages(m)
		if err != nil {
			return providers.Build{}, err
		}
		origin := providers.Origin("build-packages", m.BuildPackages.Range)
		steps = append(steps, run("apt-get install "+strings.Join(pkgs, " "), origin, providers.AptInstall(pkgs)))
	}
	steps = append(steps, run("create the virtual environment "+VenvDir, langOrigin, plan.Run{
		Args: []string{pyexe, "-m", "venv", "--without-pip", VenvDir}, Dir: "/",
	}))

	projectDir := path.Join(providers.AppDir, pl.dir)
	// Build-context files the app never reads at run time.
	exclude := []string{".git", ".dockerignore", "**/.venv", "**/__pycache__", "**/*.pyc", pl.m.File, pl.m.File + ".dockerignore"}
	// Lock and requirements files are read by the install steps only.
	installOnly := pl.reqFiles
	for _, f := range []string{"uv.lock", "poetry.lock", "Pipfile", "Pipfile.lock"} {
		installOnly = append(installOnly, path.Join(pl.dir, f))
	}
	exclude = append(exclude, installOnly...)
	packageProject := false

	switch pl.kind {
	case managerPip:
		steps = append(steps, plan.Step{Name: "[python] copy " + strings.Join(pl.reqFiles, ", "), Origin: depsOrigin,
			Copy: &plan.Copy{Paths: pl.reqFiles, Dest: providers.AppDir}})
		if !pl.reqLocal {
			args := depsInstall("-r", path.Join(providers.AppDir, pl.file))
			steps = append(steps, run("pip install -r "+pl.file, depsOrigin, plan.Run{
				Args: args, Env: pipEnv, Caches: pipCaches, Network: true, Secrets: secrets, Probe: probe,
				Fallback: fallback("pip install -r "+pl.file, depsOrigin, plan.Run{
					Args: pipInstall("-r", path.Join(providers.AppDir, pl.file)), Env: pipEnv, Caches: pipCaches, Network: true, Secrets: secrets,
				}, nil, providers.AppDir),
			}))
		}
	case managerPipenv:
		lock := path.Join(lockDir, "Pipfile.lock.txt")
		hashed := []string{"--require-hashes", "--no-deps", "-r", lock}
		args := depsInstall(hashed...)
		name := "pip install " + pl.file + " (default packages, hashes checked)"
		steps = append(steps,
			plan.Step{Name: "[python] requirements from " + pl.file, Origin: depsOrigin, Write: &plan.Write{Path: lock, Content: pl.lockReqs}},
			run(name, depsOrigin, plan.Run{
				Args: args, Env: pipEnv, Caches: pipCaches, Network: true, Secrets: secrets, Probe: probe,
				Fallback: fallback(name, depsOrigin, plan.Run{
					Args: pipInstall(hashed...), Env: pipEnv, Caches: pipCaches, Network: true, Secrets: secrets,
				}, nil, providers.AppDir, lockDir),
			}))
	case managerUV, managerPoetry:
		var t lockTool
		if pl.kind == managerUV {
			uv := path.Join(toolsDir, "uv", "bin", "uv")
			t = lockTool{
				install: run("install uv "+UVVersion, langOrigin, plan.Run{
					Args: []string{pyexe, "-m", "pip", "install", "--no-compile", "--target", path.Join(toolsDir, "uv"), "uv==" + UVVersion},
					Dir:  "/", Env: pipEnv, Caches: pipCaches, Network: true, Secrets: secrets,
				}),
				env: []string{"UV_PROJECT_ENVIRONMENT=" + VenvDir, "UV_PYTHON_DOWNLOADS=never", "UV_LINK_MODE=copy",
					"UV_COMPILE_BYTECODE=0", "UV_CACHE_DIR=" + uvCache, "UV_SYSTEM_CERTS=1", "UV_NO_PROGRESS=1"},
				cache:   plan.Cache{ID: "uv", Target: uvCache, Sharing: "shared"},
				deps:    []string{uv, "sync", "--frozen", "--no-dev", "--no-install-project", "--no-editable"},
				project: []string{uv, "sync", "--frozen", "--no-dev", "--no-editable"},
			}
		} else {
			poetryVenv := path.Join(toolsDir, "poetry")
			poetry := path.Join(poetryVenv, "bin", "poetry")
			t = lockTool{
				install: run("install poetry "+PoetryVersion, langOrigin, plan.Run{
					Args: []string{"sh", "-c", `"$0" -m venv "$1" && "$1/bin/pip" install --no-compile "poetry==$2"`, pyexe, poetryVenv, PoetryVersion},
					Dir:  "/", Env: pipEnv, Caches: pipCaches, Network: true, Secrets: secrets,
				}),
				env:     []string{"VIRTUAL_ENV=" + VenvDir, "POETRY_VIRTUALENVS_CREATE=false", "POETRY_CACHE_DIR=" + poetryCache, "POETRY_NO_INTERACTION=1"},
				cache:   plan.Cache{ID: "poetry", Target: poetryCache, Sharing: "locked"},
				deps:    []string{poetry, "install", "--only", "main", "--no-root", "--no-ansi"},
				project: []string{poetry, "install", "--only", "main", "--no-ansi"},
			}
		}
		env := append(slices.Clone(pipEnv), t.env...)
		caches := append(slices.Clone(pipCaches), t.cache)
		files := []string{path.Join(pl.dir, "pyproject.toml"), pl.file}
		toolRun := func(args []string, origin plan.Origin) plan.Step {
			return run(path.Base(args[0])+" "+strings.Join(args[1:], " "), origin, plan.Run{
				Args: args, Dir: projectDir, Env: env, Caches: caches, Network: true, Secrets: secrets,
			})
		}
		deps := install(toolRun(t.deps, depsOrigin), []plan.Step{t.install}, providers.AppDir)
		if mode == cross {
			deps.Run.Fallback = fallback(path.Base(t.deps[0])+" "+strings.Join(t.deps[1:], " "), depsOrigin, plan.Run{
				Args: t.deps, Dir: projectDir, Env: env, Caches: caches, Network: true, Secrets: secrets,
			}, []plan.Step{t.install}, providers.AppDir)
			// uv selects the target's wheels itself, into the environment;
			// --no-build makes a missing wheel an error the probe reports.
			deps.Run.Args = pl.probed(append(slices.Clone(t.deps), "--no-build", "--python-platform", uvPlatform[p.Architecture]+"-manylinux_2_40"))
			deps.Run.Probe = crossProbe
		}
		if mode != installs {
			// (Else only steps in the target's builder run the tool.)
			steps = append(steps, t.install)
		}
		steps = append(steps,
			plan.Step{Name: "[python] copy " + strings.Join(files, ", "), Origin: depsOrigin, Copy: &plan.Copy{Paths: files, Dest: providers.AppDir}},
			deps)
		if pl.pyproject.isPackage(pl.kind) {
			// The project itself is a package: installed once its sources
			// are there.
			packageProject = true
			steps = append(steps, plan.Step{Name: "[python] copy sources", Origin: langOrigin, Copy: &plan.Copy{Dest: providers.AppDir, Exclude: exclude}},
				install(toolRun(t.project, langOrigin), []plan.Step{t.install}, providers.AppDir))
		}
	case managerProject:
		// A project without a lock is installed as a package; its static
		// dependencies are installed first, in a step that only the
		// dependency list invalidates.
		pp := pl.pyproject
		if pp.Project != nil && len(pp.Project.Dependencies) > 0 && !slices.Contains(pp.Project.Dynamic, "dependencies") {
			reqs := "# generated by distill from " + pl.file + " [project.dependencies]\n" + strings.Join(pp.Project.Dependencies, "\n") + "\n"
			lock := path.Join(lockDir, "pyproject-dependencies.txt")
			steps = append(steps,
				plan.Step{Name: "[python] dependencies of " + pl.file, Origin: depsOrigin, Write: &plan.Write{Path: lock, Content: reqs}},
				install(run("pip install "+pl.file+" dependencies", depsOrigin, plan.Run{
					Args: pipInstall("-r", lock), Env: pipEnv, Caches: pipCaches, Network: true, Secrets: secrets,
				}), nil, providers.AppDir, lockDir))
		}
		// Built from a copy outside /app: an in-tree build leaves build/
		// and *.egg-info behind, which the image does not need.
		projectDir = path.Join(srcDir, pl.dir)
		steps = append(steps, plan.Step{Name: "[python] copy sources to build the project", Origin: langOrigin, Copy: &plan.Copy{Dest: srcDir, Exclude: exclude}},
			install(run("pip install "+path.Dir(pl.file)+" (the project)", depsOrigin, plan.Run{
				Args: pipInstall(projectDir), Dir: projectDir, Env: pipEnv, Caches: pipCaches, Network: true, Secrets: secrets,
			}), nil, providers.AppDir, srcDir))
	}
	finalize := []string{providers.HelperBin, "python-finalize",
		"--venv", VenvDir, "--python", pl.minor, "--runtime", providers.RuntimeMount, "--out", providers.Sysroot, "--scan", providers.AppDir}
	if pl.script != "" {
		finalize = append(finalize, "--script", pl.script)
	}
	what := "use the runtime's python" + pl.minor
	if !pl.shipsPython() {
		what = "transplant python" + pl.minor + " if the runtime has none"
	}
	finalizeStep := run(what+"; carry needed shared libraries", langOrigin, plan.Run{
		Args: finalize, Dir: "/",
		Mounts: []plan.Mount{
			{From: plan.MountFrontend, Target: providers.HelperMount},
			{From: plan.MountRuntime, Target: providers.RuntimeMount},
		},
	})
	// Bytecode, compiled here: the image's user cannot write __pycache__,
	// so without it every start compiles every module. unchecked-hash
	// pycs hold no timestamps (reproducible) and skip the source check at
	// import. Like pip, a file that does not compile (a template named
	// .py, code for another Python) stays source only.
	compile := func(name string, skip []string, dirs ...string) plan.Step {
		args := []string{"sh", "-c", `"$0" -m compileall -q -j 0 --invalidation-mode unchecked-hash "$@" || echo "distill: some files did not compile; they stay source only"`, pyexe}
		if script := pl.mainScript(); script != "" {
			// The script python runs is __main__, compiled in memory at
			// every start: its .pyc would never be read.
			skip = append(skip, "^"+regexp.QuoteMeta(script)+"$")
		}
		if len(skip) > 0 {
			args = append(args, "-x", strings.Join(skip, "|"))
		}
		return run(name, langOrigin, plan.Run{Args: append(args, dirs...), Dir: "/"})
	}
	reqLocal := pl.kind == managerPip && pl.reqLocal
	if packageProject || reqLocal {
		// The environment is complete only once the sources are in.
		if !packageProject {
			steps = append(steps, plan.Step{Name: "[python] copy sources", Origin: langOrigin, Copy: &plan.Copy{Dest: providers.AppDir, Exclude: exclude}},
				// Local paths in the requirements need the sources.
				install(run("pip install -r "+pl.file, depsOrigin, plan.Run{
					Args: pipInstall("-r", path.Join(providers.AppDir, pl.file)), Env: pipEnv, Caches: pipCaches, Network: true, Secrets: secrets,
				}), nil, providers.AppDir))
		}
		steps = append(steps, finalizeStep, compile("compile bytecode", nil, providers.AppDir, providers.Sysroot))
	} else {
		// Everything derived from the dependencies happens before the
		// sources arrive, so a source change re-runs none of it.
		steps = append(steps, finalizeStep,
			compile("compile bytecode of the environment", nil, VenvDir, providers.Sysroot),
			plan.Step{Name: "[python] copy sources", Origin: langOrigin, Copy: &plan.Copy{Dest: providers.AppDir, Exclude: exclude}},
			compile("compile bytecode of the app", []string{"^" + regexp.QuoteMeta(VenvDir+"/")}, providers.AppDir))
	}

	// Two layers: what the dependencies give (the environment, the
	// runtime's extra libraries, a transplanted interpreter), which a
	// source change leaves as it is, then the app's own files.
	artifacts := []plan.Artifact{
		{From: plan.FromBuilder, Src: providers.Sysroot, Dest: "/", Layer: "dependencies", Origin: depsOrigin},
		{From: plan.FromBuilder, Src: VenvDir, Dest: VenvDir, Layer: "dependencies", Origin: depsOrigin},
		{From: plan.FromBuilder, Src: providers.AppDir, Dest: providers.AppDir, Exclude: append([]string{".venv"}, installOnly...), Layer: "app", Origin: langOrigin},
	}
	name := pl.name
	if name == "" {
		name = "app"
	}
	builder := pl.builder
	builder.Platform = platforms.Format(builderPlatform)
	runtime := pl.runtime
	return providers.Build{
		Builder:       builder,
		Flavour:       providers.CC,
		FlavourReason: "Python interpreter and compiled extensions",
		Runtime:       &runtime,
		Script:        pl.scriptFile,
		Steps:         steps,
		Artifacts:     artifacts,
		Command:       slices.Clone(pl.command),
		Entrypoint:    slices.Clone(pl.command),
		Name:          name,
		Env: []string{
			"LANG=C.UTF-8",
			"PATH=" + VenvDir + "/bin:${PATH}",
			"PYTHONUNBUFFERED=1",
		},
	}, nil
}

// lockTool is how a lock file's own tool installs it: the step installing
// the tool, its environment and cache, and its commands for the
// dependencies alone and for the project.
type lockTool struct {
	install       plan.Step
	env           []string
	cache         plan.Cache
	deps, project []string
}

// indexSecrets are the build secrets a step that installs packages may
// use for a private index: its URL (credentials included) and a netrc.
// Every one is optional; none reaches a layer.
func indexSecrets() []plan.Secret {
	return []plan.Secret{
		{ID: "pip-index-url", Env: "PIP_INDEX_URL"},
		{ID: "pip-index-url", Env: "UV_INDEX_URL"},
		{ID: "pip-extra-index-url", Env: "PIP_EXTRA_INDEX_URL"},
		{ID: "pip-extra-index-url", Env: "UV_EXTRA_INDEX_URL"},
		{ID: "netrc", Target: "/root/.netrc"},
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
