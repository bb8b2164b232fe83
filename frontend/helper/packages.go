package helper

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Runtime packages: Debian packages added to a distroless runtime, which
// has no dpkg. A Debian builder of the same release has installed them
// (apt, for the target's architecture); this copies what dpkg installed
// for them and their dependencies that the runtime does not record,
// resolving directories through the runtime's own links (merged /usr) and
// never replacing a file the runtime has, and records each package in
// /var/lib/dpkg/status.d as distroless does. Maintainer scripts are not
// run in the image; packages whose scripts or dependencies need a shell
// at run time are refused.

// PackagesOptions are the packages helper's inputs.
type PackagesOptions struct {
	// Builder has the packages installed (its dpkg database), Runtime is
	// the runtime image, Out the tree to add to it.
	Builder, Runtime Root
	Out              string
	// Arch is the target's Debian architecture; Packages the ones asked
	// for.
	Arch     string
	Packages []string
	Log      io.Writer
}

// shells are the packages that give an image a shell.
var shells = []string{"dash", "bash", "busybox", "zsh", "mksh", "ksh", "posh", "yash"}

// AddPackages copies the packages and their dependencies the runtime
// lacks into o.Out, with their status.d records, and returns their names.
func AddPackages(o PackagesOptions) ([]string, error) {
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", args...)
		}
	}
	db, err := readDpkgStatus(o.Builder.Host("/var/lib/dpkg/status"))
	if err != nil {
		return nil, fmt.Errorf("reading the builder's dpkg status: %w", err)
	}
	have := runtimePackages(o.Runtime)
	find := func(name string) *dpkgPackage {
		name, arch, _ := strings.Cut(name, ":")
		var best *dpkgPackage
		for _, p := range db[name] {
			switch {
			case !p.installed:
			case arch != "" && p.arch == arch:
				return p
			case arch == "" && (p.arch == o.Arch || p.arch == "all"):
				return p
			case arch == "" && best == nil:
				best = p
			}
		}
		if best != nil {
			return best
		}
		// A virtual package: the installed package that provides it.
		for _, ps := range db {
			for _, p := range ps {
				if p.installed && (p.arch == o.Arch || p.arch == "all") && slices.Contains(p.provides, name) {
					return p
				}
			}
		}
		return nil
	}
	var order []*dpkgPackage
	why := map[string]string{}
	seen := map[string]bool{}
	var visit func(name, from string) error
	visit = func(name, from string) error {
		p := find(name)
		if p == nil {
			if from == "" {
				return fmt.Errorf("%s is not installed in the builder for %s (apt installed it under another name?)", name, o.Arch)
			}
			return nil // an alternative or an optional part the runtime has
		}
		key := p.name + ":" + p.arch
		if seen[key] {
			return nil
		}
		seen[key] = true
		if have[p.name] {
			return nil
		}
		why[p.name] = from
		if slices.Contains(shells, p.name) {
			chain := p.name
			for f := from; f != ""; f = why[f] {
				chain = f + " → " + chain
			}
			if from == "" {
				return fmt.Errorf("%s is a shell, which a distroless image leaves out on purpose: run the program the app needs directly", p.name)
			}
			return fmt.Errorf("%s needs a shell at run time (%s), which a distroless image does not have: a program that runs it there would fail", strings.Split(chain, " → ")[0], chain)
		}
		for _, group := range p.depends {
			// The first alternative the builder has installed.
			var chosen string
			for _, alt := range strings.Split(group, "|") {
				dep := strings.TrimSpace(alt)
				if i := strings.IndexAny(dep, " ("); i >= 0 {
					dep = dep[:i]
				}
				dep = strings.TrimSuffix(dep, ":any")
				if find(dep) != nil {
					chosen = dep
					break
				}
			}
			if chosen != "" {
				if err := visit(chosen, p.name); err != nil {
					return err
				}
			}
		}
		order = append(order, p)
		return nil
	}
	for _, name := range o.Packages {
		if err := visit(name, ""); err != nil {
			return nil, err
		}
	}
	pkgs := &Packages{Root: o.Builder}
	var added []string
	copied := map[string]bool{}
	for _, p := range order {
		files, err := packageFiles(o.Builder, p)
		if err != nil {
			return nil, err
		}
		n := 0
		for _, f := range files {
			ok, err := addFile(o.Builder, o.Runtime, o.Out, f)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", p.name, f, err)
			}
			if ok {
				n++
				copied[f] = true
			}
		}
		if n == 0 && len(files) > 0 {
			// Its files are the runtime's already (a base that carries
			// them without the record): nothing is added for it.
			logf("%s %s (%s): its files are in the runtime already", p.name, p.version, p.arch)
			continue
		}
		for _, script := range []string{"preinst", "postinst"} {
			if _, err := os.Stat(o.Builder.Host(infoFile(o.Builder, p, script))); err == nil {
				logf("note: %s has a %s script, not run in the image (no dpkg there): what it does at install time is not done", p.name, script)
			}
		}
		if ok, err := pkgs.writeRecord(p.name+":"+p.arch, o.Out); err != nil {
			return nil, err
		} else if !ok {
			return nil, fmt.Errorf("%s: no dpkg status paragraph", p.name)
		}
		added = append(added, p.name)
		logf("%s %s (%s): %d files%s", p.name, p.version, p.arch, n, map[bool]string{true: "", false: ", for " + why[p.name]}[why[p.name] == ""])
	}
	if err := addAlternatives(o.Builder, o.Runtime, o.Out, copied, logf); err != nil {
		return nil, err
	}
	sort.Strings(added)
	return added, nil
}

