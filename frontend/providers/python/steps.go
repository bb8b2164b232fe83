package python

import (
	"regexp"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// managers are the steps of each dependency manager: those installing the
// dependencies (and the project), and whether they copied the sources in
// (the environment is then complete only once they are).
var managers = map[string]func(*installer) (steps []plan.Step, sources bool){
	managerPip:     (*installer).pipSteps,
	managerPipenv:  (*installer).pipenvSteps,
	managerUV:      (*installer).uvSteps,
	managerPoetry:  (*installer).poetrySteps,
	managerProject: (*installer).projectSteps,
}

// build is the plan of one target platform.
func (pl *planner) build(p ocispecs.Platform, mode, why string) (providers.Build, error) {
	in := pl.newInstaller(p, mode, why)
	steps, err := in.buildPackages()
	if err != nil {
		return providers.Build{}, err
	}
	sources := false
	var deps []plan.Step
	if manager := managers[pl.kind]; manager != nil {
		deps, sources = manager(in)
	}
	steps = append(steps, in.withVenv(deps)...)
	finish := in.finish(sources)
	steps = append(steps, finish...)
	b := in.result(steps)
	if !sources {
		// The sources arrive after the environment's bytecode: the
		// environment and the carried libraries are complete then.
		for i := range b.Artifacts {
			if b.Artifacts[i].Layer == "dependencies" {
				b.Artifacts[i].AfterStep = finish[0].Name
			}
		}
	}
	return b, nil
}

// buildPackages installs the build-packages.
func (in *installer) buildPackages() ([]plan.Step, error) {
	m := in.pl.m
	if !m.BuildPackages.Set() {
		return nil, nil
	}
	pkgs, err := providers.BuildPackages(m)
	if err != nil {
		return nil, err
	}
	origin := providers.Origin("build-packages", m.BuildPackages.Range)
	return []plan.Step{in.run("apt-get install "+strings.Join(pkgs, " "), origin, providers.AptInstall(pkgs))}, nil
}

// withVenv creates the virtual environment before deps: in the first
// step that runs, when it is a plain one (its own step costs more than
// the venv module's work), else in a step of its own (a cross install's
// fallback runs on the build as it was before its step: the environment
// must be there already).
func (in *installer) withVenv(deps []plan.Step) []plan.Step {
	venv := plan.Run{Args: []string{in.pyexe, "-m", "venv", "--without-pip", VenvDir}, Dir: "/"}
	for i, s := range deps {
		if s.Run == nil {
			continue
		}
		if !providers.Plain(s.Run) {
			break
		}
		deps = slices.Clone(deps)
		r := providers.Chain(venv, *s.Run)
		deps[i].Run = &r
		deps[i].Name = "[python] create the virtual environment " + VenvDir + "; " + strings.TrimPrefix(s.Name, "[python] ")
		return deps
	}
	return append([]plan.Step{in.run("create the virtual environment "+VenvDir, in.langOrigin, venv)}, deps...)
}

// finish points the environment at the runtime's interpreter and compiles
// bytecode, in one step. Unless the sources are already in (sources),
// everything derived from the dependencies happens before they arrive,
// so a source change re-runs none of it.
func (in *installer) finish(sources bool) []plan.Step {
	what, finalize := in.finalize()
	if sources {
		return []plan.Step{in.run(what+"; compile bytecode", in.langOrigin,
			providers.Chain(finalize, in.compile(nil, true, providers.AppDir, providers.Sysroot)))}
	}
	return []plan.Step{
		in.run(what+"; compile bytecode of the environment", in.langOrigin,
			providers.Chain(finalize, in.compile(nil, true, VenvDir, providers.Sysroot))),
		in.copySources(),
		in.run("compile bytecode of the app", in.langOrigin,
			in.compile([]string{"^" + regexp.QuoteMeta(VenvDir+"/")}, false, providers.AppDir))}
}

// finalize runs the python-finalize helper: the environment uses the
// runtime's interpreter (transplanted if the runtime has none) and the
// shared libraries it lacks are carried into the sysroot.
func (in *installer) finalize() (string, plan.Run) {
	pl := in.pl
	args := []string{providers.HelperBin, "python-finalize",
		"--venv", VenvDir, "--python", pl.minor, "--runtime", providers.RuntimeMount, "--out", providers.Sysroot, "--scan", providers.AppDir}
	if pl.script != "" {
		args = append(args, "--script", pl.script)
	}
	what := "use the runtime's python" + pl.minor
	if !pl.shipsPython() {
		what = "transplant python" + pl.minor + " if the runtime has none"
	}
	return what + "; carry needed shared libraries", plan.Run{Args: args, Dir: "/", Mounts: providers.HelperMounts()}
}

// compile is the run compiling the bytecode of dirs, but for the files skip matches.
// The image's user cannot write __pycache__, so without it every start
// compiles every module. unchecked-hash pycs hold no timestamps
// (reproducible) and skip the source check at import. Like pip, a file
// that does not compile (a template named .py, code for another Python)
// stays source only. parallel compiles with a worker per core: worth it
// for an environment's thousands of files, while for an app's few the
// worker pool's start (0.6 to 1.4 s on the lab's two loaded cores, against
// 0.2 to 0.3 s for a whole compile of one module in one process) would be
// most of the step, and of every rebuild.
func (in *installer) compile(skip []string, parallel bool, dirs ...string) plan.Run {
	jobs := "1"
	if parallel {
		jobs = "0"
	}
	args := []string{"sh", "-c", `"$0" -m compileall -q -j ` + jobs + ` --invalidation-mode unchecked-hash "$@" || echo "distill: some files did not compile; they stay source only"`, in.pyexe}
	if script := in.pl.mainScript(); script != "" {
		// The script python runs is __main__, compiled in memory at
		// every start: its .pyc would never be read.
		skip = append(skip, "^"+regexp.QuoteMeta(script)+"$")
	}
	if len(skip) > 0 {
		args = append(args, "-x", strings.Join(skip, "|"))
	}
	return plan.Run{Args: append(args, dirs...), Dir: "/"}
}

// result is the platform's build: its steps, and two layers of artifacts,
// what the dependencies give (the environment, the runtime's extra
// libraries, a transplanted interpreter), which a source change leaves as
// it is, then the app's own files.
func (in *installer) result(steps []plan.Step) providers.Build {
	pl := in.pl
	artifacts := []plan.Artifact{
		{From: plan.FromBuilder, Src: providers.Sysroot, Dest: "/", Layer: "dependencies", Origin: in.depsOrigin},
		{From: plan.FromBuilder, Src: VenvDir, Dest: VenvDir, Layer: "dependencies", Origin: in.depsOrigin},
		{From: plan.FromBuilder, Src: providers.AppDir, Dest: providers.AppDir, Exclude: append([]string{".venv"}, in.installOnly...), Layer: "app", Origin: in.langOrigin},
	}
	builder := pl.builder
	builder.Platform = platforms.Format(in.builderPlatform)
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
		Name:          cmpOr(pl.name, "app"),
		Env: []string{
			"LANG=C.UTF-8",
			"PATH=" + VenvDir + "/bin:${PATH}",
			"PYTHONUNBUFFERED=1",
		},
	}
}
