package helper

import (
	"bufio"
	"debug/elf"
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

// Root is a root filesystem seen from outside (the builder's own "/", or
// an image mounted into the step). Paths given to its methods are
// absolute inside the root; symbolic links resolve inside it, so an
// absolute link target never escapes to the builder's files.
type Root struct {
	Dir string
}

// maxLinks bounds symlink resolution, as the kernel does.
const maxLinks = 40

// Resolve returns p with every symlink resolved inside the root, as an
// absolute path inside the root. Missing final components are an error
// matching fs.ErrNotExist.
func (r Root) Resolve(p string) (string, error) {
	links := 0
	parts := strings.Split(strings.TrimPrefix(path.Clean("/"+p), "/"), "/")
	cur := "/"
	for len(parts) > 0 {
		part := parts[0]
		parts = parts[1:]
		if part == "" || part == "." {
			continue
		}
		if part == ".." {
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, part)
		fi, err := os.Lstat(r.Host(next))
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		links++
		if links > maxLinks {
			return "", fmt.Errorf("%s: too many levels of symbolic links", p)
		}
		target, err := os.Readlink(r.Host(next))
		if err != nil {
			return "", err
		}
		if path.IsAbs(target) {
			cur = "/"
		}
		parts = append(strings.Split(strings.TrimPrefix(target, "/"), "/"), parts...)
	}
	return cur, nil
}

// Host is p's path on the machine the helper runs on.
func (r Root) Host(p string) string {
	return filepath.Join(r.Dir, filepath.FromSlash(p))
}

// Exists reports whether p resolves to a file inside the root.
func (r Root) Exists(p string) bool {
	_, err := r.Resolve(p)
	return err == nil
}

// triples are Debian's multiarch directories per ELF machine.
var triples = map[elf.Machine]string{
	elf.EM_X86_64:  "x86_64-linux-gnu",
	elf.EM_AARCH64: "aarch64-linux-gnu",
	elf.EM_ARM:     "arm-linux-gnueabihf",
	elf.EM_386:     "i386-linux-gnu",
	elf.EM_PPC64:   "powerpc64le-linux-gnu",
	elf.EM_S390:    "s390x-linux-gnu",
	elf.EM_RISCV:   "riscv64-linux-gnu",
}

// systemDirs are the directories the dynamic loader searches without an
// ld.so.cache: Debian's glibc is built with the multiarch directories as
// its trusted system directories.
func systemDirs(m elf.Machine) []string {
	var dirs []string
	if t, ok := triples[m]; ok {
		dirs = append(dirs, "/lib/"+t, "/usr/lib/"+t)
	}
	dirs = append(dirs, "/lib", "/usr/lib")
	if m == elf.EM_X86_64 || m == elf.EM_AARCH64 || m == elf.EM_PPC64 || m == elf.EM_S390 || m == elf.EM_RISCV {
		dirs = append(dirs, "/lib64", "/usr/lib64")
	}
	return dirs
}

// ldConfDirs reads /etc/ld.so.conf and the files it includes.
func ldConfDirs(r Root) []string {
	var dirs []string
	seen := map[string]bool{}
	var read func(string, int)
	read = func(p string, depth int) {
		if depth > 8 || seen[p] {
			return
		}
		seen[p] = true
		rp, err := r.Resolve(p)
		if err != nil {
			return
		}
		f, err := os.Open(r.Host(rp))
		if err != nil {
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if i := strings.IndexByte(line, '#'); i >= 0 {
				line = strings.TrimSpace(line[:i])
			}
			switch {
			case line == "":
			case strings.HasPrefix(line, "include "):
				pat := strings.TrimSpace(strings.TrimPrefix(line, "include "))
				if !path.IsAbs(pat) {
					pat = path.Join(path.Dir(p), pat)
				}
				matches, _ := filepath.Glob(r.Host(pat))
				sort.Strings(matches)
				for _, m := range matches {
					rel, err := filepath.Rel(r.Dir, m)
					if err == nil {
						read("/"+filepath.ToSlash(rel), depth+1)
					}
				}
			case path.IsAbs(line):
				dirs = append(dirs, path.Clean(line))
			}
		}
	}
	read("/etc/ld.so.conf", 0)
	return dirs
}

// elfInfo is what the closure needs of one ELF object.
type elfInfo struct {
	machine elf.Machine
	class   elf.Class
	needed  []string
	// search are the RPATH/RUNPATH directories, $ORIGIN expanded; rpath
	// reports whether they are DT_RPATH (searched before the system).
	search []string
}

// readELF reads a file's dynamic section; ok is false for a file that is
// not ELF.
func readELF(hostPath, origin string) (*elfInfo, bool, error) {
	f, err := os.Open(hostPath)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil || string(magic[:]) != elf.ELFMAG {
		return nil, false, nil
	}
	ef, err := elf.NewFile(f)
	if err != nil {
		return nil, false, nil
	}
	defer ef.Close()
	info := &elfInfo{machine: ef.Machine, class: ef.Class}
	if ef.Type != elf.ET_DYN && ef.Type != elf.ET_EXEC {
		return info, true, nil
	}
	info.needed, _ = ef.DynString(elf.DT_NEEDED)
	var paths []string
	if rp, _ := ef.DynString(elf.DT_RUNPATH); len(rp) > 0 {
		paths = rp
	} else if rp, _ := ef.DynString(elf.DT_RPATH); len(rp) > 0 {
		paths = rp
	}
	for _, p := range paths {
		for _, d := range strings.Split(p, ":") {
			d = strings.ReplaceAll(d, "${ORIGIN}", origin)
			d = strings.ReplaceAll(d, "$ORIGIN", origin)
			if d != "" && path.IsAbs(d) {
				info.search = append(info.search, path.Clean(d))
			}
		}
	}
	return info, true, nil
}

// Closure collects, from the builder, the shared libraries a set of ELF
// objects needs that the runtime root does not provide, recursively, into
// an output tree laid out as they must be in the image.
type Closure struct {
	Builder Root
	Runtime Root
	// Out is the output tree (a host directory).
	Out string
	// Provided are image paths (prefixes) whose content reaches the image
	// by other means (the app directory): libraries there are not copied.
	Provided []string
	Log      io.Writer

	runtimeDirs map[elf.Machine][]string
	builderConf []string
	done        map[string]bool
	// Copied are the image paths written to Out, sorted at the end.
	Copied []string
	// Missing are "soname (needed by path)" entries nothing provides.
	Missing []string
	// Sources are the builder paths of the copied libraries.
	Sources []string
}

func (c *Closure) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", args...)
	}
}

