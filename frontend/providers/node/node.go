// Package node is the Node.js provider. Production dependencies are
// installed fresh from the lock file by the project's own package manager
// (npm from the builder; Yarn classic, Yarn Berry and pnpm through
// corepack, at the version package.json's packageManager pins), never
// pruned from a dev tree. A build step (package.json's build script or the
// manifest's) runs in a separate tree with every dependency; only its
// output and the production node_modules reach the runtime, less files
// never read at run time. The builder is node:<major>-trixie-slim, the
// runtime distroless nodejs<major>-debian13, whose entrypoint (its node
// binary) runs the app. A helper step carries the shared libraries that
// native addons need and the runtime lacks.
package node

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// installInputs are the files besides package.json and the lock that
// package managers read when they install (configuration, Yarn releases
// and patches, pnpm hooks and patches), copied when present.
var installInputs = []string{
	".npmrc", ".yarnrc", ".yarnrc.yml", ".pnpmfile.cjs", "pnpm-workspace.yaml",
	".yarn/releases", ".yarn/plugins", ".yarn/patches", "patches",
}

// Provider is the Node.js provider.
type Provider struct{}

var _ providers.Provider = Provider{}

// Language implements providers.Provider.
func (Provider) Language() string { return "node" }

// Detect implements providers.Detector.
func (Provider) Detect(ctx context.Context, fsys providers.FS, dir string) (string, error) {
	return providers.DetectFiles(ctx, fsys, dir, "package.json")
}

type planner struct {
	// findings are what `--call=check` reports of the dependencies.
	findings []check.Finding
	req      providers.Request
	m        *manifest.Manifest
	pkg      *packageJSON
	// pkgData is package.json as written; prodPkg the same without the
	// project's install scripts, when it had some.
	pkgData, prodPkg []byte
	// lock is the lock file ("" when the project has none), tool the
	// package manager that installs it.
	lock      string
	tool      toolSpec
	depsRange manifest.Range
	// native are packages of the lock with install scripts; jsOnly says
	// the lock shows no native code at all (no install scripts, no
	// packages built for particular platforms).
	native  []string
	jsOnly  bool
	major   int
	builder plan.Image
	runtime plan.Image
	// script is the context file node runs, when no build step makes it.
	script *plan.ContextFile
	build  []string
	// command is the image command after the runtime's node binary;
	// prepend says whether the runtime's entrypoint goes in front.
	command []string
	prepend bool
	// check is the file the command runs, relative to the app directory;
	// checkSeen says the plan saw it in what the sources' copy brings.
	check     string
	checkSeen bool
	inputs    []string
	buildPkgs []string
	// ws is the workspace the app is a member of (workspace.go), if any.
	ws *nodeWorkspace
}

// Ecosystem implements providers.Provider.
func (Provider) Ecosystem() providers.Ecosystem {
	return providers.Ecosystem{
		Fields: map[string]string{
			"version":        fmt.Sprintf("a Node.js major: %s; default: .nvmrc, .node-version or package.json's engines.node, else %d (the current LTS)", providers.Versions(Majors), DefaultMajor),
			"dependencies":   "package-lock.json, npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml or package.json, next to package.json; detected when omitted",
			"entrypoint":     "run by the runtime's node; default: package.json's start script when it is node <file>, else its bin (the file, the one command, or the command named as the package), else its main, else index.js, server.js, app.js or main.js; a bare name is a package's executable",
			"build":          "the build command (argv) run with the dev dependencies before the app is copied onto the runtime, e.g. [npm, run, compile]; default: package.json's build script, when it has one; [] for none",
			"base":           "default: distroless nodejs<major>-debian13; another image must have node as its entrypoint",
			"build-packages": "libraries native addons compile against, e.g. [libpq-dev], installed in the builder with node-gyp's python3, make and g++; the libraries the addons link are carried into the image",
		},
		CAEnv:     []string{"NODE_EXTRA_CA_CERTS"},
		Workspace: workspace,
	}
}

