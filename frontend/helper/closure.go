package helper

import (
	"debug/elf"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

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
	// Lacking are the sonames the runtime lacks (copied or missing), in
	// the order met.
	Lacking []string
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
			c.Lacking = append(c.Lacking, soname)
			continue
		}
		if c.provided(found) {
			continue
		}
		c.Lacking = append(c.Lacking, soname)
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
		if err := writeLink(filepath.Join(c.Out, filepath.FromSlash(path.Join(dir, soname))), path.Base(real)); err != nil {
			return err
		}
		c.Copied = append(c.Copied, path.Join(dir, soname))
	}
	c.Sources = append(c.Sources, real)
	return nil
}
