package node

import (
	"context"
	"github.com/containerd/platforms"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// gypPackages are what node-gyp needs in a slim builder to compile an
// addon: Python, make and a C++ compiler.
var gypPackages = []string{"python3", "make", "g++"}

var tsFileRE = regexp.MustCompile(`\.(ts|mts|cts)$`)

// packages checks build-packages.
func (pl *planner) packages(context.Context) error {
	pkgs, err := providers.BuildPackages(pl.m)
	pl.buildPkgs = pkgs
	return err
}

// npmCacheMount is npm's cache, locked: two npm installs writing one
// cache at once (the platforms of a multi-platform build) slow each
// other down several times over; one after the other, each takes a
// fraction of a second once the cache has the packages.
var npmCacheMount = plan.Cache{ID: "npm", Target: npmCache, Sharing: "locked"}

// installer is how the package manager installs into a directory.
type installer struct {
	prod, full []string
	env        []string
	// prodEnv is added to the production install's env.
	prodEnv []string
	caches  []plan.Cache
}

// crossFlags select another platform's packages on pnpm's command line
// (npm takes them from its environment).
func (pl *planner) crossFlags(p ocispecs.Platform) []string {
	if pl.tool.manager != pnpm {
		return nil
	}
	return []string{"--cpu=" + nodeArch[p.Architecture], "--os=linux", "--libc=glibc"}
}

func (pl *planner) installer() installer {
	var in installer
	switch pl.tool.manager {
	case npm:
		in.caches = []plan.Cache{npmCacheMount}
		if pl.lock != "" {
			in.prod = []string{"npm", "ci", "--omit=dev"}
			in.full = []string{"npm", "ci"}
		} else {
			in.prod = []string{"npm", "install", "--omit=dev", "--no-package-lock"}
			in.full = []string{"npm", "install", "--no-package-lock"}
		}
	case yarnClassic:
		in.env = []string{"YARN_CACHE_FOLDER=" + yarnCache}
		in.caches = []plan.Cache{{ID: "yarn", Target: yarnCache, Sharing: "locked"}}
		in.prod = []string{"yarn", "install", "--frozen-lockfile", "--production", "--non-interactive"}
		in.full = []string{"yarn", "install", "--frozen-lockfile", "--non-interactive"}
		if pl.lock == "" {
			in.prod = []string{"yarn", "install", "--production", "--non-interactive", "--no-lockfile"}
			in.full = []string{"yarn", "install", "--non-interactive", "--no-lockfile"}
		}
	case yarnBerry:
		// node_modules, not Plug'n'Play: the runtime has no .pnp.cjs loader
		// wired in, and the global cache keeps archives out of the project.
		in.env = []string{"YARN_NODE_LINKER=node-modules", "YARN_ENABLE_GLOBAL_CACHE=true", "YARN_GLOBAL_FOLDER=" + berryCache,
			"YARN_ENABLE_TELEMETRY=false", "YARN_ENABLE_PROGRESS_BARS=false", "YARN_ENABLE_INLINE_BUILDS=true"}
		in.caches = []plan.Cache{{ID: "yarn-berry", Target: berryCache, Sharing: "locked"}}
		in.prod = append(pl.corepack(), "workspaces", "focus", "--all", "--production")
		in.full = append(pl.corepack(), "install", "--immutable")
		if pl.lock == "" {
			in.full = append(pl.corepack(), "install")
		}
	case pnpm:
		// Copies, not hard links into a store on another mount; package
		// executables as symlinks, which node can run (pnpm's default shims
		// are shell scripts, and the runtime has no shell).
		in.env = []string{"npm_config_store_dir=" + pnpmStore, "npm_config_package_import_method=copy",
			"npm_config_prefer_symlinked_executables=true"}
		in.caches = []plan.Cache{{ID: "pnpm", Target: pnpmStore, Sharing: "shared"}}
		in.prod = append(pl.corepack(), "install", "--frozen-lockfile", "--prod")
		in.full = append(pl.corepack(), "install", "--frozen-lockfile")
		if pl.lock == "" {
			in.prod = append(pl.corepack(), "install", "--prod", "--no-lockfile")
			in.full = append(pl.corepack(), "install", "--no-lockfile")
		}
	}
	common := []string{"npm_config_update_notifier=false", "npm_config_fund=false", "npm_config_audit=false", "npm_config_cache=" + npmCache}
	if pl.tool.viaCorepack() {
		// Yarn Berry from the npm registry (@yarnpkg/cli-dist), like pnpm,
		// rather than repo.yarnpkg.com: build machines that reach one
		// registry reach that one.
		common = append(common, "COREPACK_HOME="+corepackHome, "COREPACK_ENABLE_DOWNLOAD_PROMPT=0", "COREPACK_ENABLE_AUTO_PIN=0",
			"COREPACK_NPM_REGISTRY=https://registry.npmjs.org")
		if !pl.tool.pinned {
			common = append(common, "COREPACK_ENABLE_STRICT=0")
		}
		in.caches = append(in.caches, plan.Cache{ID: "corepack", Target: corepackHome, Sharing: "locked"},
			npmCacheMount)
	}
	in.env = append(in.env, common...)
	return in
}

// withNodedir runs argv with npm_config_nodedir set to the builder's own
// Node.js prefix, so node-gyp compiles against the headers the builder
// ships instead of downloading them (nodejs.org is often unreachable from
// build machines, and the headers must match the builder's node anyway).
func withNodedir(argv []string) []string {
	return append([]string{"sh", "-c", `npm_config_nodedir="$(node -p 'path.dirname(path.dirname(process.execPath))')" exec "$@"`, "install"}, argv...)
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
	case pl.tool.manager == yarnClassic || pl.tool.manager == yarnBerry:
		return "Yarn installs for the platform it runs on"
	case pl.tool.manager == pnpm && majorOf(pl.tool.version) < 10:
		return "pnpm before 10 runs every dependency's install scripts"
	case pl.tool.manager == pnpm && len(pl.pkg.Pnpm.OnlyBuiltDependencies) > 0:
		return "install scripts must run for it: " + strings.Join(pl.pkg.Pnpm.OnlyBuiltDependencies, ", ")
	case pl.tool.manager == npm && pl.lock == "":
		return "without a lock, which packages have install scripts is unknown"
	}
	return ""
}

