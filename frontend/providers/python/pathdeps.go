package python

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
)

// Path dependencies: a requirements file's ../../libs/shared, Poetry's
// shared = {path = "../../libs/shared"}, a uv project's [tool.uv.sources]
// shared = {path = "../../libs/shared"} install a package from a
// directory (or a wheel, an sdist) beside the app's. Built with the
// repository's root as the context, the frontend takes as the app's root
// the directory holding the app and those paths (reach, the Workspace's
// Reach), and the manifest's directory as the member: the member is
// /app, as a uv workspace's member is, and each dependency is copied to
// where the tool resolves it from there (pip from its working directory,
// /app; Poetry and uv from the project's directory), before the install
// that needs it: services/api's ../../libs/shared is /libs/shared in the
// builder. Installs stay non-editable, so nothing outside /app reaches
// the image; an editable one outside the app (pip's -e, Poetry's
// develop = true) is an error, as the image would point at a source it
// does not hold (uv installs every package non-editable, --no-editable).

// pathDep is a local package outside the app's directory (or, for Poetry
// and uv, inside it), copied into the builder before the install.
type pathDep struct {
	// src is its context path, dest where the tool finds it in the
	// builder; dir tells a directory from a file (a wheel, an sdist).
	src, dest string
	dir       bool
}

// builderDirs are the builder's own top-level directories, and distill's:
// a path dependency resolved there would land among them (or be hidden
// by a step's mounts).
var builderDirs = []string{"app", "bin", "boot", "dev", "etc", "lib", "lib64", "opt", "proc", "root", "run", "sbin", "sys", "tmp", "usr", "var"}

// readPathDeps reads the local packages Poetry or uv installs for the app
// and where they go (addLocal).
func (pl *planner) readPathDeps(ctx context.Context) error {
	locals, err := pl.lockLocals(ctx)
	if err != nil {
		return err
	}
	if err := pl.prefetchLocals(ctx, locals, pl.dir); err != nil {
		return err
	}
	builderDir := path.Join(providers.AppDir, pl.inApp(pl.dir))
	for _, d := range locals {
		if d.path == "" {
			continue
		}
		inside, err := pl.addLocal(ctx, d, pl.dir, builderDir)
		if err != nil {
			return err
		}
		if inside {
			// In the app's directory: copied before the install as well,
			// which needs it (the app's other files come after).
			if err := pl.addPathDep(ctx, d, path.Join(pl.dir, d.path), path.Join(builderDir, d.path)); err != nil {
				return err
			}
		}
	}
	return nil
}

