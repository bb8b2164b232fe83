package node

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/decode"
	"github.com/distill-build/distill/frontend/providers"
	"gopkg.in/yaml.v3"
)

// An app in a workspace (pnpm-workspace.yaml, or package.json's
// workspaces for npm) above the manifest's directory: the lock and the
// package manager's configuration are the workspace root's, the app is
// the member the manifest's directory is, and the build takes the
// workspace packages the app depends on (transitively; dev dependencies
// too for the build), nothing else: their package.json files for the
// install, which the package manager filters to them (pnpm --filter, npm
// --workspace), their sources, and each one's build script before the
// app's. The image keeps the workspace's layout under /app (node_modules
// at the root and in each member, where the package managers link them)
// and runs in the member's directory.

// workspace is how the frontend recognizes a workspace above an app.
var workspace = &providers.Workspace{Files: []string{"pnpm-workspace.yaml", "package.json"}, Has: workspaceHas}

func workspaceHas(name string, data []byte, member string) bool {
	pats, err := workspacePatterns(name, data)
	return err == nil && providers.MatchMember(member, pats, nil)
}

// workspacePatterns are the member globs a workspace file declares.
func workspacePatterns(name string, data []byte) ([]string, error) {
	if name == "pnpm-workspace.yaml" {
		var w struct {
			Packages []string `yaml:"packages"`
		}
		err := yaml.Unmarshal(data, &w)
		return w.Packages, decode.Explain(err, data)
	}
	var p struct {
		Workspaces json.RawMessage `json:"workspaces"`
	}
	if err := json.Unmarshal(data, &p); err != nil || len(p.Workspaces) == 0 {
		return nil, decode.Explain(err, data)
	}
	var list []string
	if json.Unmarshal(p.Workspaces, &list) == nil {
		return list, nil
	}
	var obj struct {
		Packages []string `json:"packages"`
	}
	err := json.Unmarshal(p.Workspaces, &obj)
	return obj.Packages, decode.Explain(err, nil)
}

// nodeWorkspace is the workspace an app is a member of.
type nodeWorkspace struct {
	// file declares the workspace; member is the app's directory.
	file, member string
	// root is the workspace root's package.json.
	root *packageJSON
	// runtime are the packages the app runs with (its dependencies'
	// closure among the workspace's packages, the app included), build
	// the ones its build needs (dev dependencies' too), each with the
	// packages it depends on before it.
	runtime, build []wsPackage
	// rootFiles are the files at the workspace's root the build reads
	// (tsconfig.base.json that members extend, babel or lint config).
	rootFiles []string
}

type wsPackage struct {
	dir string
	pkg *packageJSON
}

// dirs are the packages' directories.
func dirs(pkgs []wsPackage) []string {
	out := make([]string, len(pkgs))
	for i, p := range pkgs {
		out[i] = p.dir
	}
	return out
}

// readWorkspace reads the workspace's members (one level of glob, as
// "packages/*", or a directory) and works out the app's closures.
func (pl *planner) readWorkspace(ctx context.Context) error {
	m := pl.m
	w := &nodeWorkspace{member: m.Member}
	file, patterns, err := pl.workspaceFile(ctx, m.Member)
	if err != nil {
		return err
	}
	if w.file = file; file == "" {
		return providers.Fail(m, m.Language.Range, "", "the workspace above %s is gone", m.Member)
	}
	byName, err := pl.members(ctx, file, patterns)
	if err != nil {
		return err
	}
	app := wsPackage{dir: m.Member, pkg: pl.pkg}
	w.runtime = closure(app, byName, false)
	w.build = closure(app, byName, true)
	if data, ok, err := pl.read(ctx, "package.json"); err != nil {
		return err
	} else if ok {
		if w.root, err = parsePackageJSON(data); err != nil {
			return providers.Fail(m, m.Language.Range, "fix package.json at the workspace's root", "package.json: %v", err)
		}
	}
	// The configuration files a member's build may read at the root, by
	// name (a listing of the root would transfer every file there).
	if pf, ok := pl.req.FS.(providers.Prefetcher); ok {
		if err := pf.Prefetch(ctx, rootConfigs); err != nil {
			return err
		}
	}
	for _, n := range rootConfigs {
		if ok, err := providers.Exists(ctx, pl.req.FS, n); err != nil {
			return err
		} else if ok {
			w.rootFiles = append(w.rootFiles, n)
		}
	}
	pl.ws = w
	return nil
}

// rootConfigs are the files at a workspace's root that its packages'
// builds read: TypeScript configurations they extend, Babel and SWC
// configuration, the monorepo tools' files, browser targets.
var rootConfigs = []string{
	".babelrc", ".babelrc.json", ".browserslistrc", ".swcrc", "babel.config.cjs", "babel.config.js", "babel.config.json", "babel.config.mjs",
	"lerna.json", "nx.json", "tsconfig.base.json", "tsconfig.build.json", "tsconfig.json", "turbo.json",
}

// workspaceFile is the file at the root that declares a workspace with
// member ("" for any), and its member patterns; "" when none does.
func (pl *planner) workspaceFile(ctx context.Context, member string) (string, []string, error) {
	for _, f := range workspace.Files {
		data, ok, err := pl.read(ctx, f)
		if err != nil {
			return "", nil, err
		}
		if !ok {
			continue
		}
		if p, err := workspacePatterns(f, data); err == nil && len(p) > 0 && (member == "" || providers.MatchMember(member, p, nil)) {
			return f, p, nil
		}
	}
	return "", nil, nil
}

