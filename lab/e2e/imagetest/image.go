// Package imagetest loads OCI image archives produced by the lab's builds,
// unpacks them and runs them with runc, so end-to-end tests assert on what
// the image does, not on how it was built. Standard library only.
package imagetest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// Config is the part of an OCI image config the tests read.
type Config struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Variant      string `json:"variant"`
	Created      string `json:"created"`
	Config       struct {
		User         string              `json:"User"`
		Env          []string            `json:"Env"`
		Entrypoint   []string            `json:"Entrypoint"`
		Cmd          []string            `json:"Cmd"`
		WorkingDir   string              `json:"WorkingDir"`
		ExposedPorts map[string]struct{} `json:"ExposedPorts"`
		Labels       map[string]string   `json:"Labels"`
	} `json:"config"`
}

// Image is one platform's image of an OCI archive.
type Image struct {
	Config    Config
	RawConfig []byte
	// Layers are the layer blobs (compressed), bottom first.
	Layers [][]byte
	// Manifests lists the platforms of the archive's index.
	Platforms []string
	// Size is the sum of the compressed layer sizes plus config.
	Size int64
}

type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
	Platform  *struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
		Variant      string `json:"variant"`
	} `json:"platform"`
	Annotations map[string]string `json:"annotations"`
}

type index struct {
	Manifests []descriptor `json:"manifests"`
	Config    descriptor   `json:"config"`
	Layers    []descriptor `json:"layers"`
}

// Load reads the image of platform ("linux/arm64") from an OCI archive
// (buildctl/buildx -o type=oci). Attestation manifests are skipped.
func Load(t testing.TB, archive, platform string) *Image {
	t.Helper()
	a := openArchive(t, archive)
	f := a.findImage(t, platform)
	img := &Image{Config: f.config, RawConfig: f.rawConfig, Platforms: f.platforms}
	img.Size = f.manifest.Config.Size
	for _, l := range f.manifest.Layers {
		img.Layers = append(img.Layers, a.blob(t, l.Digest))
		img.Size += l.Size
	}
	return img
}

// ociArchive is an OCI archive's files by name ("index.json",
// "blobs/sha256/…").
type ociArchive struct {
	name  string
	files map[string][]byte
}

func openArchive(t testing.TB, archive string) *ociArchive {
	t.Helper()
	return &ociArchive{name: archive, files: readTar(t, archive)}
}

func (a *ociArchive) blob(t testing.TB, d string) []byte {
	t.Helper()
	b, ok := a.files["blobs/"+strings.Replace(d, ":", "/", 1)]
	if !ok {
		t.Fatalf("%s: blob %s missing", a.name, d)
	}
	return b
}

func (a *ociArchive) index(t testing.TB) index {
	t.Helper()
	var idx index
	if err := json.Unmarshal(a.files["index.json"], &idx); err != nil {
		t.Fatalf("%s: index.json: %v", a.name, err)
	}
	return idx
}

func isIndex(d descriptor) bool {
	return strings.HasSuffix(d.MediaType, "image.index.v1+json") || strings.HasSuffix(d.MediaType, "manifest.list.v2+json")
}

// foundImage is one platform's image manifest in an archive.
type foundImage struct {
	desc      descriptor // the manifest's descriptor in its index
	manifest  index
	config    Config
	rawConfig []byte
	// platforms are those of the images looked at, up to the one found.
	platforms []string
}

// findImage finds the image manifest of platform (os/arch or
// os/arch/variant, as its config gives it), following nested indexes and
// skipping attestation manifests.
func (a *ociArchive) findImage(t testing.TB, platform string) *foundImage {
	t.Helper()
	f := &foundImage{}
	var pick func(descs []descriptor) bool
	pick = func(descs []descriptor) bool {
		for _, d := range descs {
			switch {
			case isIndex(d):
				var sub index
				if err := json.Unmarshal(a.blob(t, d.Digest), &sub); err != nil {
					t.Fatal(err)
				}
				if pick(sub.Manifests) {
					return true
				}
			case d.Annotations["vnd.docker.reference.type"] == "attestation-manifest":
			default:
				var m index
				if err := json.Unmarshal(a.blob(t, d.Digest), &m); err != nil {
					t.Fatal(err)
				}
				raw := a.blob(t, m.Config.Digest)
				var c Config
				if err := json.Unmarshal(raw, &c); err != nil {
					t.Fatal(err)
				}
				p := c.OS + "/" + c.Architecture
				f.platforms = append(f.platforms, p)
				if p == platform || p+"/"+c.Variant == platform {
					f.desc, f.manifest, f.config, f.rawConfig = d, m, c, raw
					return true
				}
			}
		}
		return false
	}
	if !pick(a.index(t).Manifests) {
		t.Fatalf("%s: no image for %s (has %v)", a.name, platform, f.platforms)
	}
	return f
}

// ArchiveFiles are the files of an OCI archive by name ("index.json",
// "blobs/sha256/…").
func ArchiveFiles(t testing.TB, archive string) map[string][]byte {
	t.Helper()
	return readTar(t, archive)
}

func readTar(t testing.TB, archive string) map[string][]byte {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", archive, err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[path.Clean(h.Name)] = b
	}
}

// Entry is one file of one layer.
type Entry struct {
	Layer  int
	Header *tar.Header
	Data   []byte
}