// prefetchLocals loads what the context has of the local packages'
// paths (relative to base), in one round trip when it reads on demand.
func (pl *planner) prefetchLocals(ctx context.Context, locals []localDep, base string) error {
	pf, ok := pl.req.FS.(providers.Prefetcher)
	if !ok {
		return nil
	}
	var names []string
	for _, d := range locals {
		if p := path.Join(base, d.path); d.path != "" && !path.IsAbs(d.path) && p != ".." && !strings.HasPrefix(p, "../") {
			names = append(names, p)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return pf.Prefetch(ctx, names)
}

// addLocal places a local package named by d.path, relative to base (a
// context directory) and builderBase (the builder's directory the tool
// resolves it from): one outside the app's directory is a pathDep; inside
// reports whether it is in the app's directory (it arrives with the
// app's files). A path leaving the context is an error.
func (pl *planner) addLocal(ctx context.Context, d localDep, base, builderBase string) (inside bool, err error) {
	src := path.Join(base, d.path)
	if path.IsAbs(d.path) || src == ".." || strings.HasPrefix(src, "../") {
		return false, providers.Fail(pl.m, pl.depsRange,
			"build with a context holding the app and it, e.g. from the repository's root: docker buildx build -f <app's directory>/distill.yaml . (the app's root is then the directory holding both)",
			"%s installs %s, outside the build context", d.from, d.path)
	}
	if within(src, pl.member) {
		return true, nil
	}
	dest := path.Join(builderBase, d.path)
	if d.editable && pl.kind != managerUV {
		how := "write it without -e: pip then builds it and installs it into the environment"
		if pl.kind == managerPoetry {
			how = "set develop = false: Poetry then builds it and installs it into the environment"
		}
		return false, providers.Fail(pl.m, pl.depsRange, how,
			"%s installs %s editable, from outside the app's directory (%s): the image would point at a source it does not hold", d.from, d.path, cmpOr(pl.member, "."))
	}
	return false, pl.addPathDep(ctx, d, src, dest)
}

// addPathDep records a package copied from src to dest before the
// install, checking dest is free.
func (pl *planner) addPathDep(ctx context.Context, d localDep, src, dest string) error {
	for _, o := range pl.deps {
		if o.src == src {
			return nil
		}
		if o.dest == dest {
			return providers.Fail(pl.m, pl.depsRange, "keep path dependencies in directories of different names",
				"%s and %s both resolve to %s from the app's directory (%s)", o.src, src, dest, providers.AppDir)
		}
	}
	isDir, err := pl.req.FS.Stat(ctx, src)
	if errors.Is(err, fs.ErrNotExist) {
		return providers.Fail(pl.m, pl.depsRange, "check the path and that .dockerignore does not exclude it",
			"%s installs %s (%s), which is not in the build context", d.from, d.path, src)
	} else if err != nil {
		return err
	}
	if err := pl.checkDest(d, src, dest, isDir); err != nil {
		return err
	}
	pl.deps = append(pl.deps, pathDep{src: src, dest: dest, dir: isDir})
	return nil
}

// checkDest refuses a builder path that a package (or a file, isDir
// false) from outside the app cannot be copied to: the app's directory,
// the builder's own, or its root (an install for another platform is
// given the directories it reads).
func (pl *planner) checkDest(d localDep, src, dest string, isDir bool) error {
	if within(src, pl.member) {
		return nil
	}
	top, _, _ := strings.Cut(strings.TrimPrefix(dest, "/"), "/")
	if !isDir && path.Dir(dest) == "/" {
		return providers.Fail(pl.m, pl.depsRange, "keep it in a directory beside the app's, such as requirements/ or dist/",
			"%s names %s (%s), which is %s from the app's directory (%s): a file at the builder's root", d.from, d.path, src, dest, providers.AppDir)
	}
	if within(pl.member, src) {
		return providers.Fail(pl.m, pl.depsRange, "name a package's own directory",
			"%s names %s (%s), a directory holding the app's", d.from, d.path, src)
	}
	if slices.Contains(builderDirs, top) {
		return providers.Fail(pl.m, pl.depsRange, "keep path dependencies in a directory of another name, such as libs/ or packages/",
			"%s names %s (%s), which is %s from the app's directory (%s): the builder's own /%s", d.from, d.path, src, dest, providers.AppDir, top)
	}
	return nil
}

// copyPathDeps copy the path dependencies to where the install finds
// them.
func (in *installer) copyPathDeps() []plan.Step {
	var steps []plan.Step
	for _, d := range in.pl.deps {
		c := &plan.Copy{Dir: d.src, Dest: d.dest, Exclude: []string{"**/.venv", "**/__pycache__", "**/*.pyc"}}
		if !d.dir {
			c = &plan.Copy{Dir: dirOf(d.src), Paths: []string{path.Base(d.src)}, Dest: path.Dir(d.dest)}
		}
		steps = append(steps, plan.Step{Name: "[python] copy " + d.src + " to " + d.dest + " (a path dependency)", Origin: in.depsOrigin, Copy: c})
	}
	return steps
}

// installDirs are the builder's directories an install reads and
// changes (what an install in another platform's builder is given): the
// app directory, and those of the path dependencies and requirements
// files outside it.
func (pl *planner) installDirs() []string {
	var dirs []string
	for _, d := range pl.deps {
		if d.dir {
			dirs = append(dirs, d.dest)
		} else {
			dirs = append(dirs, path.Dir(d.dest))
		}
	}
	for i, f := range pl.reqFiles {
		if !within(f, pl.member) {
			dirs = append(dirs, path.Dir(pl.reqDests[i]))
		}
	}
	out := []string{providers.AppDir}
	for _, d := range dirs {
		if !slices.ContainsFunc(out, func(o string) bool { return d == o || strings.HasPrefix(d, o+"/") }) {
			out = append(out, d)
		}
	}
	return out
}

// dirOf is a context path's directory, "" for the root (Copy.Dir).
func dirOf(p string) string {
	if d := path.Dir(p); d != "." {
		return d
	}
	return ""
}

// within reports whether the context path p is dir or under it ("." holds
// every path in the context).
func within(p, dir string) bool {
	return dir == "." || p == dir || strings.HasPrefix(p, dir+"/")
}

// ctxPath is a path of the app's directory as a context path.
func (pl *planner) ctxPath(p string) string {
	if pl.member == "." || pl.member == "" {
		return p
	}
	return path.Join(pl.member, p)
}

// inApp is a context path as the app's directory (the member's, /app)
// sees it: "../" leads outside.
func (pl *planner) inApp(p string) string {
	if pl.member == "." || pl.member == "" {
		return p
	}
	return relPath(pl.member, p)
}

// relPath is target relative to base (clean slash paths under the same
// root, "." for the root).
func relPath(base, target string) string {
	split := func(p string) []string {
		if p == "." || p == "" {
			return nil
		}
		return strings.Split(p, "/")
	}
	bs, ts := split(base), split(target)
	n := 0
	for n < len(bs) && n < len(ts) && bs[n] == ts[n] {
		n++
	}
	parts := slices.Repeat([]string{".."}, len(bs)-n)
	parts = append(parts, ts[n:]...)
	if len(parts) == 0 {
		return "."
	}
	return strings.Join(parts, "/")
}
