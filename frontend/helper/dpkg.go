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
		st := p.Status(owner)
		if st == nil {
			continue
		}
		dir := filepath.Join(out, "var/lib/dpkg/status.d")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, pkg), st, 0o644); err != nil {
			return nil, err
		}
		if md5, err := os.ReadFile(p.Root.Host("/var/lib/dpkg/info/" + owner + ".md5sums")); err == nil {
			_ = os.WriteFile(filepath.Join(dir, pkg+".md5sums"), md5, 0o644)
		} else if arch := archOf(st); arch != "" {
			if md5, err := os.ReadFile(p.Root.Host("/var/lib/dpkg/info/" + pkg + ":" + arch + ".md5sums")); err == nil {
				_ = os.WriteFile(filepath.Join(dir, pkg+".md5sums"), md5, 0o644)
			}
		}
		pkgs = append(pkgs, pkg)
	}
	sort.Strings(pkgs)
	return pkgs, nil
}

func archOf(control []byte) string {
	for _, line := range strings.Split(string(control), "\n") {
		if v, ok := strings.CutPrefix(line, "Architecture:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
