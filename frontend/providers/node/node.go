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
	"github.com/distill-build/distill/llb/plan"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
)

// Majors are the Node.js majors distroless publishes on Debian 13, newest
// first; DefaultMajor is used when nothing asks for another.
var Majors = []int{26, 24, 22}

// DefaultMajor is the current LTS line.
const DefaultMajor = 24

// Paths in the builder and the image.
const (
	srcDir       = "/src"
	npmCache     = "/root/.npm"
	yarnCache    = "/root/.cache/yarn"
	berryCache   = "/root/.cache/yarn-berry"
	pnpmStore    = "/root/.cache/pnpm-store"
	corepackHome = "/root/.cache/node/corepack"
)

// installInputs are the files besides package.json and the lock that
// package managers read when they install (configuration, Yarn releases
// and patches, pnpm hooks and patches), copied when present.
var installInputs = []string{
	".npmrc", ".yarnrc", ".yarnrc.yml", ".pnpmfile.cjs", "pnpm-workspace.yaml",
	".yarn/releases", ".yarn/plugins", ".yarn/patches", "patches",
}

// Files never read at run time, left out of node_modules: documentation,
// TypeScript sources and declarations (Node does not strip types under
// node_modules), source maps, a package's own test directories (test/ and
// tests/ at its root: a package named test, or @scope/test, stays), editor,
// CI and lint configuration. Licence files stay. README.md lists them with
// what they weigh in the examples.
var pruneModules = []string{
	"[^@.]*/test", "[^@.]*/tests", "@*/*/test", "@*/*/tests",
	"**/node_modules/[^@.]*/test", "**/node_modules/[^@.]*/tests", "**/node_modules/@*/*/test", "**/node_modules/@*/*/tests",
	"**/*.md", "**/*.markdown", "**/*.mkd",
	"**/*.ts", "**/*.mts", "**/*.cts", "**/*.tsbuildinfo",
	"**/*.js.map", "**/*.mjs.map", "**/*.cjs.map", "**/*.css.map", "**/*.ts.map",
	"**/__tests__", "**/.github", "**/.nyc_output", "**/.vscode", "**/.idea",
	"**/.npmignore", "**/.eslintrc", "**/.eslintrc.*", "**/.prettierrc", "**/.prettierrc.*",
	"**/.editorconfig", "**/.travis.yml", "**/.gitattributes", "**/.jshintrc",
	"!**/LICENSE*", "!**/LICENCE*", "!**/license*", "!**/licence*",
}

// Provider is the Node.js provider.
type Provider struct{}

var _ providers.Provider = Provider{}

// Language implements providers.Provider.
func (Provider) Language() string { return "node" }

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
	// check is the file the command runs, relative to the app directory.
	check     string
	inputs    []string
	buildPkgs []string
}

// Ecosystem implements providers.Provider.
func (Provider) Ecosystem() providers.Ecosystem {
	return providers.Ecosystem{
		Fields: map[string]string{
			"version":      "a Node.js major, e.g. \"24\"; default: .nvmrc, .node-version or package.json's engines.node, else the current LTS",
			"dependencies": "package-lock.json, npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml or package.json, next to package.json; detected when omitted",
			"entrypoint":   "run by the runtime's node; default: package.json's start script when it is node <file>, else its main, else index.js, server.js, app.js or main.js; a bare name is a package's executable",
			"build":        "the build command (argv) run with the dev dependencies before the app is copied onto the runtime, e.g. [npm, run, compile]; default: package.json's build script, when it has one; [] for none",
			"base":         "default: distroless nodejs<major>-debian13; another image must have node as its entrypoint",
		},
		CAEnv: []string{"NODE_EXTRA_CA_CERTS"},
	}
}