// Prepare implements providers.Provider.
func (Provider) Prepare(ctx context.Context, req providers.Request) (*providers.Project, error) {
	pl := &planner{req: req, m: req.Manifest}
	if pf, ok := req.FS.(providers.Prefetcher); ok && pl.m.Member != "" {
		// A workspace's root is read on demand: the files planning looks
		// for, in one round trip.
		names := append([]string{"package.json", pl.m.Path("package.json"), pl.m.Path(".nvmrc"), pl.m.Path(".node-version"), ".nvmrc", ".node-version"}, installInputs...)
		for _, l := range lockFiles {
			names = append(names, l.file)
		}
		if err := pf.Prefetch(ctx, names); err != nil {
			return nil, err
		}
	}
	m := pl.m
	var ps providers.Passes
	deps := ps.Run(ctx, pl.dependencies)
	ps.Run(ctx, pl.inputsIn)
	ps.Run(ctx, pl.packages)
	// The manifest's version needs nothing read; the project's is in
	// package.json.
	version := ps.Run(ctx, pl.version, deps || m.Version.Set())
	ps.Run(ctx, pl.images, version)
	build := ps.Run(ctx, pl.buildCommand, deps)
	ps.Run(ctx, pl.entrypoint, deps, build)
	if err := ps.Err(); err != nil {
		return nil, err
	}
	return &providers.Project{Findings: pl.findings, Build: func(p ocispecs.Platform) (providers.Build, error) { return pl.plan(p), nil }}, nil
}

func (pl *planner) read(ctx context.Context, name string) ([]byte, bool, error) {
	return providers.ReadFile(ctx, pl.req.FS, name)
}

// dependencies reads package.json, finds the lock file and the package
// manager that installs it.
func (pl *planner) dependencies(ctx context.Context) error {
	if err := pl.namedLock(ctx); err != nil {
		return err
	}
	// A workspace member's package.json is in its directory.
	pkgFile := pl.m.Path("package.json")
	data, ok, err := pl.read(ctx, pkgFile)
	if err != nil {
		return err
	}
	if !ok {
		return providers.Fail(pl.m, pl.depsRange, "add the app's package.json to the build context (is .dockerignore excluding it?)", "the build context has no %s", pkgFile)
	}
	pkg, err := parsePackageJSON(data)
	if err != nil {
		return providers.Fail(pl.m, pl.depsRange, "fix "+pkgFile, "%s: %v", pkgFile, err)
	}
	pl.pkg, pl.pkgData = pkg, data
	if prod, changed, err := withoutInstallScripts(data); err == nil && changed {
		pl.prodPkg = prod
	}

	pm := pkg.PackageManager
	if pkgFile != "package.json" && pm == "" {
		// The workspace's root pins the package manager.
		if root, ok, err := pl.read(ctx, "package.json"); err != nil {
			return err
		} else if ok {
			if rp, err := parsePackageJSON(root); err == nil {
				pm = rp.PackageManager
			}
		}
	}
	var pinned *toolSpec
	if pm != "" {
		mm := packageManagerRE.FindStringSubmatch(pm)
		if mm == nil {
			return providers.Fail(pl.m, pl.depsRange, `write it as name@x.y.z, e.g. "pnpm@10.34.9" (corepack's form)`, "package.json packageManager %q is not a package manager release", pm)
		}
		pinned = &toolSpec{manager: mm[1], version: mm[2], pinned: true}
	}
	if pl.lock == "" && !pl.m.Dependencies.Set() {
		if err := pl.findLock(ctx, pinned); err != nil {
			return err
		}
	}
	if pl.lock == "" && (len(pl.pkg.Dependencies) > 0 || len(pl.pkg.DevDependencies) > 0) {
		pl.findings = append(pl.findings, check.Finding{Rule: check.DependenciesWithoutLock, Range: pl.depsRange,
			Msg:  "package.json has no lock file next to it: every build resolves its dependencies anew",
			Hint: "run `npm install` (or pnpm install, yarn) and add the lock file to the context"})
	}
	if err := pl.managerFor(ctx, pinned); err != nil {
		return err
	}
	if pl.m.Member != "" {
		return pl.readWorkspace(ctx)
	}
	return nil
}

// namedLock checks the dependency file the manifest names, the lock when
// it is one.
func (pl *planner) namedLock(ctx context.Context) error {
	m := pl.m
	pl.depsRange = m.Language.Range
	if !m.Dependencies.Set() {
		return nil
	}
	pl.depsRange = m.Dependencies.Range
	f := path.Clean(strings.TrimPrefix(m.Dependencies.Value, "./"))
	if strings.Contains(f, "/") {
		return providers.Fail(pl.m, pl.depsRange, "name a file at the root of the build context, next to package.json (set the build context to the app's directory)",
			"dependency file %q is not at the root of the build context", m.Dependencies.Value)
	}
	switch f {
	case "package.json":
	case "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml":
		pl.lock = f
	default:
		return providers.Fail(pl.m, pl.depsRange, "name package-lock.json, npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml or package.json",
			"%q is not a Node.js dependency file", m.Dependencies.Value)
	}
	if ok, err := providers.Exists(ctx, pl.req.FS, f); err != nil {
		return err
	} else if !ok {
		return providers.Fail(pl.m, pl.depsRange, "check the path and that .dockerignore does not exclude it", "dependency file %q is not in the build context", f)
	}
	return nil
}