// Entries returns every entry of every layer, bottom layer first.
func (img *Image) Entries(t testing.TB) []Entry {
	t.Helper()
	var out []Entry
	for i, l := range img.Layers {
		gz, err := gzip.NewReader(bytes.NewReader(l))
		if err != nil {
			t.Fatalf("layer %d: %v (only gzip layers are supported)", i, err)
		}
		tr := tar.NewReader(gz)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("layer %d: %v", i, err)
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, Entry{Layer: i, Header: h, Data: b})
		}
	}
	return out
}

// Unpack writes the image's root filesystem into dir, applying OCI
// whiteouts, keeping ownership, modes and symlinks.
func (img *Image) Unpack(t testing.TB, dir string) {
	t.Helper()
	for _, e := range img.Entries(t) {
		name := path.Clean("/" + e.Header.Name)
		if name == "/" {
			continue
		}
		dst := filepath.Join(dir, filepath.FromSlash(name))
		base := path.Base(name)
		if base == ".wh..wh..opq" {
			parent := filepath.Dir(dst)
			ents, _ := os.ReadDir(parent)
			for _, en := range ents {
				os.RemoveAll(filepath.Join(parent, en.Name()))
			}
			continue
		}
		if strings.HasPrefix(base, ".wh.") {
			os.RemoveAll(filepath.Join(filepath.Dir(dst), strings.TrimPrefix(base, ".wh.")))
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		h := e.Header
		mode := os.FileMode(h.Mode).Perm() | os.FileMode(h.Mode)&(os.ModeSetuid|os.ModeSetgid|os.ModeSticky)
		if fi, err := os.Lstat(dst); err == nil && !(fi.IsDir() && h.Typeflag == tar.TypeDir) {
			os.RemoveAll(dst)
		}
		var err error
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(dst, 0o755)
		case tar.TypeReg:
			err = os.WriteFile(dst, e.Data, 0o600)
		case tar.TypeSymlink:
			err = os.Symlink(h.Linkname, dst)
		case tar.TypeLink:
			err = os.Link(filepath.Join(dir, filepath.FromSlash(path.Clean("/"+h.Linkname))), dst)
		default:
			continue
		}
		if err != nil {
			t.Fatalf("unpacking %s: %v", name, err)
		}
		os.Lchown(dst, h.Uid, h.Gid)
		if h.Typeflag != tar.TypeSymlink {
			// chmod after chown: chown clears setuid bits.
			if h.Typeflag == tar.TypeDir {
				mode |= os.ModeDir
			}
			os.Chmod(dst, mode)
		}
	}
}

// Exists reports whether p exists in an unpacked rootfs, resolving
// symlinks inside it (so /bin/sh is found through a /bin -> usr/bin link).
func Exists(rootfs, p string) bool {
	_, err := resolve(rootfs, p, 0)
	return err == nil
}

func resolve(rootfs, p string, depth int) (string, error) {
	if depth > 40 {
		return "", fmt.Errorf("too many links")
	}
	parts := strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/")
	cur := "/"
	for i, part := range parts {
		if part == "" {
			continue
		}
		next := path.Join(cur, part)
		fi, err := os.Lstat(filepath.Join(rootfs, next))
		if err != nil {
			return "", err
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			link, err := os.Readlink(filepath.Join(rootfs, next))
			if err != nil {
				return "", err
			}
			if !path.IsAbs(link) {
				link = path.Join(cur, link)
			}
			rest := strings.Join(parts[i+1:], "/")
			return resolve(rootfs, path.Join(link, rest), depth+1)
		}
		cur = next
	}
	return cur, nil
}

// IndexPlatforms lists the platforms of an OCI archive's image index as
// its descriptors give them (os/arch[/variant]), nested indexes followed,
// attestation manifests left out: what a registry client sees, where Load
// reads each image's config.
func IndexPlatforms(t testing.TB, archive string) []string {
	t.Helper()
	var out []string
	for _, d := range indexImages(t, archive) {
		out = append(out, d.platform)
	}
	return out
}

// IndexDigests maps each platform of an OCI archive's image index (as
// IndexPlatforms gives it) to its image manifest's digest.
func IndexDigests(t testing.TB, archive string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, d := range indexImages(t, archive) {
		out[d.platform] = d.digest
	}
	return out
}

// indexImage is an image manifest's descriptor in an index.
type indexImage struct{ platform, digest string }

// indexImages are the image manifests of an archive's index, in order.
func indexImages(t testing.TB, archive string) []indexImage {
	t.Helper()
	blobs := readTar(t, archive)
	var walk func(data []byte) []indexImage
	walk = func(data []byte) []indexImage {
		var idx index
		if err := json.Unmarshal(data, &idx); err != nil {
			t.Fatalf("%s: %v", archive, err)
		}
		var out []indexImage
		for _, d := range idx.Manifests {
			switch {
			case strings.HasSuffix(d.MediaType, "image.index.v1+json"):
				out = append(out, walk(blobs["blobs/"+strings.Replace(d.Digest, ":", "/", 1)])...)
			case d.Annotations["vnd.docker.reference.type"] == "attestation-manifest":
			case d.Platform != nil:
				p := d.Platform.OS + "/" + d.Platform.Architecture
				if d.Platform.Variant != "" {
					p += "/" + d.Platform.Variant
				}
				out = append(out, indexImage{p, d.Digest})
			}
		}
		return out
	}
	return walk(blobs["index.json"])
}
