package helper

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
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

// dpkgPackage is one package of dpkg's status database.
type dpkgPackage struct {
	name, arch     string
	depends        []string // alternatives groups, as written ("a | b (>= 1)")
	provides       []string
	essential      bool
	multiArchSame  bool
	installed      bool
	version, field string
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
		st := pkgs.Status(p.name + ":" + p.arch)
		if st == nil {
			return nil, fmt.Errorf("%s: no dpkg status paragraph", p.name)
		}
		dir := filepath.Join(o.Out, "var/lib/dpkg/status.d")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, p.name), st, 0o644); err != nil {
			return nil, err
		}
		if md5, err := os.ReadFile(o.Builder.Host(infoFile(o.Builder, p, "md5sums"))); err == nil {
			if err := os.WriteFile(filepath.Join(dir, p.name+".md5sums"), md5, 0o644); err != nil {
				return nil, err
			}
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

// addAlternatives does what update-alternatives did in the builder's
// maintainer scripts for the files added: a program reached by its
// generic name (awk for mawk) gets the generic link and the
// /etc/alternatives link the builder chose, which no package lists.
func addAlternatives(b, r Root, out string, copied map[string]bool, logf func(string, ...any)) error {
	files, _ := filepath.Glob(b.Host("/var/lib/dpkg/alternatives/*"))
	sort.Strings(files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		lines := strings.Split(string(data), "\n")
		if len(lines) < 2 {
			continue
		}
		// mode, the master link, then slave name and link pairs up to a
		// blank line.
		links := map[string]string{filepath.Base(f): lines[1]}
		for i := 2; i+1 < len(lines) && lines[i] != ""; i += 2 {
			links[lines[i]] = lines[i+1]
		}
		for _, name := range slices.Sorted(maps.Keys(links)) {
			alt := "/etc/alternatives/" + name
			target, err := os.Readlink(b.Host(alt))
			if err != nil || !copied[target] {
				continue
			}
			for _, l := range [][2]string{{alt, target}, {links[name], alt}} {
				dest := path.Join(runtimeDir(r, path.Dir(l[0])), path.Base(l[0]))
				if _, err := os.Lstat(r.Host(dest)); err == nil {
					continue // the runtime's own
				}
				host := filepath.Join(out, filepath.FromSlash(dest))
				if err := os.MkdirAll(filepath.Dir(host), 0o755); err != nil {
					return err
				}
				_ = os.Remove(host)
				if err := os.Symlink(l[1], host); err != nil {
					return err
				}
			}
			logf("alternative %s: %s -> %s (update-alternatives, done here)", name, links[name], target)
		}
	}
	return nil
}

// infoFile is the dpkg info file of a package (name:arch for Multi-Arch:
// same packages).
func infoFile(b Root, p *dpkgPackage, ext string) string {
	f := "/var/lib/dpkg/info/" + p.name + ":" + p.arch + "." + ext
	if _, err := os.Stat(b.Host(f)); err == nil {
		return f
	}
	return "/var/lib/dpkg/info/" + p.name + "." + ext
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
		if err := os.MkdirAll(filepath.Dir(host), 0o755); err != nil {
			return false, err
		}
		_ = os.Remove(host)
		return true, os.Symlink(target, host)
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

// runtimePackages are the packages the runtime records (status.d).
func runtimePackages(r Root) map[string]bool {
	have := map[string]bool{}
	entries, _ := os.ReadDir(r.Host("/var/lib/dpkg/status.d"))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".") {
			continue // md5sums
		}
		data, err := os.ReadFile(r.Host("/var/lib/dpkg/status.d/" + e.Name()))
		if err != nil {
			continue
		}
		have[e.Name()] = true
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "Package:"); ok {
				have[strings.TrimSpace(v)] = true
			}
		}
	}
	// A runtime with dpkg's own database (another base image).
	if db, err := readDpkgStatus(r.Host("/var/lib/dpkg/status")); err == nil {
		for name, ps := range db {
			for _, p := range ps {
				if p.installed {
					have[name] = true
				}
			}
		}
	}
	return have
}

// readDpkgStatus parses dpkg's status database.
func readDpkgStatus(file string) (map[string][]*dpkgPackage, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	db := map[string][]*dpkgPackage{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	cur := &dpkgPackage{}
	var last string
	fields := map[string]*bytes.Buffer{}
	flush := func() {
		if cur.name != "" {
			get := func(k string) string {
				if b, ok := fields[k]; ok {
					return strings.TrimSpace(b.String())
				}
				return ""
			}
			cur.arch, cur.version = get("Architecture"), get("Version")
			cur.installed = strings.HasSuffix(get("Status"), " installed")
			cur.essential = get("Essential") == "yes"
			cur.multiArchSame = get("Multi-Arch") == "same"
			for _, k := range []string{"Pre-Depends", "Depends"} {
				for _, g := range strings.Split(get(k), ",") {
					if g = strings.TrimSpace(g); g != "" {
						cur.depends = append(cur.depends, g)
					}
				}
			}
			for _, pr := range strings.Split(get("Provides"), ",") {
				if pr = strings.TrimSpace(pr); pr != "" {
					if i := strings.IndexAny(pr, " ("); i >= 0 {
						pr = pr[:i]
					}
					cur.provides = append(cur.provides, pr)
				}
			}
			db[cur.name] = append(db[cur.name], cur)
		}
		cur, fields, last = &dpkgPackage{}, map[string]*bytes.Buffer{}, ""
	}
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			flush()
		case strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t"):
			if b, ok := fields[last]; ok && last != "Description" {
				b.WriteString(" " + strings.TrimSpace(line))
			}
		default:
			k, v, _ := strings.Cut(line, ":")
			last = k
			fields[k] = bytes.NewBufferString(strings.TrimSpace(v))
			if k == "Package" {
				cur.name = strings.TrimSpace(v)
			}
		}
	}
	flush()
	return db, sc.Err()
}
