package node

import (
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
)

// Files never read at run time, left out of node_modules: documentation,
// TypeScript sources and declarations (Node does not strip types under
// node_modules), source maps, a package's own test directories (test/ and
// tests/ at its root: a package named test, or @scope/test, stays), editor,
// CI and lint configuration. Licence files stay. docs/node.md lists them with
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

var tsFileRE = regexp.MustCompile(`\.(ts|mts|cts)$`)

// artifacts are what reaches the runtime: the shared libraries native
// code needs, the production node_modules, pruned, and the app's files
// from appDir, less what only installs read.
func (pl *planner) artifacts(appDir string, langOrigin, depsOrigin plan.Origin) []plan.Artifact {
	installOnly := append([]string{"package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml"}, installInputs...)
	// Yarn's own state (.yarn: releases, install state) and Plug'n'Play
	// loaders are install-time only too.
	appExclude := append([]string{"node_modules", ".yarn", ".pnp.cjs", ".pnp.loader.mjs"}, installOnly...)
	appExclude = append(appExclude, "**/*.d.ts", "**/*.d.mts", "**/*.d.cts", "**/*.tsbuildinfo")
	if pl.built() && !tsFileRE.MatchString(pl.check) {
		// Built: TypeScript sources are not run (the entrypoint is not one).
		appExclude = append(appExclude, "**/*.ts", "**/*.mts", "**/*.cts")
		if !pl.sourceMaps() {
			appExclude = append(appExclude, "**/*.map")
		}
	}
	var artifacts []plan.Artifact
	if pl.libs() {
		artifacts = append(artifacts, plan.Artifact{From: plan.FromBuilder, Src: providers.Sysroot, Dest: "/", Layer: "dependencies", Origin: depsOrigin})
	}
	artifacts = append(artifacts,
		plan.Artifact{From: plan.FromBuilder, Src: path.Join(providers.AppDir, "node_modules"), Dest: path.Join(providers.AppDir, "node_modules"), Exclude: pruneModules, Layer: "dependencies", Origin: depsOrigin})
	if pl.ws == nil {
		return append(artifacts, plan.Artifact{From: plan.FromBuilder, Src: appDir, Dest: providers.AppDir, Exclude: appExclude, Layer: "app", Origin: langOrigin})
	}
	// A workspace: each package the app runs with, at its place, with
	// the node_modules the package manager linked in it.
	for _, d := range dirs(pl.ws.runtime) {
		nm := path.Join(providers.AppDir, d, "node_modules")
		artifacts = append(artifacts, plan.Artifact{From: plan.FromBuilder, Src: nm, Dest: nm, Exclude: pruneModules, Layer: "dependencies", Origin: depsOrigin})
	}
	for _, d := range dirs(pl.ws.runtime) {
		artifacts = append(artifacts, plan.Artifact{From: plan.FromBuilder, Src: path.Join(appDir, d), Dest: path.Join(providers.AppDir, d), Exclude: appExclude, Layer: "app", Origin: langOrigin})
	}
	return artifacts
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

// imageName is the image's name: package.json's, less its scope.
func (pl *planner) imageName() string {
	name := pl.pkg.Name
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if name == "" {
		name = "app"
	}
	return name
}