// packageFiles are the paths dpkg installed for p, less documentation
// (its copyright stays) and the manual.
func packageFiles(b Root, p *dpkgPackage) ([]string, error) {
	data, err := os.ReadFile(b.Host(infoFile(b, p, "list")))
	if err != nil {
		return nil, fmt.Errorf("%s: the list of its files: %w", p.name, err)
	}
	var out []string
	for _, f := range strings.Split(string(data), "\n") {
		switch {
		case f == "" || f == "/.":
		case strings.HasPrefix(f, "/usr/share/doc/") && path.Base(f) != "copyright" && strings.Count(f, "/") > 4:
		case strings.HasPrefix(f, "/usr/share/man/"), strings.HasPrefix(f, "/usr/share/info/"), strings.HasPrefix(f, "/usr/share/lintian/"):
		default:
			out = append(out, f)
		}
	}
	return out, nil
}

// addFile copies the builder's f into out at its place in the runtime
// (directories resolved through the runtime's links), unless the runtime
// has it; it reports whether it copied a file or a link.
func addFile(b, r Root, out, f string) (bool, error) {
	fi, err := os.Lstat(b.Host(f))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // a diverted or removed file
	} else if err != nil {
		return false, err
	}
	dir := runtimeDir(r, path.Dir(f))
	dest := path.Join(dir, path.Base(f))
	if fi.IsDir() {
		if _, err := r.Resolve(f); err == nil {
			return false, nil
		}
		return false, os.MkdirAll(filepath.Join(out, filepath.FromSlash(dest)), 0o755)
	}
	if _, err := os.Lstat(r.Host(dest)); err == nil {
		return false, nil // the runtime's own file wins
	}
	host := filepath.Join(out, filepath.FromSlash(dest))
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(b.Host(f))
		if err != nil {
			return false, err
		}
		return true, writeLink(host, target)
	}
	if !fi.Mode().IsRegular() {
		return false, nil
	}
	return true, CopyFile(b.Host(f), host)
}

// runtimeDir is dir with the part the runtime has resolved through its
// links (/lib → /usr/lib): a copy never replaces a link with a directory.
func runtimeDir(r Root, dir string) string {
	parts := strings.Split(strings.TrimPrefix(dir, "/"), "/")
	for i := len(parts); i > 0; i-- {
		prefix := "/" + strings.Join(parts[:i], "/")
		if resolved, err := r.Resolve(prefix); err == nil {
			return path.Join(append([]string{resolved}, parts[i:]...)...)
		}
	}
	return dir
}
