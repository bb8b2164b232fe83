package rust

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/decode"
	"github.com/distill-build/distill/frontend/providers"
	toml "github.com/pelletier/go-toml/v2"
)

// cargoToml is what distill reads of a Cargo.toml: the package, the
// workspace, the targets (for the dependency skeleton and the binaries)
// and the path dependencies (local packages outside the workspace).
type cargoToml struct {
	Package *struct {
		Name        string `toml:"name"`
		RustVersion any    `toml:"rust-version"`
		Build       any    `toml:"build"`
		Autobins    *bool  `toml:"autobins"`
		DefaultRun  string `toml:"default-run"`
	} `toml:"package"`
	Workspace *struct {
		Members []string `toml:"members"`
		Exclude []string `toml:"exclude"`
		Package struct {
			RustVersion string `toml:"rust-version"`
		} `toml:"package"`
		Dependencies map[string]any `toml:"dependencies"`
	} `toml:"workspace"`
	Lib               *target             `toml:"lib"`
	Bin               []target            `toml:"bin"`
	Example           []target            `toml:"example"`
	Test              []target            `toml:"test"`
	Bench             []target            `toml:"bench"`
	Dependencies      map[string]any      `toml:"dependencies"`
	DevDependencies   map[string]any      `toml:"dev-dependencies"`
	BuildDependencies map[string]any      `toml:"build-dependencies"`
	Target            map[string]depTable `toml:"target"`
	Features          map[string][]string `toml:"features"`
}

type depTable struct {
	Dependencies      map[string]any `toml:"dependencies"`
	DevDependencies   map[string]any `toml:"dev-dependencies"`
	BuildDependencies map[string]any `toml:"build-dependencies"`
}

// target is a [lib] or [[bin]]/[[example]]/[[test]]/[[bench]] entry.
type target struct {
	Name string `toml:"name"`
	Path string `toml:"path"`
}

// pkg is a local package: a workspace member, the root package or a path
// dependency in the build context.
type pkg struct {
	dir         string // relative to the context root, "." for the root
	manifest    string // dir/Cargo.toml
	name        string
	rustVersion string
	// member is true for the root package and the workspace members
	// (what `cargo build` builds by default), false for path dependencies.
	member bool
	// defaultRun is [package] default-run: the binary `cargo run` picks.
	defaultRun string
	// features are the features `--features` can name: [features]' and
	// the optional dependencies' implicit ones.
	features []string
	bins     []bin
	// placeholders are the target files the skeleton writes (relative to
	// the context root), with whether each is a crate with main.
	placeholders []placeholder
}

type bin struct{ name, path string }

type placeholder struct {
	path string
	main bool
}

func parseCargo(data []byte) (*cargoToml, error) {
	var c cargoToml
	if err := toml.Unmarshal(data, &c); err != nil {
		return nil, decode.Explain(err, data)
	}
	return &c, nil
}

// workspace is the Cargo project of the build context: its root manifest
// and every local package.
type workspace struct {
	rootDir  string
	rootToml *cargoToml
	pkgs     []*pkg // sorted by dir
	byName   map[string]*pkg
	// manifests are every local Cargo.toml, and configs the Cargo
	// configuration files (.cargo/config.toml) that apply.
	manifests, configs []string
}