// members are the workspace's packages by name: the directories its
// patterns match (one level of glob, as "packages/*", or a directory)
// that hold a package.json.
func (pl *planner) members(ctx context.Context, file string, patterns []string) (map[string]wsPackage, error) {
	m := pl.m
	fail := func(hint, format string, args ...any) error {
		return providers.Fail(m, m.Language.Range, hint, format, args...)
	}
	var dirsFound []string
	for _, p := range patterns {
		if strings.HasPrefix(p, "!") {
			continue
		}
		p = path.Clean(strings.TrimPrefix(p, "./"))
		parent, glob := path.Split(p)
		parent = path.Clean(parent)
		switch {
		case strings.Contains(parent, "*"):
			return nil, fail("list the members' parent directories, e.g. packages/*", "%s: the workspace pattern %q has a glob above its last element, which distill does not read", file, p)
		case !strings.ContainsAny(glob, "*?["):
			dirsFound = append(dirsFound, p)
			continue
		}
		entries, err := pl.req.FS.ReadDir(ctx, parent)
		if err != nil {
			continue // no such directory: no members there
		}
		for _, e := range entries {
			d := path.Join(parent, e.Name())
			if e.IsDir() && providers.MatchMember(d, patterns, nil) {
				dirsFound = append(dirsFound, d)
			}
		}
	}
	slices.Sort(dirsFound)
	dirsFound = slices.Compact(dirsFound)
	var names []string
	for _, d := range dirsFound {
		names = append(names, path.Join(d, "package.json"))
	}
	if pf, ok := pl.req.FS.(providers.Prefetcher); ok {
		if err := pf.Prefetch(ctx, names); err != nil {
			return nil, err
		}
	}
	byName := map[string]wsPackage{}
	for _, d := range dirsFound {
		data, ok, err := pl.read(ctx, path.Join(d, "package.json"))
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		pkg, err := parsePackageJSON(data)
		if err != nil {
			return nil, fail("fix "+path.Join(d, "package.json"), "%s/package.json: %v", d, err)
		}
		if pkg.Name != "" {
			byName[pkg.Name] = wsPackage{dir: d, pkg: pkg}
		}
	}
	return byName, nil
}

// rootOfWorkspace is the error for a manifest at a workspace's root
// whose own package is no app: it lists the members to build instead.
func (pl *planner) rootOfWorkspace(ctx context.Context) error {
	file, patterns, err := pl.workspaceFile(ctx, "")
	if err != nil || file == "" {
		return err
	}
	byName, err := pl.members(ctx, file, patterns)
	if err != nil || len(byName) == 0 {
		return err
	}
	var dirsFound []string
	for _, p := range byName {
		dirsFound = append(dirsFound, p.dir)
	}
	slices.Sort(dirsFound)
	return providers.Fail(pl.m, pl.m.Language.Range, fmt.Sprintf("put the manifest in the app's directory and build from the root with -f, e.g. docker buildx build -f %s/distill.yaml .", dirsFound[0]),
		"the manifest is at the root of a workspace (%s, %d packages: %s) whose own package.json has no app to run", file, len(dirsFound), strings.Join(dirsFound, ", "))
}

// closure is app and the workspace packages it depends on, transitively,
// dependencies before their dependents (dev dependencies too when dev).
func closure(app wsPackage, byName map[string]wsPackage, dev bool) []wsPackage {
	var out []wsPackage
	seen := map[string]bool{app.dir: true}
	var visit func(p wsPackage)
	visit = func(p wsPackage) {
		deps := slices.Sorted(keys(p.pkg.Dependencies))
		if dev {
			deps = append(deps, slices.Sorted(keys(p.pkg.DevDependencies))...)
		}
		for _, name := range deps {
			d, ok := byName[name]
			if !ok || seen[d.dir] {
				continue
			}
			seen[d.dir] = true
			visit(d)
		}
		out = append(out, p)
	}
	visit(app)
	return out
}

func keys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// wsInstall filters the installs to the workspace packages the app runs
// with (prod) and builds with (full), each package manager its own way:
// pnpm --filter, npm --workspace, Yarn Berry's workspaces focus; Yarn
// classic installs the workspaces present, which are those.
func (pl *planner) wsInstall(in *installer) {
	runtime, build := pl.ws.runtime, pl.ws.build
	switch pl.tool.manager {
	case pnpm:
		for _, p := range runtime {
			in.prod = append(in.prod, "--filter", p.pkg.Name)
		}
		for _, p := range build {
			in.full = append(in.full, "--filter", p.pkg.Name)
		}
	case npm:
		for _, p := range runtime {
			in.prod = append(in.prod, "--workspace", p.dir)
		}
		for _, p := range build {
			in.full = append(in.full, "--workspace", p.dir)
		}
	case yarnBerry:
		in.prod = append(pl.tool.corepack(), "workspaces", "focus", "--production")
		for _, p := range runtime {
			in.prod = append(in.prod, p.pkg.Name)
		}
		in.full = append(pl.tool.corepack(), "workspaces", "focus")
		for _, p := range build {
			in.full = append(in.full, p.pkg.Name)
		}
	}
}
