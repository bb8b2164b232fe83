package rust

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/providers"
)

// readPackage reads a package's name, rust-version and targets; nil for a
// manifest without [package] (a nested virtual manifest is an error).
func (w *workspace) readPackage(ctx context.Context, fsys providers.FS, dir string, c *cargoToml) (*pkg, error) {
	if c.Package == nil {
		if dir == w.rootDir {
			return nil, nil
		}
		return nil, fmt.Errorf("%s/Cargo.toml has no [package]", dir)
	}
	p := &pkg{dir: dir, manifest: path.Join(dir, "Cargo.toml"), name: c.Package.Name, defaultRun: c.Package.DefaultRun}
	if p.name == "" {
		return nil, fmt.Errorf("%s: [package] has no name", p.manifest)
	}
	p.features = c.featureNames()
	switch v := c.Package.RustVersion.(type) {
	case string:
		p.rustVersion = v
	case map[string]any:
		if w.rootToml.Workspace != nil {
			p.rustVersion = w.rootToml.Workspace.Package.RustVersion
		}
	}
	exists := func(rel string) (bool, error) { return providers.Exists(ctx, fsys, path.Join(dir, rel)) }
	addPH := func(rel string, main bool) {
		p.placeholders = append(p.placeholders, placeholder{path: path.Join(dir, rel), main: main})
	}

	// The library: [lib]'s path, else src/lib.rs when it exists.
	if c.Lib != nil && c.Lib.Path != "" {
		addPH(c.Lib.Path, false)
	} else if ok, err := exists("src/lib.rs"); err != nil {
		return nil, err
	} else if ok {
		addPH("src/lib.rs", false)
	}
	// The build script.
	switch b := c.Package.Build.(type) {
	case string:
		addPH(b, true)
	case nil:
		if ok, err := exists("build.rs"); err != nil {
			return nil, err
		} else if ok {
			addPH("build.rs", true)
		}
	}
	// Binaries: declared ones, then discovered ones (src/main.rs,
	// src/bin/*.rs, src/bin/*/main.rs) unless autobins = false.
	declared := map[string]bool{}
	for _, b := range c.Bin {
		pth := b.Path
		if pth == "" {
			var err error
			if pth, err = defaultBinPath(ctx, fsys, dir, b.Name, p.name); err != nil {
				return nil, err
			}
		}
		if b.Name == "" {
			return nil, fmt.Errorf("%s: a [[bin]] has no name", p.manifest)
		}
		declared[b.Name] = true
		p.bins = append(p.bins, bin{name: b.Name, path: pth})
	}
	if c.Package.Autobins == nil || *c.Package.Autobins {
		found, err := discoverBins(ctx, fsys, dir, p.name)
		if err != nil {
			return nil, err
		}
		for _, b := range found {
			if !declared[b.name] && !slices.ContainsFunc(p.bins, func(x bin) bool { return x.path == b.path }) {
				p.bins = append(p.bins, b)
			}
		}
	}
	for _, b := range p.bins {
		addPH(b.path, true)
	}
	// Declared examples, tests and benches must exist for Cargo to load
	// the package; discovered ones need not.
	for kind, ts := range map[string][]target{"examples": c.Example, "tests": c.Test, "benches": c.Bench} {
		for _, t := range ts {
			pth := t.Path
			if pth == "" {
				pth = kind + "/" + t.Name + ".rs"
				if ok, err := exists(kind + "/" + t.Name + "/main.rs"); err != nil {
					return nil, err
				} else if ok {
					pth = kind + "/" + t.Name + "/main.rs"
				}
			}
			addPH(pth, true)
		}
	}
	slices.SortFunc(p.placeholders, func(a, b placeholder) int { return strings.Compare(a.path, b.path) })
	p.placeholders = slices.CompactFunc(p.placeholders, func(a, b placeholder) bool { return a.path == b.path })
	return p, nil
}

// defaultBinPath is where Cargo looks for a [[bin]] without a path.
func defaultBinPath(ctx context.Context, fsys providers.FS, dir, name, pkgName string) (string, error) {
	for _, c := range []string{"src/bin/" + name + ".rs", "src/bin/" + name + "/main.rs"} {
		if ok, err := providers.Exists(ctx, fsys, path.Join(dir, c)); err != nil || ok {
			return c, err
		}
	}
	if name == pkgName {
		return "src/main.rs", nil
	}
	return "src/bin/" + name + ".rs", nil
}

// discoverBins are the binaries Cargo finds without [[bin]].
func discoverBins(ctx context.Context, fsys providers.FS, dir, pkgName string) ([]bin, error) {
	var out []bin
	if ok, err := providers.Exists(ctx, fsys, path.Join(dir, "src/main.rs")); err != nil {
		return nil, err
	} else if ok {
		out = append(out, bin{name: pkgName, path: "src/main.rs"})
	}
	entries, err := fsys.ReadDir(ctx, path.Join(dir, "src/bin"))
	if err != nil {
		return out, nil // no src/bin
	}
	for _, e := range entries {
		switch {
		case !e.IsDir() && strings.HasSuffix(e.Name(), ".rs"):
			out = append(out, bin{name: strings.TrimSuffix(e.Name(), ".rs"), path: "src/bin/" + e.Name()})
		case e.IsDir():
			if ok, err := providers.Exists(ctx, fsys, path.Join(dir, "src/bin", e.Name(), "main.rs")); err != nil {
				return nil, err
			} else if ok {
				out = append(out, bin{name: e.Name(), path: "src/bin/" + e.Name() + "/main.rs"})
			}
		}
	}
	slices.SortFunc(out, func(a, b bin) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// candidate is a binary of a local package.
type candidate struct {
	pkg *pkg
	bin bin
}

func (c candidate) String() string {
	if c.bin.name == c.pkg.name {
		return c.bin.name
	}
	return c.bin.name + " (package " + c.pkg.name + ")"
}

// binaries are the binaries `cargo build` builds by default: the root
// package's, else every workspace member's.
func (w *workspace) binaries() []candidate {
	var out []candidate
	root := w.rootToml.Package != nil
	for _, p := range w.pkgs {
		if (root && p.dir == w.rootDir) || (!root && p.member) {
			for _, b := range p.bins {
				out = append(out, candidate{p, b})
			}
		}
	}
	return out
}

// named are the binaries main: names: a local package's (its only one,
// or its default-run), else the binaries of that name in the members.
func (w *workspace) named(name string) []candidate {
	if p, ok := w.byName[name]; ok && len(p.bins) > 0 {
		var out []candidate
		for _, b := range p.bins {
			out = append(out, candidate{p, b})
		}
		return out
	}
	var out []candidate
	for _, p := range w.pkgs {
		for _, b := range p.bins {
			if b.name == name && p.member {
				out = append(out, candidate{p, b})
			}
		}
	}
	return out
}
