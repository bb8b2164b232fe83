package python

import (
	"context"
	"path"
	"strings"

	"github.com/distill-build/distill/frontend/providers"
)

// detectOrder is the order dependency files are looked for.
var detectOrder = []struct{ file, kind string }{
	{"uv.lock", managerUV},
	{"poetry.lock", managerPoetry},
	{"Pipfile.lock", managerPipenv},
	{"requirements.txt", managerPip},
	{"pyproject.toml", managerProject},
}

// dependencies finds the dependency file and reads what planning needs.
func (pl *planner) dependencies(ctx context.Context) error {
	pl.depsRange = pl.m.Language.Range
	find := pl.detect
	if pl.m.Dependencies.Set() {
		pl.depsRange = pl.m.Dependencies.Range
		find = pl.named
	}
	if member, err := pl.readWorkspace(ctx); err != nil || member {
		return err
	}
	if err := find(ctx); err != nil {
		return err
	}
	if err := pl.checkLock(ctx); err != nil {
		return err
	}
	// Projects managed by uv and Poetry need their pyproject.toml.
	if pl.kind == managerUV || pl.kind == managerPoetry || pl.kind == managerProject {
		if err := pl.readPyproject(ctx); err != nil {
			return err
		}
	}
	switch pl.kind {
	case managerPipenv:
		return pl.readPipfileLock(ctx)
	case managerPip:
		return pl.readRequirements(ctx)
	case managerPoetry, managerUV:
		return pl.readPathDeps(ctx)
	}
	return nil
}

// named is the dependency file the manifest names, and its manager.
func (pl *planner) named(ctx context.Context) error {
	m := pl.m
	f := path.Clean(strings.TrimPrefix(m.Dependencies.Value, "./"))
	if path.IsAbs(f) || f == ".." || strings.HasPrefix(f, "../") {
		return providers.Fail(pl.m, pl.depsRange, "use a path inside the build context", "dependency file %q leaves the build context", m.Dependencies.Value)
	}
	base := path.Base(f)
	switch {
	case base == "uv.lock":
		pl.kind = managerUV
	case base == "poetry.lock":
		pl.kind = managerPoetry
	case base == "Pipfile.lock":
		pl.kind = managerPipenv
	case base == "Pipfile":
		return providers.Fail(pl.m, pl.depsRange, "run `pipenv lock` and name Pipfile.lock", "Pipfile alone does not pin versions")
	case base == "pyproject.toml":
		pl.kind = managerProject
	case strings.HasSuffix(base, ".txt") || strings.HasSuffix(base, ".in"):
		pl.kind = managerPip
	default:
		return providers.Fail(pl.m, pl.depsRange, "name uv.lock, poetry.lock, Pipfile.lock, a requirements .txt file or pyproject.toml", "%q is not a Python dependency file", m.Dependencies.Value)
	}
	f = pl.ctxPath(f)
	pl.file, pl.dir = f, path.Dir(f)
	ok, err := providers.Exists(ctx, pl.req.FS, f)
	if err != nil {
		return err
	}
	if !ok {
		return providers.Fail(pl.m, pl.depsRange, "check the path and that .dockerignore does not exclude it", "dependency file %q is not in the build context", f)
	}
	return nil
}

// detect looks for a dependency file in the app's directory (the root of
// the context, or the member's).
func (pl *planner) detect(ctx context.Context) error {
	pl.kind, pl.dir = managerNone, pl.member
	for _, d := range detectOrder {
		ok, err := providers.Exists(ctx, pl.req.FS, pl.ctxPath(d.file))
		if err != nil {
			return err
		}
		if ok {
			pl.kind, pl.file = d.kind, pl.ctxPath(d.file)
			break
		}
	}
	if pl.kind == managerNone {
		if ok, _ := providers.Exists(ctx, pl.req.FS, pl.ctxPath("Pipfile")); ok {
			return providers.Fail(pl.m, pl.depsRange, "run `pipenv lock` and add Pipfile.lock to the context", "Pipfile has no Pipfile.lock next to it: versions are not pinned")
		}
	}
	return nil
}
