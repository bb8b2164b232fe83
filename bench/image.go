package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// imageStats is what the seed articles compare, read from an exported
// image (an OCI layout directory).
type imageStats struct {
	// Compressed is the registry size: config plus compressed layers.
	Compressed int64 `json:"compressedBytes"`
	// Uncompressed is the size of the layer tars unpacked.
	Uncompressed int64 `json:"uncompressedBytes"`
	Layers       int   `json:"layers"`
	// Files counts regular files of the final filesystem (whiteouts
	// applied).
	Files int `json:"files"`
	// Packages are counted as SBOM scanners count them: Debian packages
	// (dpkg status and distroless status.d), Python distributions
	// (*.dist-info, *.egg-info), npm packages (node_modules/*/package.json)
	// and Go modules of Go binaries (their build info, with the standard
	// library), each name@version once.
	Packages      int            `json:"packages"`
	PackagesByEco map[string]int `json:"packagesByEcosystem"`
	// Shell, PackageManagers and Compilers are what the filesystem has of
	// each (paths), the attack surface the articles point at.
	Shell           string   `json:"shell,omitempty"`
	PackageManagers []string `json:"packageManagers,omitempty"`
	Compilers       []string `json:"compilers,omitempty"`
	User            string   `json:"user"`
}

type ociDescriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
	Platform  *struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
	} `json:"platform,omitempty"`
}

type ociManifest struct {
	MediaType string          `json:"mediaType"`
	Config    ociDescriptor   `json:"config"`
	Layers    []ociDescriptor `json:"layers"`
	Manifests []ociDescriptor `json:"manifests"`
}

// node is a path of the flattened filesystem.
type node struct {
	typ  byte // tar.TypeReg, tar.TypeDir, tar.TypeSymlink, tar.TypeLink
	link string
	size int64
}

// Where package managers and compilers live in the images compared.
var (
	shells          = []string{"/bin/sh", "/bin/bash", "/bin/ash", "/busybox/sh"}
	packageManagers = []string{"/usr/bin/apt", "/usr/bin/apt-get", "/usr/bin/dpkg", "/usr/local/bin/pip", "/usr/local/bin/pip3", "/usr/bin/pip3",
		"/usr/local/bin/npm", "/usr/local/bin/yarn", "/usr/local/bin/corepack", "/sbin/apk"}
	compilers = []string{"/usr/bin/gcc", "/usr/bin/cc", "/usr/bin/g++", "/usr/local/go/bin/go", "/usr/bin/make"}
)

var (
	npmPackageRE = regexp.MustCompile(`(^|/)node_modules/(@[^/]+/)?[^/@][^/]*/package\.json$`)
	pyDistRE     = regexp.MustCompile(`/(site|dist)-packages/([^/]+)\.(dist-info|egg-info)$`)
)

// analyzeImage reads the image of an OCI layout directory holding one
// single-platform image.
func analyzeImage(dir string) (*imageStats, error) {
	var idx ociManifest
	if err := readJSON(filepath.Join(dir, "index.json"), &idx); err != nil {
		return nil, err
	}
	if len(idx.Manifests) != 1 {
		return nil, fmt.Errorf("%s: %d manifests, want one image", dir, len(idx.Manifests))
	}
	var m ociManifest
	if err := readJSON(blobPath(dir, idx.Manifests[0].Digest), &m); err != nil {
		return nil, err
	}
	if len(m.Manifests) > 0 {
		return nil, fmt.Errorf("%s: an index, want one image", dir)
	}
	var cfg struct {
		Config struct{ User string } `json:"config"`
	}
	if err := readJSON(blobPath(dir, m.Config.Digest), &cfg); err != nil {
		return nil, err
	}
	st := &imageStats{Layers: len(m.Layers), Compressed: m.Config.Size, User: cfg.Config.User, PackagesByEco: map[string]int{}}
	fs := map[string]*node{}
	// Package records by path, resolved against the final filesystem (a
	// later layer may delete them).
	goMods, npmPkgs := map[string][]string{}, map[string]string{}
	var dpkgStatus []byte
	for _, l := range m.Layers {
		st.Compressed += l.Size
		n, err := applyLayer(blobPath(dir, l.Digest), l.MediaType, fs, func(name string, data []byte) {
			switch {
			case name == "/var/lib/dpkg/status":
				dpkgStatus = data
			case npmPackageRE.MatchString(name):
				var pj struct{ Name, Version string }
				if json.Unmarshal(data, &pj) == nil && pj.Name != "" {
					npmPkgs[name] = pj.Name + "@" + pj.Version
				}
			case bytes.HasPrefix(data, []byte("\x7fELF")):
				if bi, err := buildinfo.Read(bytes.NewReader(data)); err == nil {
					mods := []string{"stdlib@" + bi.GoVersion}
					for _, d := range bi.Deps {
						mods = append(mods, d.Path+"@"+d.Version)
					}
					goMods[name] = mods
				}
			}
		})
		if err != nil {
			return nil, err
		}
		st.Uncompressed += n
	}
	pkgs := map[string]map[string]bool{"debian": {}, "python": {}, "npm": {}, "go": {}}
	for _, name := range debianInstalled(dpkgStatus) {
		pkgs["debian"][name] = true
	}
	for p, n := range fs {
		switch {
		case n.typ == tar.TypeReg && strings.HasPrefix(p, "/var/lib/dpkg/status.d/") && !strings.HasSuffix(p, ".md5sums"):
			pkgs["debian"][path.Base(p)] = true
		case n.typ == tar.TypeDir && pyDistRE.MatchString(p):
			pkgs["python"][pyDistRE.FindStringSubmatch(p)[2]] = true
		case npmPkgs[p] != "":
			pkgs["npm"][npmPkgs[p]] = true
		}
		for _, mod := range goMods[p] {
			pkgs["go"][mod] = true
		}
		if n.typ == tar.TypeReg {
			st.Files++
		}
	}
	for eco, set := range pkgs {
		st.PackagesByEco[eco] = len(set)
		st.Packages += len(set)
	}
	for _, p := range shells {
		if exists(fs, p) {
			st.Shell = p
			break
		}
	}
	for _, p := range packageManagers {
		if exists(fs, p) {
			st.PackageManagers = append(st.PackageManagers, path.Base(p))
		}
	}
	for _, p := range compilers {
		if exists(fs, p) {
			st.Compilers = append(st.Compilers, path.Base(p))
		}
	}
	st.PackageManagers, st.Compilers = uniq(st.PackageManagers), uniq(st.Compilers)
	return st, nil
}