// plan is the build of one target platform.
func (pl *planner) plan(p ocispecs.Platform) providers.Build {
	m := pl.m
	in := pl.installer()
	// Another platform's dependencies are installed from the build
	// platform when the package manager can select them (cross); when
	// install scripts or compilers must run for the target, the builder
	// of the target runs that install, emulated, and says why: every other
	// step (the build, pruning, the libraries' closure) stays native.
	suffix, emulate := "", ""
	if !providers.SamePlatform(p, pl.req.BuildPlatform) {
		if why := pl.emulationReason(p); why != "" {
			emulate = why
		} else {
			suffix = " (for " + platforms.Format(p) + ", from " + platforms.Format(pl.req.BuildPlatform) + ")"
			in.prod = append(in.prod, pl.crossFlags(p)...)
			if pl.tool.manager == npm {
				in.prodEnv = []string{"npm_config_cpu=" + nodeArch[p.Architecture], "npm_config_os=linux", "npm_config_libc=glibc"}
			}
		}
	}
	langOrigin := providers.Origin("language", m.Language.Range)
	depsOrigin := providers.DependenciesOrigin(m)
	run := func(name string, origin plan.Origin, r plan.Run) plan.Step {
		if r.Dir == "" {
			r.Dir = providers.AppDir
		}
		return plan.Step{Name: "[node] " + name + suffix, Origin: origin, Run: &r}
	}
	var steps []plan.Step

	// Debian packages for the builder: what the manifest lists, and
	// node-gyp's toolchain when the lock has packages with install scripts
	// or packages were asked for (they are there to be compiled against).
	var pkgs []string
	why := ""
	if len(pl.native) > 0 || m.BuildPackages.Set() {
		pkgs = slices.Clone(gypPackages)
		why = " (node-gyp"
		if len(pl.native) > 0 {
			why += " for " + strings.Join(pl.native, ", ")
		}
		why += ")"
	}
	pkgOrigin := depsOrigin
	if m.BuildPackages.Set() {
		pkgOrigin = providers.Origin("build-packages", m.BuildPackages.Range)
		for _, p := range pl.buildPkgs {
			if !slices.Contains(pkgs, p) {
				pkgs = append(pkgs, p)
			}
		}
	}
	// prep readies the builder for installs: the packages, the package
	// manager.
	var prep []plan.Step
	if len(pkgs) > 0 {
		prep = append(prep, run("apt-get install "+strings.Join(pkgs, " ")+why, pkgOrigin, providers.AptInstall(pkgs)))
	}
	npmGlobal := func(name string, args ...string) plan.Step {
		return run(name, depsOrigin, plan.Run{
			Args: args, Dir: "/", Env: []string{"npm_config_update_notifier=false", "npm_config_cache=" + npmCache},
			Caches: []plan.Cache{npmCacheMount}, Network: true,
		})
	}
	switch {
	case pl.tool.viaCorepack():
		prep = append(prep, npmGlobal("corepack for "+pl.tool.String()+" (the builder's, else corepack@"+CorepackVersion+")",
			"sh", "-c", `command -v corepack >/dev/null 2>&1 || npm install --global --no-audit --no-fund "corepack@$0"`, CorepackVersion))
	case pl.tool.manager == yarnClassic:
		// The builder's Yarn when it is the version asked for (the official
		// images up to Node 24 ship 1.22.22), else that version from npm.
		v, _, _ := strings.Cut(pl.tool.version, "+")
		prep = append(prep, npmGlobal(pl.tool.String()+" (the builder's, else from the npm registry)",
			"sh", "-c", `[ "$(yarn --version 2>/dev/null)" = "$0" ] || npm install --global --force --no-audit --no-fund "yarn@$0"`, v))
	}

	if emulate == "" || len(pl.build) > 0 {
		// (Emulated, the production install readies its own builder; the
		// build's install of every dependency is native.)
		steps = append(steps, prep...)
	}

	files := append([]string{"package.json"}, pl.inputs...)
	if pl.lock != "" {
		files = append(files, pl.lock)
	}
	slices.Sort(files)
	copyInputs := func(dest string) plan.Step {
		return plan.Step{Name: "[node] copy " + strings.Join(files, ", ") + " to " + dest, Origin: depsOrigin,
			Copy: &plan.Copy{Paths: files, Dest: dest}}
	}
	installRun := func(what string, argv, env []string, dir string, origin plan.Origin) plan.Step {
		return run(strings.Join(argv, " ")+" ("+what+")", origin, plan.Run{
			Args: withNodedir(argv), Dir: dir, Env: append(slices.Clone(in.env), env...), Caches: in.caches, Network: true, Secrets: secrets(),
		})
	}

	// Production dependencies, installed fresh from the lock in the app
	// directory; nothing here depends on the sources.
	steps = append(steps, copyInputs(providers.AppDir))
	if pl.prodPkg != nil {
		steps = append(steps, plan.Step{Name: "[node] package.json without the project's install scripts (for the production install)", Origin: depsOrigin,
			Write: &plan.Write{Path: path.Join(providers.AppDir, "package.json"), Content: string(pl.prodPkg)}})
	}
	// emulated moves a step into the target's builder, readied by prep
	// (the same ops for every such step, so BuildKit runs them once).
	emulated := func(s plan.Step, dirs ...string) plan.Step {
		if emulate == "" {
			return s
		}
		builder := pl.builder
		builder.Platform = platforms.Format(p)
		return providers.InTarget(s, builder, providers.Emulated(p, emulate), "", prep, dirs...)
	}
	steps = append(steps, emulated(installRun("production dependencies", in.prod, in.prodEnv, providers.AppDir, depsOrigin), providers.AppDir))
	// The shared libraries of native code the runtime lacks; a lock that
	// shows none (npm's lists install scripts and platform packages) needs
	// no look, nor the runtime unpacked for one.
	libs := !pl.jsOnly || len(pl.buildPkgs) > 0
	if libs {
		// Emulated, the addons' libraries are the target builder's (the
		// packages prep installed there); the helper itself is the
		// frontend's own binary and runs natively.
		steps = append(steps, emulated(run("carry the shared libraries native addons need", langOrigin, plan.Run{
			Args: []string{providers.HelperBin, "libs", "--runtime", providers.RuntimeMount, "--out", providers.Sysroot, "--scan", path.Join(providers.AppDir, "node_modules"), "--arch", p.Architecture},
			Dir:  "/",
			Mounts: []plan.Mount{
				{From: plan.MountFrontend, Target: providers.HelperMount},
				{From: plan.MountRuntime, Target: providers.RuntimeMount},
			},
		}), providers.AppDir, providers.Sysroot))
	}

	// The app's files: the sources, or with a build step the tree it built
	// from the sources and every dependency.
	exclude := []string{".git", ".dockerignore", "**/node_modules", m.File, m.File + ".dockerignore"}
	installOnly := append([]string{"package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml"}, installInputs...)
	appDir := providers.AppDir
	if len(pl.build) > 0 {
		appDir = srcDir
		buildOrigin := langOrigin
		if m.Build.Set() {
			buildOrigin = providers.Origin("build", m.Build.Range)
		}
		steps = append(steps, copyInputs(srcDir),
			installRun("all dependencies, for the build", in.full, nil, srcDir, depsOrigin),
			plan.Step{Name: "[node] copy sources to " + srcDir, Origin: langOrigin, Copy: &plan.Copy{Dest: srcDir, Exclude: exclude}},
			run(strings.Join(pl.build, " "), buildOrigin, plan.Run{
				// Package executables (tsc, webpack) on PATH, as package.json scripts have them.
				Args: append([]string{"sh", "-c", `PATH="$PWD/node_modules/.bin:$PATH" exec "$@"`, "build"}, pl.build...),
				Dir:  srcDir, Env: slices.Clone(in.env), Caches: in.caches, Network: true,
			}))
	} else {
		steps = append(steps, plan.Step{Name: "[node] copy sources", Origin: langOrigin, Copy: &plan.Copy{Dest: providers.AppDir, Exclude: exclude}})
	}
	if pl.check != "" {
		where := path.Join(appDir, pl.check)
		if strings.HasPrefix(pl.check, "node_modules/") {
			where = path.Join(providers.AppDir, pl.check)
		}
		origin := langOrigin
		if m.Entrypoint.Set() {
			origin = providers.Origin("entrypoint", m.Entrypoint.Range)
		}
		steps = append(steps, run("check that the entrypoint's "+pl.check+" is in the image", origin, plan.Run{
			Args: []string{"sh", "-c", `test -e "$0" || { echo "distill: the entrypoint runs $1, which the image would not have (not in the build context${2:+ nor made by the build})" >&2; exit 1; }`,
				where, pl.check, strings.Join(pl.build, " ")},
			Dir: "/",
		}))
	}

	// Yarn's own state (.yarn: releases, install state) and Plug'n'Play
	// loaders are install-time only too.
	appExclude := append([]string{"node_modules", ".yarn", ".pnp.cjs", ".pnp.loader.mjs"}, installOnly...)
	appExclude = append(appExclude, "**/*.d.ts", "**/*.d.mts", "**/*.d.cts", "**/*.tsbuildinfo")
	if len(pl.build) > 0 && !tsFileRE.MatchString(pl.check) {
		// Built: TypeScript sources are not run (the entrypoint is not one).
		appExclude = append(appExclude, "**/*.ts", "**/*.mts", "**/*.cts")
		if !pl.sourceMaps() {
			appExclude = append(appExclude, "**/*.map")
		}
	}
	var artifacts []plan.Artifact
	if libs {
		artifacts = append(artifacts, plan.Artifact{From: plan.FromBuilder, Src: providers.Sysroot, Dest: "/", Layer: "dependencies", Origin: depsOrigin})
	}
	artifacts = append(artifacts,
		plan.Artifact{From: plan.FromBuilder, Src: path.Join(providers.AppDir, "node_modules"), Dest: path.Join(providers.AppDir, "node_modules"), Exclude: pruneModules, Layer: "dependencies", Origin: depsOrigin},
		plan.Artifact{From: plan.FromBuilder, Src: appDir, Dest: providers.AppDir, Exclude: appExclude, Layer: "app", Origin: langOrigin})
	name := pl.pkg.Name
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if name == "" {
		name = "app"
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
		Name:                  name,
		Env:                   []string{"NODE_ENV=production"},
	}
}

// sourceMaps reports whether the app asks Node for source-mapped stack
// traces (then its own .map files stay).
func (pl *planner) sourceMaps() bool {
	if slices.Contains(pl.command, "--enable-source-maps") {
		return true
	}
	for _, v := range pl.m.Env.Vars {
		if v.Name.Value == "NODE_OPTIONS" && strings.Contains(v.Value.Value, "--enable-source-maps") {
			return true
		}
	}
	return false
}

// inputsIn lists the install inputs present in the context.
func (pl *planner) inputsIn(ctx context.Context) error {
	for _, f := range installInputs {
		ok, err := providers.Exists(ctx, pl.req.FS, f)
		if err != nil {
			return err
		}
		if ok {
			pl.inputs = append(pl.inputs, f)
		}
	}
	return nil
}