// Prepare implements providers.Provider.
func (Provider) Prepare(ctx context.Context, req providers.Request) (*providers.Project, error) {
	pl := &planner{req: req, m: req.Manifest}
	for _, step := range []func(context.Context) error{pl.dependencies, pl.inputsIn, pl.packages, pl.version, pl.images, pl.buildCommand, pl.entrypoint} {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	return &providers.Project{Findings: pl.findings, Build: func(p ocispecs.Platform) (providers.Build, error) { return pl.plan(p), nil }}, nil
}

func (pl *planner) read(ctx context.Context, name string) ([]byte, bool, error) {
	return providers.ReadFile(ctx, pl.req.FS, name)
}

// dependencies reads package.json, finds the lock file and the package
// manager that installs it.
func (pl *planner) dependencies(ctx context.Context) error {
	m := pl.m
	pl.depsRange = m.Language.Range
	if m.Dependencies.Set() {
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
	}
	data, ok, err := pl.read(ctx, "package.json")
	if err != nil {
		return err
	}
	if !ok {
		return providers.Fail(pl.m, pl.depsRange, "add the app's package.json to the build context (is .dockerignore excluding it?)", "the build context has no package.json")
	}
	pkg, err := parsePackageJSON(data)
	if err != nil {
		return providers.Fail(pl.m, pl.depsRange, "fix package.json", "package.json: %v", err)
	}
	pl.pkg, pl.pkgData = pkg, data
	if prod, changed, err := withoutInstallScripts(data); err == nil && changed {
		pl.prodPkg = prod
	}

	var pinned *toolSpec
	if pm := pkg.PackageManager; pm != "" {
		mm := packageManagerRE.FindStringSubmatch(pm)
		if mm == nil {
			return providers.Fail(pl.m, pl.depsRange, `write it as name@x.y.z, e.g. "pnpm@10.34.9" (corepack's form)`, "package.json packageManager %q is not a package manager release", pm)
		}
		pinned = &toolSpec{manager: mm[1], version: mm[2], pinned: true}
	}
	if pl.lock == "" && !m.Dependencies.Set() {
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
	}
	if pl.lock == "" && (len(pl.pkg.Dependencies) > 0 || len(pl.pkg.DevDependencies) > 0) {
		pl.findings = append(pl.findings, check.Finding{Rule: check.DependenciesWithoutLock, Range: pl.depsRange,
			Msg:  "package.json has no lock file next to it: every build resolves its dependencies anew",
			Hint: "run `npm install` (or pnpm install, yarn) and add the lock file to the context"})
	}
	return pl.managerFor(ctx, pinned)
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
	switch manager {
	case npm:
		pl.tool = toolSpec{manager: npm}
		if pl.lock != "" {
			pl.native = npmLockNeedsBuild(lock)
			pl.jsOnly = len(pl.native) == 0 && len(npmLockPrebuilt(lock)) == 0
		}
	case yarnBerry:
		berry := lock != nil && yarnIsBerry(lock)
		if pinned != nil {
			if majorOf(pinned.version) >= 2 != berry && lock != nil {
				return providers.Fail(pl.m, pl.depsRange, "run `yarn install` with the pinned Yarn to rewrite yarn.lock",
					"package.json asks for %s, but yarn.lock was written by Yarn %s", pinned, map[bool]string{true: "2 or later", false: "1"}[berry])
			}
			pl.tool = *pinned
			berry = majorOf(pinned.version) >= 2
		} else if berry {
			pl.tool = toolSpec{manager: yarnBerry, version: YarnBerryVersion}
		} else {
			pl.tool = toolSpec{manager: yarnBerry, version: YarnClassicVersion}
		}
		if !berry {
			pl.tool.manager = yarnClassic
		} else if majorOf(pl.tool.version) < 4 {
			return providers.Fail(pl.m, pl.depsRange, `move to Yarn 4 (yarn set version 4), whose "workspaces focus --production" installs production dependencies alone`,
				"Yarn %s cannot install production dependencies without a plugin from GitHub", pl.tool.version)
		}
	case pnpm:
		if pinned != nil {
			pl.tool = *pinned
			break
		}
		v := ""
		if mm := lockfileVersion.FindSubmatch(lock); mm != nil {
			v = pnpmForLockfile[string(mm[1])]
		}
		if v == "" {
			return providers.Fail(pl.m, pl.depsRange, `pin pnpm with packageManager in package.json, e.g. "pnpm@10.34.9"`, "pnpm-lock.yaml has a lockfileVersion distill does not know")
		}
		pl.tool = toolSpec{manager: pnpm, version: v}
	}
	return nil
}

var (
	majorRE     = regexp.MustCompile(`^v?([0-9]+)(\.[0-9]+(\.[0-9]+)?)?$`)
	nodeTagRE   = regexp.MustCompile(`(?:^|/)node:([0-9]+)`)
	suiteRE     = regexp.MustCompile(`\b(bookworm|bullseye|buster|alpine[0-9.]*|debian1[0-2])\b`)
	distrolessN = regexp.MustCompile(`distroless/nodejs([0-9]+)-debian([0-9]+)`)
)

func supported() string {
	s := make([]string, len(Majors))
	for i, m := range Majors {
		s[i] = strconv.Itoa(m)
	}
	return "supported: " + strings.Join(s, ", ")
}

// version picks the Node.js major: the manifest's, else .nvmrc or
// .node-version, else package.json engines.node (the default major when
// it allows it, else the newest it allows), else the default.
func (pl *planner) version(ctx context.Context) error {
	m := pl.m
	if m.Version.Set() {
		mm := majorRE.FindStringSubmatch(m.Version.Value)
		if mm == nil {
			return providers.Fail(pl.m, m.Version.Range, `write a Node.js major such as "24", or a release such as "24.22.3"`, "invalid Node.js version %q", m.Version.Value)
		}
		pl.major, _ = strconv.Atoi(mm[1])
		if !slices.Contains(Majors, pl.major) {
			return providers.Fail(pl.m, m.Version.Range, supported(), "Node.js %d has no distroless runtime on Debian 13", pl.major)
		}
		return nil
	}
	for _, f := range []string{".nvmrc", ".node-version"} {
		data, ok, err := pl.read(ctx, f)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		v := strings.TrimSpace(strings.SplitN(string(data), "\n", 2)[0])
		if strings.HasPrefix(v, "lts/") || v == "node" || v == "" {
			break // "the newest LTS": the default
		}
		mm := majorRE.FindStringSubmatch(v)
		if mm != nil {
			pl.major, _ = strconv.Atoi(mm[1])
		}
		if mm == nil || !slices.Contains(Majors, pl.major) {
			return providers.Fail(pl.m, m.Language.Range, "write a supported major in "+f+" or set `version:` ("+supported()+")", "%s asks for Node.js %q", f, v)
		}
		return nil
	}
	pl.major = DefaultMajor
	if e := pl.pkg.Engines.Node; e != "" {
		rs, err := parseRange(e)
		if err != nil {
			return providers.Fail(pl.m, m.Language.Range, "fix engines.node in package.json or set `version:`", "package.json engines.node %q: %v", e, err)
		}
		if rs.allowsMajor(DefaultMajor) {
			return nil
		}
		for _, mj := range Majors {
			if rs.allowsMajor(mj) {
				pl.major = mj
				return nil
			}
		}
		return providers.Fail(pl.m, m.Language.Range, "set `version:` or widen engines.node ("+supported()+")", "package.json engines.node %q allows no Node.js release distroless publishes", e)
	}
	return nil
}

// images resolves the builder and the runtime, and rejects the
// combinations that cannot work.
func (pl *planner) images(context.Context) error {
	m := pl.m
	tag := strconv.Itoa(pl.major)
	if m.Version.Set() {
		tag = strings.TrimPrefix(m.Version.Value, "v")
	}
	pl.builder = plan.Image{
		Ref:    fmt.Sprintf("docker.io/library/node:%s-%s-slim", tag, providers.Suite),
		Origin: providers.ImageOrigin(m, plan.RoleBuilder),
		Facts: plan.Facts{Toolchain: "Node.js", Version: strconv.Itoa(pl.major), Debian: providers.DebianRelease, Libc: plan.LibcGlibc,
			Why: "the official slim image of the app's Node.js"},
	}
	if m.Builder.Set() {
		b := m.Builder.Value
		if mm := nodeTagRE.FindStringSubmatch(b); mm != nil && mm[1] != strconv.Itoa(pl.major) {
			return providers.Mismatch(pl.m, m.Builder.Range, fmt.Sprintf("use node:%d-%s-slim, or set version: %q", pl.major, providers.Suite, mm[1]),
				"builder %s has Node.js %s, but the runtime is Node.js %d: native addons would not load", b, mm[1], pl.major)
		}
		if mm := suiteRE.FindStringSubmatch(b); mm != nil {
			return providers.Mismatch(pl.m, m.Builder.Range, fmt.Sprintf("use a Debian 13 (trixie) builder, e.g. node:%d-%s-slim", pl.major, providers.Suite),
				"builder %s is not Debian 13 (%s), the runtime's suite: native addons would need a glibc the runtime lacks", b, mm[1])
		}
		pl.builder.Ref = b
		pl.builder.Facts = plan.Facts{Toolchain: "Node.js", Version: strconv.Itoa(pl.major), Debian: providers.DebianOf(b), Libc: plan.LibcGlibc, Why: "builder: in " + m.File}
	}
	pl.runtime = plan.Image{
		Ref:    fmt.Sprintf("%s/nodejs%d-%s", providers.DistrolessRepo, pl.major, providers.Debian),
		Origin: providers.ImageOrigin(m, plan.RoleRuntime),
		Facts: plan.Facts{Toolchain: "Node.js", Version: strconv.Itoa(pl.major), Debian: providers.DebianRelease, Libc: plan.LibcGlibc,
			Why: "distroless nodejs ships the app's Node.js"},
	}
	if !m.Base.Set() {
		return nil
	}
	b := m.Base.Value
	switch {
	case b == providers.Static || b == providers.Base || b == providers.CC:
		return providers.Fail(pl.m, m.Base.Range, fmt.Sprintf("leave base out (gcr.io/distroless/nodejs%d-debian13), or name an image whose entrypoint is node", pl.major),
			"base %q has no Node.js runtime", b)
	case b == "" || strings.ContainsAny(b, " \t"):
		return providers.Fail(pl.m, m.Base.Range, "use an image reference", "invalid base %q", b)
	}
	if mm := distrolessN.FindStringSubmatch(b); mm != nil {
		if mm[2] != "13" {
			return providers.Fail(pl.m, m.Base.Range, fmt.Sprintf("use gcr.io/distroless/nodejs%d-debian13", pl.major), "base %s is Debian %s, but builders are Debian 13 (%s)", b, mm[2], providers.Suite)
		}
		if mm[1] != strconv.Itoa(pl.major) {
			return providers.Fail(pl.m, m.Base.Range, fmt.Sprintf("use gcr.io/distroless/nodejs%d-debian13, or set version: %q", pl.major, mm[1]),
				"base %s ships Node.js %s, but the app is built with Node.js %d", b, mm[1], pl.major)
		}
	} else if mm := suiteRE.FindStringSubmatch(b); mm != nil {
		return providers.Fail(pl.m, m.Base.Range, fmt.Sprintf("use a Debian 13 base, e.g. gcr.io/distroless/nodejs%d-debian13", pl.major), "base %s is not Debian 13 (%s), the builder's suite", b, mm[1])
	}
	pl.runtime.Ref = b
	pl.runtime.Facts = plan.Facts{Debian: providers.DebianOf(b), Why: "base: in " + m.File}
	if distrolessN.MatchString(b) {
		pl.runtime.Facts.Toolchain, pl.runtime.Facts.Version, pl.runtime.Facts.Libc = "Node.js", strconv.Itoa(pl.major), plan.LibcGlibc
	}
	return nil
}

// runScript is how the package manager runs a package.json script.
func (pl *planner) runScript(name string) []string {
	switch {
	case pl.tool.viaCorepack():
		return append(pl.corepack(), "run", name)
	case pl.tool.manager == yarnClassic:
		return []string{"yarn", "run", name}
	}
	return []string{"npm", "run", name}
}

// corepack is the command line that runs the package manager.
func (pl *planner) corepack() []string {
	if pl.tool.pinned {
		// corepack reads the version, and its hash, from packageManager.
		return []string{"corepack", pl.tool.name()}
	}
	return []string{"corepack", pl.tool.name() + "@" + pl.tool.version}
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

var (
	jsFileRE = regexp.MustCompile(`\.(js|mjs|cjs|ts|mts|cts)$`)
	// Node options that take the next argument as their value.
	valueFlags = []string{"-r", "--require", "--import", "--loader", "--experimental-loader", "-C", "--conditions", "--env-file", "--title", "--input-type"}
	startRE    = regexp.MustCompile(`^node(?:js)?((?: +[^ ;&|<>$` + "`" + `'"\\]+)+)$`)
)

// entrypoint maps the manifest's command onto the runtime: "node" is the
// runtime's node binary (its entrypoint), a script file runs with it, and a
// bare name is a package's executable in node_modules/.bin.
func (pl *planner) entrypoint(ctx context.Context) error {
	m := pl.m
	var argv []string
	switch {
	case m.Entrypoint.Set():
		argv = m.Entrypoint.Values()
	case pl.startScript() != nil:
		argv = pl.startScript()
	default:
		main := pl.pkg.Main
		if main == "" {
			for _, f := range []string{"index.js", "server.js", "app.js", "main.js"} {
				if ok, err := providers.Exists(ctx, pl.req.FS, f); err != nil {
					return err
				} else if ok {
					main = f
					break
				}
			}
		}
		if main == "" {
			return providers.Fail(pl.m, m.Language.Range, `add entrypoint: ["node", "server.js"] (or a start script "node <file>" or "main" in package.json)`,
				"no entrypoint: package.json has no start script running node and no main, and the context has no index.js, server.js, app.js or main.js")
		}
		argv = []string{"node", main}
	}
	a0 := argv[0]
	switch {
	case a0 == "node" || a0 == "nodejs":
		pl.prepend, argv = true, argv[1:]
		if m.Entrypoint.Set() && len(pl.build) == 0 {
			// The script reaches the image from the context unchanged.
			pl.script = providers.ScriptArg(m)
		}
	case jsFileRE.MatchString(a0) && !path.IsAbs(a0):
		pl.prepend = true
	case !strings.Contains(a0, "/"):
		// A package's executable: node runs the file the .bin link points to.
		pl.prepend = true
		argv[0] = path.Join(providers.AppDir, "node_modules", ".bin", a0)
		pl.check = path.Join("node_modules", ".bin", a0)
	}
	if pl.prepend && pl.check == "" {
		pl.check = scriptOf(argv)
	}
	pl.command = argv
	return nil
}

// startScript is package.json's start script when it only runs node on a
// file, as argv.
func (pl *planner) startScript() []string {
	s := strings.TrimSpace(pl.pkg.Scripts["start"])
	if !startRE.MatchString(s) {
		return nil
	}
	argv := strings.Fields(s)
	if scriptOf(argv[1:]) == "" {
		return nil
	}
	return argv
}

// scriptOf is the script a node command line runs, relative to the app
// directory ("" for none, e.g. node -e).
func scriptOf(args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-e" || a == "--eval" || a == "-p" || a == "--print" || a == "-":
			return ""
		case slices.Contains(valueFlags, a):
			i++
		case strings.HasPrefix(a, "-"):
		default:
			p := path.Clean(a)
			if path.IsAbs(p) {
				rel, ok := strings.CutPrefix(p, providers.AppDir+"/")
				if !ok {
					return ""
				}
				p = rel
			}
			return p
		}
	}
	return ""
}
