package python

import (
	"path"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// installer makes the steps of one target platform: how they are named,
// where they run (the build platform, or the target's builder under
// emulation) and what the steps that install packages share.
type installer struct {
	pl *planner
	// p is the target platform, mode how its packages are installed
	// (native, cross, installs, emulated) and why, when not from the build
	// platform.
	p         ocispecs.Platform
	mode, why string
	// suffix ends the names of the steps for another platform.
	suffix string
	// builderPlatform is the platform of the builder the steps run in.
	builderPlatform        ocispecs.Platform
	langOrigin, depsOrigin plan.Origin
	// pyexe is the builder's interpreter.
	pyexe     string
	pipEnv    []string
	pipCaches []plan.Cache
	secrets   []plan.Secret
	// exclude are the build-context files the app never reads at run
	// time; installOnly those of them the install steps read.
	exclude, installOnly []string
}

func (pl *planner) newInstaller(p ocispecs.Platform, mode, why string) *installer {
	m := pl.m
	in := &installer{pl: pl, p: p, mode: mode, why: why, builderPlatform: pl.req.BuildPlatform,
		langOrigin: providers.Origin("language", m.Language.Range),
		depsOrigin: providers.DependenciesOrigin(m),
		pyexe:      "python" + pl.minor,
		pipEnv: []string{
			"PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_INPUT=1", "PIP_ROOT_USER_ACTION=ignore",
			"PIP_CACHE_DIR=" + pipCache, "PYTHONDONTWRITEBYTECODE=1",
		},
		pipCaches: []plan.Cache{{ID: "pip", Target: pipCache, Sharing: "shared"}},
		secrets:   indexSecrets(),
	}
	switch mode {
	case emulated:
		in.builderPlatform, in.suffix = p, providers.Emulated(p, why)
	case cross, installs:
		in.suffix = " (for " + platforms.Format(p) + ", from " + platforms.Format(pl.req.BuildPlatform) + ")"
	}
	// A member's directory is the app's: paths relative to it.
	appFile, lockDir := pl.inApp(m.AppPath()), pl.inApp(pl.dir)
	in.exclude = []string{".git", ".dockerignore", "**/.venv", "**/__pycache__", "**/*.pyc", appFile, appFile + ".dockerignore"}
	// Lock and requirements files are read by the install steps only.
	for _, f := range pl.reqFiles {
		if within(f, pl.member) {
			in.installOnly = append(in.installOnly, pl.inApp(f))
		}
	}
	for _, f := range []string{"uv.lock", "poetry.lock", "Pipfile", "Pipfile.lock"} {
		in.installOnly = append(in.installOnly, path.Join(lockDir, f))
	}
	in.exclude = append(in.exclude, in.installOnly...)
	if pl.ws != nil && pl.ws.member == "." {
		// The root's project is the app: the other members are not.
		in.exclude = append(in.exclude, pl.ws.otherMembers()...)
	}
	return in
}

// run is a step running r, in the app directory unless r says otherwise.
func (in *installer) run(name string, origin plan.Origin, r plan.Run) plan.Step {
	r.Dir = cmpOr(r.Dir, providers.AppDir)
	return plan.Step{Name: "[python] " + name + in.suffix, Origin: origin, Run: &r}
}

// inTarget is a step run by the target's builder instead, for reason.
func (in *installer) inTarget(reason string, s plan.Step, setup []plan.Step, dirs ...string) plan.Step {
	builder := in.pl.builder
	builder.Platform = platforms.Format(in.p)
	return providers.InTarget(s, builder, providers.Emulated(in.p, reason), in.suffix, setup, dirs...)
}

// install is a step that installs packages: in installs mode, run by the
// target's builder (the rest of the build stays native).
func (in *installer) install(s plan.Step, setup []plan.Step, dirs ...string) plan.Step {
	if in.mode != installs {
		return s
	}
	return in.inTarget(in.why, s, setup, dirs...)
}

// fallback is a cross install's replacement when a wheel is missing: the
// same install run by the target's builder on the app directory (the
// environment) and the generated requirements it reads.
func (in *installer) fallback(name string, origin plan.Origin, r plan.Run, setup []plan.Step, dirs ...string) *plan.Step {
	if in.mode != cross {
		return nil
	}
	s := in.inTarget("a dependency has no wheel for it", in.run(name, origin, r), setup, dirs...)
	return &s
}

// pipInstall is the builder's pip installing into the environment.
func (in *installer) pipInstall(args ...string) []string {
	return append([]string{in.pyexe, "-m", "pip", "--python", in.pl.python(), "install", "--no-compile"}, args...)
}

// pipRun runs pip (or a tool pip installs) with its environment, cache
// and the index's secrets.
func (in *installer) pipRun(args []string) plan.Run {
	return plan.Run{Args: args, Env: in.pipEnv, Caches: in.pipCaches, Network: true, Secrets: in.secrets}
}

// lockedInstall is pip's install of locked dependencies (pip install
// args): for another platform, its wheels, reporting whether there were
// all, with the install by the target's builder on dirs as fallback.
func (in *installer) lockedInstall(name string, args []string, dirs ...string) plan.Step {
	r := in.pipRun(in.pipInstall(args...))
	if in.mode == cross {
		r.Args = in.pl.probed(in.pipInstall(append(in.pl.crossPip(in.p), args...)...))
		r.Probe = crossProbe
		r.Fallback = in.fallback(name, in.depsOrigin, in.pipRun(in.pipInstall(args...)), nil, dirs...)
	}
	return in.run(name, in.depsOrigin, r)
}

// copySources copies the build context into the app directory: the
// member's directory, when the app is one (of a workspace, or with its
// path dependencies beside it).
func (in *installer) copySources() plan.Step {
	if member := in.pl.member; member != "." {
		what := "the app's member"
		if in.pl.ws == nil {
			what = "the app's directory"
		}
		return plan.Step{Name: "[python] copy " + member + " (" + what + ")", Origin: in.langOrigin,
			Copy: &plan.Copy{Dir: member, Dest: providers.AppDir, Exclude: in.exclude}}
	}
	return plan.Step{Name: "[python] copy sources", Origin: in.langOrigin, Copy: &plan.Copy{Dest: providers.AppDir, Exclude: in.exclude}}
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