// loadWorkspace reads the root Cargo.toml at file and every package it
// names: workspace members (globs expanded in the context) and path
// dependencies inside the context.
func loadWorkspace(ctx context.Context, fsys providers.FS, file string) (*workspace, error) {
	w := &workspace{rootDir: path.Dir(file), byName: map[string]*pkg{}, manifests: []string{file}}
	data, err := fsys.ReadFile(ctx, file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, providers.NotInContext(file)
	} else if err != nil {
		return nil, err
	}
	if w.rootToml, err = parseCargo(data); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	if w.rootToml.Package == nil && w.rootToml.Workspace == nil {
		return nil, fmt.Errorf("%s has neither [package] nor [workspace]", file)
	}
	seen, members := map[string]bool{}, map[string]bool{}
	var queue []string
	add := func(dir string) {
		dir = path.Clean(dir)
		if !seen[dir] {
			seen[dir] = true
			queue = append(queue, dir)
		}
	}
	addMember := func(dir string) {
		members[path.Clean(dir)] = true
		add(dir)
	}
	if w.rootToml.Package != nil {
		addMember(w.rootDir)
	}
	if ws := w.rootToml.Workspace; ws != nil {
		for _, m := range ws.Members {
			dirs, err := expandMember(ctx, fsys, w.rootDir, m)
			if err != nil {
				return nil, err
			}
			for _, d := range dirs {
				if !excluded(w.rootDir, ws.Exclude, d) {
					addMember(d)
				}
			}
		}
	}
	for len(queue) > 0 {
		dir := queue[0]
		queue = queue[1:]
		var c *cargoToml
		manifest := path.Join(dir, "Cargo.toml")
		if manifest == file {
			c = w.rootToml
		} else {
			data, err := fsys.ReadFile(ctx, manifest)
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("package %s: %w", dir, providers.NotInContext(manifest))
			} else if err != nil {
				return nil, fmt.Errorf("package %s: %w", dir, err)
			}
			if c, err = parseCargo(data); err != nil {
				return nil, fmt.Errorf("%s: %v", manifest, err)
			}
		}
		p, err := w.readPackage(ctx, fsys, dir, c)
		if err != nil {
			return nil, err
		}
		w.manifests = append(w.manifests, manifest)
		if p == nil {
			continue
		}
		if other, ok := w.byName[p.name]; ok {
			return nil, fmt.Errorf("two local packages are named %q: %s and %s", p.name, other.dir, p.dir)
		}
		p.member = members[dir]
		w.byName[p.name] = p
		w.pkgs = append(w.pkgs, p)
		for _, d := range pathDeps(c) {
			d = path.Join(dir, d)
			if d == ".." || strings.HasPrefix(d, "../") {
				return nil, fmt.Errorf("%s depends on %s, outside the build context", manifest, d)
			}
			add(d)
		}
	}
	slices.SortFunc(w.pkgs, func(a, b *pkg) int { return strings.Compare(a.dir, b.dir) })
	slices.Sort(w.manifests)
	w.manifests = slices.Compact(w.manifests)
	// Cargo reads .cargo/config.toml from the working directory up; the
	// build runs in the workspace root.
	for dir := w.rootDir; ; dir = path.Dir(dir) {
		for _, name := range []string{".cargo/config.toml", ".cargo/config"} {
			if ok, err := providers.Exists(ctx, fsys, path.Join(dir, name)); err != nil {
				return nil, err
			} else if ok {
				w.configs = append(w.configs, path.Join(dir, name))
				break
			}
		}
		if dir == "." {
			break
		}
	}
	return w, nil
}

// expandMember lists the package directories a workspace member entry
// names ("crates/*" globs one level, as Cargo's common use does).
func expandMember(ctx context.Context, fsys providers.FS, root, member string) ([]string, error) {
	member = path.Clean(member)
	if !strings.ContainsAny(member, "*?[") {
		return []string{path.Join(root, member)}, nil
	}
	parent, pattern := path.Split(member)
	if strings.ContainsAny(parent, "*?[") {
		return nil, fmt.Errorf("workspace member %q: distill expands globs in the last path element only", member)
	}
	dir := path.Join(root, parent)
	entries, err := fsys.ReadDir(ctx, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("workspace member %q: %w", member, providers.NotInContext(dir))
	} else if err != nil {
		return nil, fmt.Errorf("workspace member %q: %w", member, err)
	}
	var out []string
	for _, e := range entries {
		if ok, _ := path.Match(pattern, e.Name()); !ok || !e.IsDir() {
			continue
		}
		d := path.Join(dir, e.Name())
		if has, err := providers.Exists(ctx, fsys, path.Join(d, "Cargo.toml")); err != nil {
			return nil, err
		} else if has {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out, nil
}

func excluded(root string, exclude []string, dir string) bool {
	for _, e := range exclude {
		if path.Join(root, e) == dir {
			return true
		}
	}
	return false
}

// pathDeps are the path = "…" dependencies of a manifest, every kind and
// target.
func pathDeps(c *cargoToml) []string {
	var out []string
	tables := []map[string]any{c.Dependencies, c.DevDependencies, c.BuildDependencies}
	for _, t := range c.Target {
		tables = append(tables, t.Dependencies, t.DevDependencies, t.BuildDependencies)
	}
	if c.Workspace != nil {
		tables = append(tables, c.Workspace.Dependencies)
	}
	for _, t := range tables {
		for _, v := range t {
			if m, ok := v.(map[string]any); ok {
				if p, ok := m["path"].(string); ok {
					out = append(out, p)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// featureNames are the features `cargo build --features` accepts for the
// package: its [features], and an implicit one per optional dependency
// that no feature names as "dep:<name>" (Cargo's rule since 1.60).
func (c *cargoToml) featureNames() []string {
	names := map[string]bool{}
	explicit := map[string]bool{}
	for f, enables := range c.Features {
		names[f] = true
		for _, e := range enables {
			if d, ok := strings.CutPrefix(e, "dep:"); ok {
				explicit[d] = true
			}
		}
	}
	optional := func(deps map[string]any) {
		for name, spec := range deps {
			if t, ok := spec.(map[string]any); ok && t["optional"] == true && !explicit[name] {
				names[name] = true
			}
		}
	}
	optional(c.Dependencies)
	for _, t := range c.Target {
		optional(t.Dependencies)
	}
	out := make([]string, 0, len(names))
	for n := range names {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