// applyLayer adds a layer to the filesystem (OCI whiteouts applied) and
// returns its unpacked size; see is called with the contents of files a
// package count needs (dpkg's status, npm package.json files, executable
// ELF files).
func applyLayer(file, mediaType string, fs map[string]*node, see func(name string, data []byte)) (int64, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var r io.Reader = bufio.NewReaderSize(f, 1<<20)
	if strings.Contains(mediaType, "gzip") {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", file, err)
		}
		defer gz.Close()
		r = gz
	}
	cr := &countingReader{r: r}
	tr := tar.NewReader(cr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("%s: %w", file, err)
		}
		name := path.Clean("/" + h.Name)
		dir, base := path.Split(name)
		switch {
		case base == ".wh..wh..opq":
			prefix := strings.TrimSuffix(dir, "/") + "/"
			for p := range fs {
				if strings.HasPrefix(p, prefix) {
					delete(fs, p)
				}
			}
			continue
		case strings.HasPrefix(base, ".wh."):
			gone := path.Join(dir, strings.TrimPrefix(base, ".wh."))
			for p := range fs {
				if p == gone || strings.HasPrefix(p, gone+"/") {
					delete(fs, p)
				}
			}
			continue
		}
		n := &node{typ: h.Typeflag, link: h.Linkname, size: h.Size}
		if n.typ == tar.TypeRegA {
			n.typ = tar.TypeReg
		}
		fs[name] = n
		record := name == "/var/lib/dpkg/status" || (npmPackageRE.MatchString(name) && h.Size < 1<<20)
		if n.typ == tar.TypeReg && (record || (h.Size > 4 && h.Size < 512<<20 && h.Mode&0o111 != 0)) {
			data, err := io.ReadAll(tr)
			if err != nil {
				return 0, err
			}
			if record || bytes.HasPrefix(data, []byte("\x7fELF")) {
				see(name, data)
			}
		}
	}
	// The rest of the stream (tar padding) counts as the layer's size too.
	if _, err := io.Copy(io.Discard, cr); err != nil {
		return 0, err
	}
	return cr.n, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// exists reports whether p names something in fs, following symlinks
// (merged /usr: /bin is a link to usr/bin).
func exists(fs map[string]*node, p string) bool {
	_, ok := lookup(fs, p, 0)
	return ok
}

func lookup(fs map[string]*node, p string, depth int) (*node, bool) {
	if depth > 40 {
		return nil, false
	}
	parts := strings.Split(strings.TrimPrefix(path.Clean(p), "/"), "/")
	cur := "/"
	for i, part := range parts {
		next := path.Join(cur, part)
		n, ok := fs[next]
		if !ok {
			return nil, false
		}
		if n.typ == tar.TypeSymlink {
			target := n.link
			if !path.IsAbs(target) {
				target = path.Join(cur, target)
			}
			rest := path.Join(append([]string{target}, parts[i+1:]...)...)
			return lookup(fs, rest, depth+1)
		}
		cur = next
	}
	return fs[cur], true
}

// debianInstalled lists the installed packages of a dpkg status file.
func debianInstalled(status []byte) []string {
	var out []string
	for _, para := range strings.Split(string(status), "\n\n") {
		var name string
		installed := false
		for _, line := range strings.Split(para, "\n") {
			if v, ok := strings.CutPrefix(line, "Package: "); ok {
				name = v
			}
			if line == "Status: install ok installed" {
				installed = true
			}
		}
		if name != "" && installed {
			out = append(out, name)
		}
	}
	return out
}

func blobPath(dir, dgst string) string {
	alg, hex, _ := strings.Cut(dgst, ":")
	return filepath.Join(dir, "blobs", alg, hex)
}

func readJSON(file string, v any) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}

func uniq(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}
