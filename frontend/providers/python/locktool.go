package python

import (
	"path"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
)

// lockTool is how a lock file's own tool (uv, Poetry) installs it: the
// step installing the tool, its environment and cache, its commands for
// the dependencies alone and for the project, and what selects another
// platform's wheels from the build platform.
type lockTool struct {
	install       plan.Step
	env           []string
	cache         plan.Cache
	deps, project []string
	cross         []string
	// dir is where the tool runs, and dirs the build's directories its
	// installs change (what an emulated install shares with the build);
	// by default the project's directory in the app directory, and the
	// app directory.
	dir  string
	dirs []string
}

// toolSteps install the dependencies with the lock file's tool, then the
// project itself once its sources are there when it is a package.
func (in *installer) toolSteps(t lockTool) ([]plan.Step, bool) {
	pl := in.pl
	if len(pl.deps) > 0 {
		// The path dependencies' directories are the install's too.
		t.dirs = pl.installDirs()
	}
	steps, deps := in.toolDeps(t)
	files := []string{path.Join(pl.dir, "pyproject.toml"), pl.file}
	copyFiles := &plan.Copy{Paths: files, Dest: providers.AppDir}
	if pl.member != "." {
		copyFiles = &plan.Copy{Dir: pl.member, Paths: []string{pl.inApp(files[0]), pl.inApp(files[1])}, Dest: providers.AppDir}
	}
	steps = append(steps, plan.Step{Name: "[python] copy " + strings.Join(files, ", "), Origin: in.depsOrigin, Copy: copyFiles})
	steps = append(steps, in.copyPathDeps()...)
	steps = append(steps, deps)
	if !pl.pyproject.isPackage(pl.kind) {
		return steps, false
	}
	return append(steps, in.copySources(), in.toolProject(t)), true
}

// toolDeps is the tool's install of the dependencies alone (for another
// platform, its wheels, with the install by the target's builder as
// fallback), and the steps before it that install the tool.
func (in *installer) toolDeps(t lockTool) (tool []plan.Step, deps plan.Step) {
	setup := []plan.Step{t.install}
	deps = in.install(in.run(commandName(t.deps), in.depsOrigin, in.toolRun(t, t.deps)), setup, t.sharedDirs()...)
	if in.mode == cross {
		deps.Run.Fallback = in.fallback(commandName(t.deps), in.depsOrigin, in.toolRun(t, t.deps), setup, t.sharedDirs()...)
		deps.Run.Args = in.pl.probed(append(slices.Clone(t.deps), t.cross...))
		deps.Run.Probe = crossProbe
	}
	if in.mode != installs {
		// (Else only steps in the target's builder run the tool.)
		tool = append(tool, t.install)
	}
	return tool, deps
}

// toolProject is the tool's install of the project (and whatever else it
// builds from the sources).
func (in *installer) toolProject(t lockTool) plan.Step {
	return in.install(in.run(commandName(t.project), in.langOrigin, in.toolRun(t, t.project)), []plan.Step{t.install}, t.sharedDirs()...)
}

func (t lockTool) sharedDirs() []string {
	if len(t.dirs) > 0 {
		return t.dirs
	}
	return []string{providers.AppDir}
}

// toolRun runs the tool in its directory.
func (in *installer) toolRun(t lockTool, args []string) plan.Run {
	r := in.pipRun(args)
	r.Dir = cmpOr(t.dir, path.Join(providers.AppDir, in.pl.inApp(in.pl.dir)))
	r.Env = append(slices.Clone(in.pipEnv), t.env...)
	r.Caches = append(slices.Clone(in.pipCaches), t.cache)
	return r
}

// toolInstall is the step installing a tool into the builder (args).
func (in *installer) toolInstall(name string, args []string) plan.Step {
	r := in.pipRun(args)
	r.Dir = "/"
	return in.run(name, in.langOrigin, r)
}

// commandName names a step by its command line, the program's base name
// first.
func commandName(args []string) string {
	return path.Base(args[0]) + " " + strings.Join(args[1:], " ")
}