// findLock looks for the lock files in the context: one is the lock;
// of several, the one of the package manager package.json pins.
func (pl *planner) findLock(ctx context.Context, pinned *toolSpec) error {
	var found []string
	for _, l := range lockFiles {
		if ok, err := providers.Exists(ctx, pl.req.FS, l.file); err != nil {
			return err
		} else if ok {
			found = append(found, l.file)
		}
	}
	switch {
	case len(found) == 1:
		pl.lock = found[0]
	case len(found) > 1 && pinned != nil:
		// packageManager says which one is meant.
		for _, f := range found {
			if managerOfLock(f) == pinned.manager {
				pl.lock = f
			}
		}
		if pl.lock == "" {
			return providers.Fail(pl.m, pl.depsRange, "set dependencies: to the lock file to install from", "package.json asks for %s, but the context has %s", pinned, strings.Join(found, " and "))
		}
	case len(found) > 1:
		return providers.Fail(pl.m, pl.depsRange, "set dependencies: to the one to install from, and delete the others", "the build context has several lock files: %s", strings.Join(found, ", "))
	}
	return nil
}

func managerOfLock(f string) string {
	for _, l := range lockFiles {
		if l.file == f {
			return l.manager
		}
	}
	return npm
}

// managerFor works out the package manager and its version from the lock
// and package.json's packageManager.
func (pl *planner) managerFor(ctx context.Context, pinned *toolSpec) error {
	var lock []byte
	if pl.lock != "" {
		data, _, err := pl.read(ctx, pl.lock)
		if err != nil {
			return err
		}
		if err := lockFormat(pl.lock, data).Verify(pl.m, pl.depsRange, pl.lock, data); err != nil {
			return err
		}
		lock = data
	}
	manager := npm
	if pl.lock != "" {
		manager = managerOfLock(pl.lock)
	} else if pinned != nil {
		manager = pinned.manager
	}
	if pinned != nil && pinned.manager != manager {
		return providers.Fail(pl.m, pl.depsRange, fmt.Sprintf("install with %s and commit its lock file, or change packageManager", pinned.name()),
			"package.json asks for %s, but the lock file is %s", pinned, pl.lock)
	}
	return toolFor[manager](pl, lock, pinned)
}

// buildCommand is the manifest's build, else package.json's build script.
func (pl *planner) buildCommand(context.Context) error {
	if pl.m.Build.Set() {
		pl.build = pl.m.Build.Values()
		return nil
	}
	if _, ok := pl.pkg.Scripts["build"]; ok {
		pl.build = pl.runScript("build")
	}
	return nil
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

// packages checks build-packages.
func (pl *planner) packages(context.Context) error {
	pkgs, err := providers.BuildPackages(pl.m)
	pl.buildPkgs = pkgs
	return err
}

// nodePortRE finds a port a Node.js server listens on: listen(3000).
var nodePortRE = regexp.MustCompile(`\.listen\(\s*(\d{2,5})\b`)

// Suggest implements providers.Suggester: the port the server's script
// listens on (a literal, or PORT's default).
func (Provider) Suggest(ctx context.Context, fsys providers.FS, dir string) (providers.Suggestion, error) {
	files := []string{"server.js", "index.js", "app.js", "main.js", "src/server.ts", "src/index.ts", "src/app.ts", "src/main.ts"}
	var pkg *packageJSON
	if data, ok, err := providers.ReadFile(ctx, fsys, path.Join(dir, "package.json")); err == nil && ok {
		if pkg, err = parsePackageJSON(data); err == nil && pkg.Main != "" {
			files = append([]string{pkg.Main}, files...)
		}
	}
	port, why, err := providers.ScanPort(ctx, fsys, dir, files, nodePortRE, providers.EnvPortRE)
	s := providers.Suggestion{Port: port, PortWhy: why}
	if pkg != nil {
		s.SuggestBuildPackages(nativeModules, func(name string) bool {
			_, ok := pkg.Dependencies[name]
			return ok
		})
	}
	return s, err
}

// nativeModules are packages whose install script compiles an addon
// against a system library (node-gyp itself, python3, make and g++, the
// provider installs whenever a dependency builds).
var nativeModules = []providers.NativeDep{
	{Name: "libpq", Packages: []string{"libpq-dev"}},
	{Name: "pg-native", Packages: []string{"libpq-dev"}},
	{Name: "odbc", Packages: []string{"unixodbc-dev"}},
	{Name: "kerberos", Packages: []string{"libkrb5-dev"}},
}