func (c *Closure) init() {
	if c.done != nil {
		return
	}
	c.done = map[string]bool{}
	c.runtimeDirs = map[elf.Machine][]string{}
	c.builderConf = ldConfDirs(c.Builder)
}

// runtimeSearch is where the runtime's loader looks: its system
// directories, plus ld.so.conf's when it has an ld.so.cache.
func (c *Closure) runtimeSearch(m elf.Machine) []string {
	if d, ok := c.runtimeDirs[m]; ok {
		return d
	}
	d := systemDirs(m)
	if c.Runtime.Exists("/etc/ld.so.cache") {
		d = append(ldConfDirs(c.Runtime), d...)
	}
	c.runtimeDirs[m] = d
	return d
}

func (c *Closure) provided(p string) bool {
	for _, pre := range c.Provided {
		if p == pre || strings.HasPrefix(p, strings.TrimSuffix(pre, "/")+"/") {
			return true
		}
	}
	return false
}

// Add walks the ELF object at image path p (in the builder) and what it
// needs.
func (c *Closure) Add(p string) error {
	c.init()
	return c.add(p)
}

func (c *Closure) add(p string) error {
	if c.done[p] {
		return nil
	}
	c.done[p] = true
	real, err := c.Builder.Resolve(p)
	if err != nil {
		return err
	}
	info, ok, err := readELF(c.Builder.Host(real), path.Dir(p))
	if err != nil || !ok {
		return err
	}
	for _, soname := range info.needed {
		if strings.Contains(soname, "/") {
			continue
		}
		if c.inRuntime(soname, info) {
			continue
		}
		found, viaSearch := c.findInBuilder(soname, info)
		if found == "" {
			c.Missing = append(c.Missing, fmt.Sprintf("%s (needed by %s)", soname, p))
			continue
		}
		if c.provided(found) {
			continue
		}
		if err := c.copyLib(found, soname, viaSearch, info.machine); err != nil {
			return err
		}
		if err := c.add(found); err != nil {
			return err
		}
	}
	return nil
}

