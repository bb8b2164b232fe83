package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
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
	img, m, cfg, err := readLayout(dir)
	if err != nil {
		return nil, err
	}
	st := &imageStats{Layers: len(m.Layers), Compressed: m.Config.Size, User: cfg.Config.User, PackagesByEco: map[string]int{}}
	for _, l := range m.Layers {
		st.Compressed += l.Size
	}
	pkgs := map[string]map[string]bool{"debian": {}, "python": {}, "npm": {}, "go": {}}
	var unpacked atomic.Int64
	fs, err := flatten(countedImage{img, &unpacked}, func(name string, data []byte) {
		switch {
		case name == "/var/lib/dpkg/status":
			for _, name := range debianInstalled(data) {
				pkgs["debian"][name] = true
			}
		case npmPackageRE.MatchString(name):
			var pj struct{ Name, Version string }
			if json.Unmarshal(data, &pj) == nil && pj.Name != "" {
				pkgs["npm"][pj.Name+"@"+pj.Version] = true
			}
		case bytes.HasPrefix(data, []byte("\x7fELF")):
			if bi, err := buildinfo.Read(bytes.NewReader(data)); err == nil {
				pkgs["go"]["stdlib@"+bi.GoVersion] = true
				for _, d := range bi.Deps {
					pkgs["go"][d.Path+"@"+d.Version] = true
				}
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	st.Uncompressed = unpacked.Load()
	for p, n := range fs {
		switch {
		case n.typ == tar.TypeReg && strings.HasPrefix(p, "/var/lib/dpkg/status.d/") && !strings.HasSuffix(p, ".md5sums"):
			pkgs["debian"][path.Base(p)] = true
		case n.typ == tar.TypeDir && pyDistRE.MatchString(p):
			pkgs["python"][pyDistRE.FindStringSubmatch(p)[2]] = true
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

// layoutImage is the one image of the OCI layout in dir.
func layoutImage(dir string) (v1.Image, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, err
	}
	im, err := idx.IndexManifest()
	switch {
	case err != nil:
		return nil, err
	case len(im.Manifests) != 1:
		return nil, fmt.Errorf("%s: %d manifests, want one image", dir, len(im.Manifests))
	case !im.Manifests[0].MediaType.IsImage():
		return nil, fmt.Errorf("%s: %s, want one image", dir, im.Manifests[0].MediaType)
	}
	return idx.Image(im.Manifests[0].Digest)
}

// readLayout is the one image of the OCI layout in dir, its manifest and
// its config.
func readLayout(dir string) (v1.Image, *v1.Manifest, *v1.ConfigFile, error) {
	img, err := layoutImage(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, nil, nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, nil, nil, err
	}
	return img, m, cfg, nil
}

// flatten returns the final filesystem of img (its layers with OCI
// whiteouts applied, as mutate.Extract gives it); see is called with the
// contents of files a package count needs (dpkg's status, npm package.json
// files, executable ELF files).
func flatten(img v1.Image, see func(name string, data []byte)) (map[string]*node, error) {
	rc := mutate.Extract(img)
	defer rc.Close()
	fs := map[string]*node{}
	tr := tar.NewReader(bufio.NewReaderSize(rc, 1<<20))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		name := path.Clean("/" + h.Name)
		n := &node{typ: h.Typeflag, link: h.Linkname, size: h.Size}
		if n.typ == tar.TypeRegA {
			n.typ = tar.TypeReg
		}
		fs[name] = n
		record := name == "/var/lib/dpkg/status" || (npmPackageRE.MatchString(name) && h.Size < 1<<20)
		if n.typ == tar.TypeReg && (record || (h.Size > 4 && h.Size < 512<<20 && h.Mode&0o111 != 0)) {
			data, err := io.ReadAll(tr)
			if err != nil {
				return nil, err
			}
			if record || bytes.HasPrefix(data, []byte("\x7fELF")) {
				see(name, data)
			}
		}
	}
	// Until the end of the stream: every layer read, digests checked.
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return nil, err
	}
	return fs, nil
}

// countedImage is an image whose layers add the size of their unpacked
// tar streams (padding included) to n as they are read.
type countedImage struct {
	v1.Image
	n *atomic.Int64
}

func (c countedImage) Layers() ([]v1.Layer, error) {
	ls, err := c.Image.Layers()
	for i, l := range ls {
		ls[i] = countedLayer{l, c.n}
	}
	return ls, err
}

type countedLayer struct {
	v1.Layer
	n *atomic.Int64
}

func (l countedLayer) Uncompressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Uncompressed()
	if err != nil {
		return nil, err
	}
	return countingReader{rc, l.n}, nil
}

type countingReader struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
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

func uniq(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// changedLayer is a layer of a rebuilt image that the image before it
// lacks.
type changedLayer struct {
	// Index counts from 0, the base image's layers included, of Of.
	Index  int    `json:"index"`
	Of     int    `json:"of"`
	Size   int64  `json:"bytes"`
	Digest string `json:"digest"`
	// CreatedBy is the layer's history entry (the Dockerfile instruction,
	// or distill's step).
	CreatedBy string `json:"createdBy"`
}

// changedLayers lists the layers of the image in the OCI layout after
// whose digests the image in before lacks: what a push of after uploads
// where before is.
func changedLayers(before, after string) ([]changedLayer, error) {
	_, om, _, err := readLayout(before)
	if err != nil {
		return nil, err
	}
	_, m, cfg, err := readLayout(after)
	if err != nil {
		return nil, err
	}
	var history []string
	for _, h := range cfg.History {
		if !h.EmptyLayer {
			history = append(history, h.CreatedBy)
		}
	}
	have := map[v1.Hash]bool{}
	for _, l := range om.Layers {
		have[l.Digest] = true
	}
	var out []changedLayer
	for i, l := range m.Layers {
		if have[l.Digest] {
			continue
		}
		c := changedLayer{Index: i, Of: len(m.Layers), Size: l.Size, Digest: l.Digest.String()}
		if i < len(history) {
			c.CreatedBy = history[i]
		}
		out = append(out, c)
	}
	return out, nil
}
