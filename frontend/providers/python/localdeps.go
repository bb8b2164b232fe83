package python

import (
	"context"
	"errors"
	"maps"
	"path"
	"slices"

	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/pelletier/go-toml/v2"
)

// The local packages an app's dependency files install from a path
// (requirements' ../../libs/shared, Poetry's and uv's path sources):
// where they are, for the Workspace's Reach (the app's root) and for
// their copies into the builder (pathdeps.go).

// localDep is a package a dependency file installs from a local path.
type localDep struct {
	// path is as written, relative to where the tool resolves it; "" for
	// one not named by a relative path (an absolute path, a file:// URL).
	path     string
	editable bool
	// from is the dependency file that names it.
	from string
}

// reach is the provider's Workspace.Reach: the context paths outside dir
// that the dependency file found there (or the manifest's dependencies:)
// installs from or includes.
func reach(ctx context.Context, fsys providers.FS, m *manifest.Manifest, dir string) ([]string, error) {
	if m == nil {
		m = &manifest.Manifest{}
	}
	pl := &planner{req: providers.Request{Manifest: m, FS: fsys}, m: m, member: dir}
	if pf, ok := fsys.(providers.Prefetcher); ok {
		var names []string
		for _, d := range detectOrder {
			names = append(names, path.Join(dir, d.file))
		}
		if err := pf.Prefetch(ctx, names); err != nil {
			return nil, err
		}
	}
	find := pl.detect
	if m.Dependencies.Set() {
		find = pl.named
	}
	var out []string
	err := find(ctx)
	if err == nil {
		var locals []localDep
		var base string
		switch pl.kind {
		case managerPip:
			var files []reqFile
			files, locals, err = pl.walkRequirements(ctx)
			for _, f := range files {
				out = append(out, f.path)
			}
			base = dir
		case managerPoetry, managerUV:
			locals, err = pl.lockLocals(ctx)
			base = pl.dir
		}
		for _, d := range locals {
			if d.path != "" {
				out = append(out, path.Join(base, d.path))
			}
		}
	}
	var me *manifest.Error
	if errors.As(err, &me) {
		// The provider reports it when it plans the app.
		err = nil
	}
	out = slices.DeleteFunc(out, func(p string) bool { return within(p, dir) })
	slices.Sort(out)
	return slices.Compact(out), err
}

// lockLocals are the local packages Poetry or uv installs for the app:
// Poetry's path dependencies of the main group (pyproject.toml's, and
// poetry.lock's, which has those they bring), uv.lock's local sources
// that the project needs (uv sync --frozen installs from the lock
// alone). Their paths are relative to the project's directory (pl.dir).
// A pyproject.toml declaring a uv workspace is left to readWorkspace.
func (pl *planner) lockLocals(ctx context.Context) ([]localDep, error) {
	ppFile := path.Join(pl.dir, "pyproject.toml")
	ppData, ok, err := pl.read(ctx, ppFile)
	if err != nil || !ok {
		return nil, err
	}
	pp, err := parsePyproject(ppData)
	if err != nil || pp.workspace() != nil {
		return nil, nil
	}
	lockData, _, err := pl.read(ctx, pl.file)
	if err != nil {
		return nil, err
	}
	if pl.kind == managerUV {
		lock, err := parseUVLock(lockData)
		if err != nil {
			return nil, nil
		}
		pkgs := lock.Packages
		if app := lock.find(pp.name()); app != nil {
			pkgs = nil
			for _, p := range lock.closure(app) {
				pkgs = append(pkgs, *p)
			}
		}
		var out []localDep
		for _, p := range pkgs {
			if dir, built := p.Source.local(); built && dir != "." {
				out = append(out, localDep{path: relative(dir), from: pl.file})
			}
		}
		return out, nil
	}
	var out []localDep
	if po := pp.Tool.Poetry; po != nil {
		deps := []map[string]any{po.Dependencies}
		if g, ok := po.Group["main"]; ok {
			deps = append(deps, g.Dependencies)
		}
		for _, dd := range deps {
			for _, name := range slices.Sorted(maps.Keys(dd)) {
				for _, spec := range poetrySpecs(dd[name]) {
					if p, ok := spec["path"].(string); ok {
						develop, _ := spec["develop"].(bool)
						out = append(out, localDep{path: relative(p), editable: develop, from: ppFile})
					}
				}
			}
		}
	}
	var lock poetryLock
	if toml.Unmarshal(lockData, &lock) == nil {
		for _, p := range lock.Packages {
			// (A lock older than Poetry 2 names no groups: every package.)
			if (p.Source.Type == "directory" || p.Source.Type == "file") && (len(p.Groups) == 0 || slices.Contains(p.Groups, "main")) {
				out = append(out, localDep{path: relative(p.Source.URL), editable: p.Develop, from: pl.file})
			}
		}
	}
	return out, nil
}

// relative is a dependency's relative path, "" for an absolute one (a
// path in the builder, left to the tool as it is).
func relative(p string) string {
	if path.IsAbs(p) {
		return ""
	}
	return p
}

// poetryLock is the part of poetry.lock distill reads.
type poetryLock struct {
	Packages []struct {
		Name    string   `toml:"name"`
		Groups  []string `toml:"groups"`
		Develop bool     `toml:"develop"`
		Source  struct {
			Type string `toml:"type"`
			URL  string `toml:"url"`
		} `toml:"source"`
	} `toml:"package"`
}

// poetrySpecs are the tables of a Poetry dependency: one, or a list of
// them (one per marker); none for a version string.
func poetrySpecs(v any) []map[string]any {
	switch v := v.(type) {
	case map[string]any:
		return []map[string]any{v}
	case []any:
		var out []map[string]any
		for _, e := range v {
			if t, ok := e.(map[string]any); ok {
				out = append(out, t)
			}
		}
		return out
	}
	return nil
}