func (c *Closure) inRuntime(soname string, info *elfInfo) bool {
	dirs := append(slices.Clone(info.search), c.runtimeSearch(info.machine)...)
	for _, d := range dirs {
		if rp, err := c.Runtime.Resolve(path.Join(d, soname)); err == nil && c.matches(c.Runtime, rp, info) {
			return true
		}
	}
	// Libraries this run already placed count as present.
	for _, d := range dirs {
		if _, err := os.Lstat(filepath.Join(c.Out, filepath.FromSlash(path.Join(d, soname)))); err == nil {
			return true
		}
	}
	return false
}

// matches reports whether the library at image path p of root r is an ELF
// object the requester can load (same machine and class).
func (c *Closure) matches(r Root, p string, want *elfInfo) bool {
	f, err := elf.Open(r.Host(p))
	if err != nil {
		return false
	}
	defer f.Close()
	return f.Machine == want.machine && f.Class == want.class
}

// findInBuilder searches the object's own paths, ld.so.conf's and the
// system directories of the builder, as the loader does; viaSearch tells
// the object's RPATH/RUNPATH found it (the image must keep that path).
func (c *Closure) findInBuilder(soname string, info *elfInfo) (string, bool) {
	for _, d := range info.search {
		p := path.Join(d, soname)
		if rp, err := c.Builder.Resolve(p); err == nil && c.matches(c.Builder, rp, info) {
			return p, true
		}
	}
	for _, d := range append(slices.Clone(c.builderConf), systemDirs(info.machine)...) {
		p := path.Join(d, soname)
		if rp, err := c.Builder.Resolve(p); err == nil && c.matches(c.Builder, rp, info) {
			return p, false
		}
	}
	return "", false
}

// copyLib copies the library file under its soname's directory in the
// image: the same directory when a search path of the requester names it
// or it is a system directory, else the first system directory (the
// runtime has no ld.so.cache to find ld.so.conf directories). The real
// file keeps its name, with the soname as a link to it, as Debian ships.
func (c *Closure) copyLib(found, soname string, viaSearch bool, m elf.Machine) error {
	real, err := c.Builder.Resolve(found)
	if err != nil {
		return err
	}
	dir, err := c.Builder.Resolve(path.Dir(found))
	if err != nil {
		return err
	}
	if !viaSearch && !slices.Contains(systemDirs(m), dir) {
		dir = systemDirs(m)[0]
		if t, ok := triples[m]; ok {
			dir = "/usr/lib/" + t
		}
	}
	// Debian 13 is merged-usr: /lib is a link in the image; write under
	// /usr so the copy never replaces that link with a directory.
	if strings.HasPrefix(dir, "/lib") && c.Runtime.Exists("/usr"+dir) {
		if rd, err := c.Runtime.Resolve(dir); err == nil && rd == "/usr"+dir {
			dir = "/usr" + dir
		}
	}
	file := path.Join(dir, path.Base(real))
	if err := CopyFile(c.Builder.Host(real), filepath.Join(c.Out, filepath.FromSlash(file))); err != nil {
		return err
	}
	c.Copied = append(c.Copied, file)
	c.logf("  %s -> %s", found, file)
	if path.Base(real) != soname {
		link := filepath.Join(c.Out, filepath.FromSlash(path.Join(dir, soname)))
		_ = os.Remove(link)
		if err := os.Symlink(path.Base(real), link); err != nil {
			return err
		}
		c.Copied = append(c.Copied, path.Join(dir, soname))
	}
	c.Sources = append(c.Sources, real)
	return nil
}

func CopyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ELFFiles lists the ELF objects under an image directory of root r,
// without following symlinks, in lexical order.
func ELFFiles(r Root, dir string) ([]string, error) {
	var out []string
	host := r.Host(dir)
	err := filepath.WalkDir(host, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == host {
				return fs.SkipAll
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		var magic [4]byte
		_, rerr := io.ReadFull(f, magic[:])
		f.Close()
		if rerr == nil && string(magic[:]) == elf.ELFMAG {
			rel, _ := filepath.Rel(r.Dir, p)
			out = append(out, "/"+filepath.ToSlash(rel))
		}
		return nil
	})
	return out, err
}
