package node

import (
	"github.com/containerd/platforms"
	"path"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// srcDir is where a build step builds the app in the builder.
const srcDir = "/src"

// gypPackages are what node-gyp needs in a slim builder to compile an
// addon: Python, make and a C++ compiler.
var gypPackages = []string{"python3", "make", "g++"}

// withNodedir runs argv with npm_config_nodedir set to the builder's own
// Node.js prefix, so node-gyp compiles against the headers the builder
// ships instead of downloading them (nodejs.org is often unreachable from
// build machines, and the headers must match the builder's node anyway).
//
// node_modules is made first: an app without dependencies gets an empty
// one (the package managers make none), which the image's layer copies.
// Without gyp (an install that runs no install script) node-gyp never
// runs: no node process to ask, a start of Node.js less.
func withNodedir(argv []string, gyp bool) []string {
	nodedir := ""
	if gyp {
		nodedir = `npm_config_nodedir="$(node -p 'path.dirname(path.dirname(process.execPath))')" `
	}
	return append([]string{"sh", "-c", `mkdir -p node_modules && ` + nodedir + `exec "$@"`, "install"}, argv...)
}

// secrets are the build secrets an install step may use for private
// registries: an .npmrc (npm, pnpm, Yarn classic), a .yarnrc.yml (Yarn
// Berry), and a token for ${NPM_TOKEN} in the project's .npmrc. All are
// optional, mounted only into the install steps, never in a layer.
func secrets() []plan.Secret {
	return []plan.Secret{
		{ID: "npmrc", Target: "/root/.npmrc"},
		{ID: "yarnrc", Target: "/root/.yarnrc.yml"},
		{ID: "npm-token", Env: "NPM_TOKEN"},
		{ID: "npm-token", Env: "NODE_AUTH_TOKEN"},
		{ID: "npm-token", Env: "YARN_NPM_AUTH_TOKEN"},
	}
}

// nodeArch maps GOARCH to Node.js's process.arch, the cpu field of
// package.json that package managers select optional packages by.
var nodeArch = map[string]string{
	"amd64": "x64", "arm64": "arm64", "arm": "arm", "386": "ia32", "ppc64le": "ppc64", "s390x": "s390x", "riscv64": "riscv64",
}

// emulationReason says why the dependencies of another platform must be
// installed by that platform's builder, under emulation; "" when the
// package manager installs them for it from the build platform (prebuilt
// optional packages chosen by cpu, os and libc; JavaScript is the same
// everywhere).
func (pl *planner) emulationReason(p ocispecs.Platform) string {
	switch {
	case nodeArch[p.Architecture] == "":
		return "Node.js has no name for " + p.Architecture
	case len(pl.native) > 0:
		return "install scripts must run for it: " + strings.Join(pl.native, ", ")
	case len(pl.buildPkgs) > 0:
		return "build-packages are compiled against"
	}
	return pl.tool.of().emulate(pl)
}

// targetSteps makes the steps of one target platform's build. Another
// platform's dependencies are installed from the build platform when the
// package manager can select them (cross); when install scripts or
// compilers must run for the target, the builder of the target runs that
// install, emulated, and says why: every other step (the build, pruning,
// the libraries' closure) stays native.
type targetSteps struct {
	pl *planner
	p  ocispecs.Platform
	in installer
	// suffix ends the names of the steps of a cross build; emulate says
	// why the target's builder installs ("" when it does not).
	suffix, emulate string
	// prep readies a builder for installs: the packages, the package
	// manager.
	prep []plan.Step
	// files are the install inputs copied before an install.
	files                  []string
	langOrigin, depsOrigin plan.Origin
}

func newTargetSteps(pl *planner, p ocispecs.Platform) *targetSteps {
	s := &targetSteps{pl: pl, p: p, in: pl.installer(),
		langOrigin: providers.Origin("language", pl.m.Language.Range), depsOrigin: providers.DependenciesOrigin(pl.m)}
	if !providers.SamePlatform(p, pl.req.BuildPlatform) {
		if why := pl.emulationReason(p); why != "" {
			s.emulate = why
		} else {
			s.suffix = " (for " + platforms.Format(p) + ", from " + platforms.Format(pl.req.BuildPlatform) + ")"
			// A lock of JavaScript only (no install script, no package
			// for particular platforms) installs the same files for every
			// platform: the build platform's install, the same op, which
			// BuildKit runs once for all the targets of a build.
			if !pl.jsOnly {
				args, env := pl.tool.of().cross(nodeArch[p.Architecture])
				s.in.prod, s.in.prodEnv = append(s.in.prod, args...), env
			}
		}
	}
	s.files = append([]string{"package.json"}, pl.inputs...)
	if pl.lock != "" {
		s.files = append(s.files, pl.lock)
	}
	if pl.ws != nil {
		// The package.json of each workspace package the app builds
		// with: the install is filtered to them.
		for _, d := range dirs(pl.ws.build) {
			s.files = append(s.files, path.Join(d, "package.json"))
		}
		pl.wsInstall(&s.in)
	}
	slices.Sort(s.files)
	s.prep = s.prepare()
	return s
}

// run is a step running r, in the app directory unless r says otherwise.
func (s *targetSteps) run(name string, origin plan.Origin, r plan.Run) plan.Step {
	if r.Dir == "" {
		r.Dir = providers.AppDir
	}
	return plan.Step{Name: "[node] " + name + s.suffix, Origin: origin, Run: &r}
}

// install runs the package manager's argv in dir, with env added to its
// own, its caches, the network and the registries' secrets; gyp when an
// install script may compile.
func (s *targetSteps) install(what string, argv, env []string, dir string, gyp bool) plan.Step {
	return s.run(strings.Join(argv, " ")+" ("+what+")", s.depsOrigin, plan.Run{
		Args: withNodedir(argv, gyp), Dir: dir, Env: append(slices.Clone(s.in.env), env...), Caches: s.in.caches, Network: true, Secrets: secrets(),
	})
}

// emulated moves a step into the target's builder, readied by prep (the
// same ops for every such step, so BuildKit runs them once); the step
// itself when nothing is emulated.
func (s *targetSteps) emulated(st plan.Step, dirs ...string) plan.Step {
	if s.emulate == "" {
		return st
	}
	builder := s.pl.builder
	builder.Platform = platforms.Format(s.p)
	return providers.InTarget(st, builder, providers.Emulated(s.p, s.emulate), "", s.prep, dirs...)
}

// copyInputs copies package.json, the lock and the install inputs to dest.
func (s *targetSteps) copyInputs(dest string) plan.Step {
	return plan.Step{Name: "[node] copy " + strings.Join(s.files, ", ") + " to " + dest, Origin: s.depsOrigin,
		Copy: &plan.Copy{Paths: s.files, Dest: dest}}
}

// prepare is what readies the builder for installs: Debian packages, the
// package manager.
func (s *targetSteps) prepare() []plan.Step {
	var prep []plan.Step
	if pkgs, why, origin := s.pl.aptPackages(); len(pkgs) > 0 {
		prep = append(prep, s.run("apt-get install "+strings.Join(pkgs, " ")+why, origin, providers.AptInstall(pkgs)))
	}
	if name, argv := s.pl.tool.of().setup(s.pl.tool); argv != nil {
		prep = append(prep, s.run(name, s.depsOrigin, plan.Run{
			Args: argv, Dir: "/", Env: []string{"npm_config_update_notifier=false", "npm_config_cache=" + npmCache},
			Caches: []plan.Cache{npmCacheMount}, Network: true,
		}))
	}
	return prep
}

// aptPackages are the Debian packages for the builder, why and the field
// that asked: what the manifest lists, and node-gyp's toolchain when the
// lock has packages with install scripts or packages were asked for (they
// are there to be compiled against).
func (pl *planner) aptPackages() (pkgs []string, why string, origin plan.Origin) {
	m := pl.m
	if len(pl.native) > 0 || m.BuildPackages.Set() {
		pkgs = slices.Clone(gypPackages)
		why = " (node-gyp"
		if len(pl.native) > 0 {
			why += " for " + strings.Join(pl.native, ", ")
		}
		why += ")"
	}
	origin = providers.DependenciesOrigin(m)
	if m.BuildPackages.Set() {
		origin = providers.Origin("build-packages", m.BuildPackages.Range)
		for _, p := range pl.buildPkgs {
			if !slices.Contains(pkgs, p) {
				pkgs = append(pkgs, p)
			}
		}
	}
	return pkgs, why, origin
}

// dependencies are the production dependencies, installed fresh from the
// lock in the app directory (nothing here depends on the sources), and
// the shared libraries of their native code.
func (s *targetSteps) dependencies() []plan.Step {
	pl := s.pl
	steps := []plan.Step{s.copyInputs(providers.AppDir)}
	if pl.prodPkg != nil {
		steps = append(steps, plan.Step{Name: "[node] package.json without the project's install scripts (for the production install)", Origin: s.depsOrigin,
			Write: &plan.Write{Path: path.Join(providers.AppDir, pl.m.Path("package.json")), Content: string(pl.prodPkg)}})
	}
	steps = append(steps, s.emulated(s.install("production dependencies", s.in.prod, s.in.prodEnv, providers.AppDir, !s.pl.jsOnly), providers.AppDir))
	if pl.ws != nil {
		// Each workspace package's node_modules, for its layer (the
		// package manager makes one only where it links something).
		mk := []string{"mkdir", "-p"}
		for _, d := range dirs(pl.ws.runtime) {
			mk = append(mk, path.Join(providers.AppDir, d, "node_modules"))
		}
		steps = append(steps, s.run("node_modules of "+strings.Join(dirs(pl.ws.runtime), ", "), s.depsOrigin, plan.Run{Args: mk, Dir: "/"}))
	}
	if pl.libs() {
		// Emulated, the addons' libraries are the target builder's (the
		// packages prep installed there); the helper itself is the
		// frontend's own binary and runs natively.
		steps = append(steps, s.emulated(s.run("carry the shared libraries native addons need", s.langOrigin, plan.Run{
			Args:   []string{providers.HelperBin, "libs", "--runtime", providers.RuntimeMount, "--out", providers.Sysroot, "--scan", path.Join(providers.AppDir, "node_modules"), "--arch", s.p.Architecture},
			Dir:    "/",
			Mounts: providers.HelperMounts(),
		}), providers.AppDir, providers.Sysroot))
	}
	return steps
}

// built says whether a build step runs: the app's, or a workspace
// package's it builds with.
func (pl *planner) built() bool { return len(pl.build) > 0 || len(pl.depBuilds()) > 0 }

// depBuilds are the workspace packages the app builds with that have a
// build script, each after those it depends on.
func (pl *planner) depBuilds() []wsPackage {
	if pl.ws == nil {
		return nil
	}
	var out []wsPackage
	for _, p := range pl.ws.build[:len(pl.ws.build)-1] { // (the app last)
		if _, ok := p.pkg.Scripts["build"]; ok {
			out = append(out, p)
		}
	}
	return out
}

// libs says whether the runtime may lack shared libraries of native code:
// a lock that shows none (npm's lists install scripts and platform
// packages) needs no look, nor the runtime unpacked for one.
func (pl *planner) libs() bool { return !pl.jsOnly || len(pl.buildPkgs) > 0 }

// sourcesExclude are what the app's files never take from the context.
func (pl *planner) sourcesExclude() []string {
	manifest := pl.m.AppPath()
	if pl.ws != nil {
		// Each package is copied on its own: patterns are relative to it.
		manifest = path.Base(manifest)
	}
	return []string{".git", ".dockerignore", "**/node_modules", manifest, manifest + ".dockerignore"}
}

// app is the app's files: the sources, or with a build step the tree it
// built from the sources and every dependency, in appDir; then the check
// that the entrypoint's file is there.
func (s *targetSteps) app() (steps []plan.Step, appDir string) {
	pl, m := s.pl, s.pl.m
	appDir = providers.AppDir
	if pl.built() {
		appDir = srcDir
		buildOrigin := s.langOrigin
		if m.Build.Set() {
			buildOrigin = providers.Origin("build", m.Build.Range)
		}
		steps = append(steps, s.copyInputs(srcDir),
			s.install("all dependencies, for the build", s.in.full, nil, srcDir, true),
			pl.copySources(srcDir, s.langOrigin))
		// The workspace packages the app builds with, built first.
		for _, p := range pl.depBuilds() {
			steps = append(steps, s.buildStep(pl.runScript("build"), path.Join(srcDir, p.dir), s.langOrigin, " ("+p.pkg.Name+")"))
		}
		if len(pl.build) > 0 {
			steps = append(steps, s.buildStep(pl.build, path.Join(srcDir, m.Path(".")), buildOrigin, ""))
		}
	} else {
		steps = append(steps, pl.copySources(providers.AppDir, s.langOrigin))
	}
	if pl.check != "" && !pl.checkSeen {
		steps = append(steps, s.check(appDir))
	}
	return steps, appDir
}

// buildStep runs a build command in dir.
func (s *targetSteps) buildStep(argv []string, dir string, origin plan.Origin, what string) plan.Step {
	return s.run(strings.Join(argv, " ")+what, origin, plan.Run{
		// Package executables (tsc, webpack) on PATH, as package.json scripts have them.
		Args: append([]string{"sh", "-c", `PATH="$PWD/node_modules/.bin:$PATH" exec "$@"`, "build"}, argv...),
		Dir:  dir, Env: slices.Clone(s.in.env), Caches: s.in.caches, Network: true,
	})
}

// copySources copies the app's files to dest: the context, or in a
// workspace the packages the app builds with (or runs with, unbuilt) and,
// for a build, the configuration files at the workspace's root.
func (pl *planner) copySources(dest string, origin plan.Origin) plan.Step {
	st := plan.Step{Name: "[node] copy sources", Origin: origin, Copy: &plan.Copy{Dest: dest, Exclude: pl.sourcesExclude()}}
	if dest != providers.AppDir {
		st.Name += " to " + dest
	}
	if pl.ws != nil {
		pkgs := pl.ws.runtime
		if pl.built() {
			pkgs = pl.ws.build
			st.Copy.Paths = slices.Clone(pl.ws.rootFiles)
		}
		st.Copy.Paths = append(st.Copy.Paths, dirs(pkgs)...)
		st.Name = "[node] copy " + strings.Join(dirs(pkgs), ", ") + " to " + dest
	}
	return st
}

// check fails the build when the file the entrypoint runs is not in the
// image.
func (s *targetSteps) check(appDir string) plan.Step {
	pl := s.pl
	where := path.Join(appDir, pl.m.Path(pl.check))
	if strings.Contains(pl.check, "node_modules/") {
		where = path.Join(providers.AppDir, pl.check)
	}
	origin := s.langOrigin
	if pl.m.Entrypoint.Set() {
		origin = providers.Origin("entrypoint", pl.m.Entrypoint.Range)
	}
	return s.run("check that the entrypoint's "+pl.check+" is in the image", origin, plan.Run{
		Args: []string{"sh", "-c", `test -e "$0" || { echo "distill: the entrypoint runs $1, which the image would not have (not in the build context${2:+ nor made by the build})" >&2; exit 1; }`,
			where, pl.check, strings.Join(pl.build, " ")},
		Dir: "/",
	})
}

// plan is the build of one target platform.
func (pl *planner) plan(p ocispecs.Platform) providers.Build {
	s := newTargetSteps(pl, p)
	var steps []plan.Step
	if s.emulate == "" || pl.built() {
		// (Emulated, the production install readies its own builder; the
		// build's install of every dependency is native.)
		steps = append(steps, s.prep...)
	}
	deps := s.dependencies()
	steps = append(steps, deps...)
	app, appDir := s.app()
	steps = append(steps, app...)
	artifacts := pl.artifacts(appDir, s.langOrigin, s.depsOrigin)
	if !pl.built() && pl.ws == nil {
		// The sources' copy leaves node_modules (and the carried
		// libraries) as the dependency steps made them.
		for i := range artifacts {
			if artifacts[i].Layer == "dependencies" {
				artifacts[i].AfterStep = deps[len(deps)-1].Name
			}
		}
	}
	builder := pl.builder
	builder.Platform = platforms.Format(pl.req.BuildPlatform)
	runtime := pl.runtime
	return providers.Build{
		Builder:               builder,
		Script:                pl.script,
		Flavour:               providers.CC,
		FlavourReason:         "Node.js and native addons need libstdc++",
		Runtime:               &runtime,
		Steps:                 steps,
		Artifacts:             artifacts,
		Command:               slices.Clone(pl.command),
		PrependBaseEntrypoint: pl.prepend,
		Name:                  pl.imageName(),
		Env:                   []string{"NODE_ENV=production"},
		WorkDir:               pl.m.Path("."),
	}
}
