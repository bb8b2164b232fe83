package helper

import (
	"bufio"
	"bytes"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Packages records, for files copied out of a Debian root, which packages
// they came from, so the image keeps /var/lib/dpkg/status.d/<pkg> entries
// as distroless does and SBOM tools and scanners see those packages.
type Packages struct {
	Root Root
	// owners maps a resolved image path to its package, with its
	// architecture when dpkg names it (pkg:arch for Multi-Arch: same
	// packages, which may be installed for several).
	owners map[string]string
}

func (p *Packages) load() {
	if p.owners != nil {
		return
	}
	p.owners = map[string]string{}
	lists, _ := filepath.Glob(p.Root.Host("/var/lib/dpkg/info/*.list"))
	sort.Strings(lists)
	for _, l := range lists {
		pkg := strings.TrimSuffix(filepath.Base(l), ".list")
		data, err := os.ReadFile(l)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if line == "" || line == "/." {
				continue
			}
			// Resolve the directory so /lib/x and /usr/lib/x (merged
			// /usr) meet.
			key := line
			if d, err := p.Root.Resolve(path.Dir(line)); err == nil {
				key = path.Join(d, path.Base(line))
			}
			if _, ok := p.owners[key]; !ok {
				p.owners[key] = pkg
			}
		}
	}
}

// Owner is the package that installed the file at image path f, as
// pkg or pkg:arch.
func (p *Packages) Owner(f string) string {
	p.load()
	key := f
	if d, err := p.Root.Resolve(path.Dir(f)); err == nil {
		key = path.Join(d, path.Base(f))
	}
	return p.owners[key]
}

// Status returns the package's paragraph of /var/lib/dpkg/status, without
// the fields that describe this installation (Status, Conffiles), i.e.
// its control file. The paragraph's lines are copied as written, not
// parsed and re-encoded: pault.ag/go/debian/control's re-encoding ends
// multi-line fields with a whitespace-only line, and that package links
// an OpenPGP implementation into the frontend.
//
// pkg may name the architecture (pkg:arch): of a package installed for
// several, the paragraph of that one.
func (p *Packages) Status(pkg string) []byte {
	pkg, arch, _ := strings.Cut(pkg, ":")
	f, err := os.Open(p.Root.Host("/var/lib/dpkg/status"))
	if err != nil {
		return nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var para bytes.Buffer
	var match, skip bool
	archOK := arch == ""
	flush := func() []byte {
		if match && archOK {
			return bytes.Clone(para.Bytes())
		}
		para.Reset()
		return nil
	}
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if out := flush(); out != nil {
				return out
			}
			match, archOK = false, arch == ""
			continue
		}
		if strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
			if !skip {
				para.WriteString(line + "\n")
			}
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		skip = name == "Status" || name == "Conffiles"
		if name == "Package" && strings.TrimSpace(value) == pkg {
			match = true
		}
		if name == "Architecture" && strings.TrimSpace(value) == arch {
			archOK = true
		}
		if !skip {
			para.WriteString(line + "\n")
		}
	}
	return flush()
}

// WriteStatus writes status.d entries for the packages owning files, into
// the output tree out, skipping packages the runtime already records.
func (p *Packages) WriteStatus(files []string, runtime Root, out string) ([]string, error) {
	seen := map[string]bool{}
	var pkgs []string
	for _, f := range files {
		owner := p.Owner(f)
		if owner == "" || seen[owner] {
			continue
		}
		seen[owner] = true
		pkg, _, _ := strings.Cut(owner, ":")
		if runtime.Exists("/var/lib/dpkg/status.d/" + pkg) {
			continue
		}
		if ok, err := p.writeRecord(owner, out); err != nil {
			return nil, err
		} else if ok {
			pkgs = append(pkgs, pkg)
		}
	}
	sort.Strings(pkgs)
	return pkgs, nil
}

// writeRecord writes the status.d entry of a package (pkg or pkg:arch)
// into the output tree out, with its md5sums, as distroless records its
// packages; false when dpkg's status has no paragraph for it.
func (p *Packages) writeRecord(owner, out string) (bool, error) {
	st := p.Status(owner)
	if st == nil {
		return false, nil
	}
	pkg, _, _ := strings.Cut(owner, ":")
	dir := filepath.Join(out, "var/lib/dpkg/status.d")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	if err := os.WriteFile(filepath.Join(dir, pkg), st, 0o644); err != nil {
		return false, err
	}
	// dpkg names the info files of Multi-Arch: same packages pkg:arch.
	for _, name := range []string{owner, pkg + ":" + archOf(st), pkg} {
		if md5, err := os.ReadFile(p.Root.Host("/var/lib/dpkg/info/" + name + ".md5sums")); err == nil {
			return true, os.WriteFile(filepath.Join(dir, pkg+".md5sums"), md5, 0o644)
		}
	}
	return true, nil
}

func archOf(control []byte) string {
	for _, line := range strings.Split(string(control), "\n") {
		if v, ok := strings.CutPrefix(line, "Architecture:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// dpkgPackage is one package of dpkg's status database.
type dpkgPackage struct {
	name, arch string
	depends    []string // alternatives groups, as written ("a | b (>= 1)")
	provides   []string
	installed  bool
	version    string
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
