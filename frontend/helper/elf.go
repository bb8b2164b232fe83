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

// CopyFile copies a regular file with its permissions, making the
// destination's directory.
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
