package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// layer is a gzipped tar of entries: a name ending in / is a directory,
// "->" in a value makes a symlink.
func layer(t *testing.T, entries [][2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		name, body := e[0], e[1]
		h := &tar.Header{Name: name, Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(body))}
		switch {
		case name[len(name)-1] == '/':
			h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
		case len(body) > 3 && body[:3] == "-> ":
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, body[3:], 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(body))
		}
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

// image is an OCI image of gzipped layers, run as user.
func image(t *testing.T, user string, layers ...[]byte) v1.Image {
	t.Helper()
	img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{Architecture: "amd64", OS: "linux", Config: v1.Config{User: user}})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		if img, err = mutate.AppendLayers(img, static.NewLayer(l, types.OCILayer)); err != nil {
			t.Fatal(err)
		}
	}
	return mutate.ConfigMediaType(mutate.MediaType(img, types.OCIManifestSchema1), types.OCIConfigJSON)
}

// writeLayout writes an OCI layout of the images or indexes.
func writeLayout(t *testing.T, adds ...mutate.Appendable) string {
	t.Helper()
	var idx v1.ImageIndex = empty.Index
	for _, a := range adds {
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: a})
	}
	dir := t.TempDir()
	if _, err := layout.Write(dir, idx); err != nil {
		t.Fatal(err)
	}
	return dir
}

// unpackedSize is the length of a gzipped stream unpacked.
func unpackedSize(t *testing.T, gz []byte) int64 {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAnalyzeImage: packages of every kind are counted once per
// name@version, a later layer's whiteouts remove what they name, and
// paths are found through merged-/usr symlinks.
func TestAnalyzeImage(t *testing.T) {
	status := "Package: libc6\nStatus: install ok installed\nVersion: 2.41\n\nPackage: gone\nStatus: deinstall ok config-files\n"
	l1 := layer(t, [][2]string{
		{"bin", "-> usr/bin"},
		{"usr/", ""}, {"usr/bin/", ""}, {"usr/bin/dash", "#!"}, {"usr/bin/sh", "-> dash"}, {"usr/bin/apt", "x"},
		{"var/lib/dpkg/status", status},
		{"var/lib/dpkg/status.d/tzdata", "Package: tzdata\n"}, {"var/lib/dpkg/status.d/tzdata.md5sums", ""},
		{"app/.venv/lib/python3.13/site-packages/fastapi-0.115.0.dist-info/", ""},
		{"app/node_modules/ms/package.json", `{"name":"ms","version":"2.1.3"}`},
		{"app/node_modules/a/node_modules/ms/package.json", `{"name":"ms","version":"2.1.3"}`},
		{"app/node_modules/@types/node/package.json", `{"name":"@types/node","version":"24.0.0"}`},
		{"app/node_modules/ms/test/package.json", `{"name":"fixture","version":"1"}`},
	})
	l2 := layer(t, [][2]string{
		{"usr/bin/.wh.apt", ""},
		{"app/node_modules/@types/.wh..wh..opq", ""},
	})
	img := image(t, "65532:65532", l1, l2)
	st, err := analyzeImage(writeLayout(t, img))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"debian": 2, "python": 1, "npm": 1, "go": 0}
	for eco, n := range want {
		if st.PackagesByEco[eco] != n {
			t.Errorf("%s packages = %d, want %d (%v)", eco, st.PackagesByEco[eco], n, st.PackagesByEco)
		}
	}
	if st.Packages != 4 {
		t.Errorf("packages = %d, want 4", st.Packages)
	}
	if st.Shell != "/bin/sh" {
		t.Errorf("shell = %q, want /bin/sh (through the /bin link)", st.Shell)
	}
	if len(st.PackageManagers) != 0 {
		t.Errorf("package managers = %q, want none (apt is whited out)", st.PackageManagers)
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if st.User != "65532:65532" || st.Layers != 2 || st.Compressed != int64(len(cfg)+len(l1)+len(l2)) {
		t.Errorf("user %q, %d layers, %d compressed bytes", st.User, st.Layers, st.Compressed)
	}
	// dash, status, status.d x2, three package.json (the @types one is
	// gone, and so is apt).
	if st.Files != 7 {
		t.Errorf("files = %d, want 7", st.Files)
	}
	// Both tar streams, end-of-archive padding included.
	if want := unpackedSize(t, l1) + unpackedSize(t, l2); st.Uncompressed != want {
		t.Errorf("unpacked = %d bytes, want %d", st.Uncompressed, want)
	}
}

func TestAnalyzeImageNotOneImage(t *testing.T) {
	img := image(t, "", layer(t, [][2]string{{"etc/", ""}}))
	index := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img})
	for name, dir := range map[string]string{
		"two images": writeLayout(t, img, image(t, "0")),
		"an index":   writeLayout(t, index),
		"no image":   writeLayout(t),
	} {
		if _, err := analyzeImage(dir); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestRegistryImageSize: the linux/amd64 image of an index in a registry.
func TestRegistryImageSize(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	small := layer(t, [][2]string{{"etc/arch", "arm64"}})
	amd64 := image(t, "", layer(t, [][2]string{{"etc/arch", "amd64"}, {"etc/more", strings.Repeat("x", 100)}}))
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: image(t, "", small), Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
		mutate.IndexAddendum{Add: amd64, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
	)
	ref, err := name.ParseReference(host + "/distill-build/distill:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatal(err)
	}
	m, err := amd64.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	want := m.Config.Size + m.Layers[0].Size
	got, err := registryImageSize(host, "ghcr.io/distill-build/distill:1")
	if err != nil || got != want {
		t.Errorf("registryImageSize = %d, %v; want %d", got, err, want)
	}
}

// TestChangedLayers: the rebuilt image's layers that the first image
// lacks, wherever they stand, with their history entries.
func TestChangedLayers(t *testing.T) {
	base := layer(t, [][2]string{{"etc/os-release", "debian"}})
	deps := layer(t, [][2]string{{"app/lib/a.jar", "a"}})
	app1 := layer(t, [][2]string{{"app/app.jar", "1"}})
	app2 := layer(t, [][2]string{{"app/app.jar", "2"}})
	before := image(t, "", base, deps, app1)
	after := image(t, "", base, deps, app2)
	after, err := mutate.ConfigFile(after, &v1.ConfigFile{History: []v1.History{
		{CreatedBy: "base"}, {CreatedBy: "ENV x=1", EmptyLayer: true}, {CreatedBy: "deps"}, {CreatedBy: "app"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := changedLayers(writeLayout(t, before), writeLayout(t, after))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Index != 2 || got[0].Of != 3 || got[0].Size != int64(len(app2)) || got[0].CreatedBy != "app" {
		t.Errorf("changedLayers = %+v, want the third layer, app, %d bytes", got, len(app2))
	}
	if got, err := changedLayers(writeLayout(t, before), writeLayout(t, before)); err != nil || len(got) != 0 {
		t.Errorf("changedLayers of one image = %+v, %v; want none", got, err)
	}
}
