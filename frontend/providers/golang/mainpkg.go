package golang

import (
	"context"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
)

// The package to build: the manifest's main:, checked to be a command,
// and the binary's name.

// mainPackage checks the package to build and names the binary after it.
func (pr *project) mainPackage(ctx context.Context) error {
	m := pr.req.Manifest
	pr.mainPkg = "."
	if rel := strings.TrimPrefix(m.Member, pr.modDir+"/"); pr.modDir == "." && m.Member != "" {
		pr.mainPkg = "./" + m.Member
	} else if rel != m.Member {
		// The manifest is in a package directory below the module's.
		pr.mainPkg = "./" + rel
	}
	mainRange := manifest.Range{}
	pr.buildOrigin = providers.Origin("language", m.Language.Range)
	if m.Main.Set() {
		pr.mainPkg, mainRange = m.Main.Value, m.Main.Range
		pr.buildOrigin = providers.Origin("main", m.Main.Range)
		if pr.work != nil && pr.work.byMain {
			// main: picked the workspace's module: the package is
			// relative to it.
			pr.mainPkg = "."
			if rel := strings.TrimPrefix(strings.TrimPrefix(path.Clean(m.Main.Value), pr.modDir), "/"); rel != "" {
				pr.mainPkg = "./" + rel
			}
		}
	}
	pr.depsOrigin = providers.DependenciesOrigin(m)
	hint := "name a package directory relative to go.mod, e.g. ./cmd/server"
	if err := checkRelative(pr.mainPkg); err != nil {
		return providers.Fail(m, mainRange, hint, "main: %v", err)
	}
	if isDir, err := pr.req.FS.Stat(ctx, path.Join(pr.modDir, pr.mainPkg)); err != nil || !isDir {
		return providers.Fail(m, mainRange, hint, "main package %q is not a directory of the build context", pr.mainPkg)
	}
	if err := pr.checkMainPackage(ctx, mainRange); err != nil {
		return err
	}
	pr.name = execName(path.Join(pr.mod.path, pr.mainPkg))
	return nil
}

// checkMainPackage fails when the package to build is not a command: go
// build -o of a library package succeeds and writes an ar archive, which
// the image would then run (exec format error), and a directory without
// Go files for Linux fails the build later with go's own words. The
// error names the module's main packages (the root's and cmd/*'s).
func (pr *project) checkMainPackage(ctx context.Context, mainRange manifest.Range) error {
	m := pr.req.Manifest
	dir := path.Join(pr.modDir, pr.mainPkg)
	pkgs, err := packageNames(ctx, pr.req.FS, dir)
	if err != nil || pkgs["main"] {
		return err
	}
	what := "has no Go files for Linux"
	if len(pkgs) > 0 {
		what = "is package " + strings.Join(slices.Sorted(maps.Keys(pkgs)), ", ") + ", not a command (go build would write a library archive, not a program)"
	}
	hint := "set main: to the package of the command to build"
	mains, err := mainPackages(ctx, pr.req.FS, pr.modDir)
	if err != nil {
		return err
	}
	if len(mains) > 0 {
		hint += ", e.g. " + strings.Join(mains, ", ")
	}
	field := "main package"
	if !m.Main.Set() {
		// No main: line: the error is at language:, where the build's
		// default package comes from.
		mainRange = m.Language.Range
		field = "the module's root package"
		if pr.mainPkg != "." {
			field = "the manifest's package"
		}
	}
	return providers.Fail(m, mainRange, hint, "%s %q %s", field, pr.mainPkg, what)
}

// packageNames are the package clauses of the non-test Go files for
// Linux in dir (a file whose build constraint excludes Linux, such as
// //go:build tools, is left out).
func packageNames(ctx context.Context, fsys providers.FS, dir string) (map[string]bool, error) {
	entries, err := fsys.ReadDir(ctx, dir)
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") || !forLinux(n) {
			continue
		}
		data, err := fsys.ReadFile(ctx, path.Join(dir, n))
		if err != nil {
			return nil, err
		}
		if pkg, ok := packageClause(data); ok {
			names[pkg] = true
		}
	}
	return names, nil
}

// mainPackages lists the module's commands: its root and the
// directories under cmd/ whose package is main, as main: values.
func mainPackages(ctx context.Context, fsys providers.FS, modDir string) ([]string, error) {
	var out []string
	if pkgs, err := packageNames(ctx, fsys, modDir); err != nil {
		return nil, err
	} else if pkgs["main"] {
		out = append(out, ".")
	}
	entries, err := fsys.ReadDir(ctx, path.Join(modDir, "cmd"))
	if err != nil {
		return out, nil // no cmd directory
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		pkgs, err := packageNames(ctx, fsys, path.Join(modDir, "cmd", e.Name()))
		if err != nil {
			return nil, err
		}
		if pkgs["main"] {
			out = append(out, "./cmd/"+e.Name())
		}
	}
	return out, nil
}

// execName is the name `go build` and `go install` give the binary of
// the main package importPath: its last element, or the one before it
// when that is a major-version suffix (example.com/miniflux/v2 builds
// miniflux, not v2).
func execName(importPath string) string {
	dir, elem := path.Split(importPath)
	if dir != "" && majorSuffix(elem) {
		elem = path.Base(dir)
	}
	return elem
}

// majorSuffix reports whether elem is a module path's major-version
// element: v2, v3, … (not v0, v1 or v01).
func majorSuffix(elem string) bool {
	if len(elem) < 2 || elem[0] != 'v' || elem[1] == '0' || elem == "v1" {
		return false
	}
	for _, c := range elem[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// detectCgo decides cgo (the manifest's, else the sources') and the least
