package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
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

func writeBlob(t *testing.T, dir string, data []byte) ociDescriptor {
	t.Helper()
	sum := sha256.Sum256(data)
	d := ociDescriptor{Digest: "sha256:" + hex.EncodeToString(sum[:]), Size: int64(len(data))}
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blobPath(dir, d.Digest), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestAnalyzeImage: packages of every kind are counted once per
// name@version, a later layer's whiteouts remove what they name, and
// paths are found through merged-/usr symlinks.
func TestAnalyzeImage(t *testing.T) {
	dir := t.TempDir()
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
	cfg := writeBlob(t, dir, []byte(`{"architecture":"amd64","os":"linux","config":{"User":"65532:65532"}}`))
	var layers []ociDescriptor
	for _, l := range [][]byte{l1, l2} {
		d := writeBlob(t, dir, l)
		d.MediaType = "application/vnd.oci.image.layer.v1.tar+gzip"
		layers = append(layers, d)
	}
	mf, _ := json.Marshal(ociManifest{MediaType: "application/vnd.oci.image.manifest.v1+json", Config: cfg, Layers: layers})
	idx, _ := json.Marshal(ociManifest{Manifests: []ociDescriptor{writeBlob(t, dir, mf)}})
	if err := os.WriteFile(filepath.Join(dir, "index.json"), idx, 0o644); err != nil {
		t.Fatal(err)
	}

	st, err := analyzeImage(dir)
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
	if st.User != "65532:65532" || st.Layers != 2 || st.Compressed != cfg.Size+layers[0].Size+layers[1].Size {
		t.Errorf("user %q, %d layers, %d compressed bytes", st.User, st.Layers, st.Compressed)
	}
	// dash, status, status.d x2, three package.json (the @types one is
	// gone, and so is apt).
	if st.Files != 7 {
		t.Errorf("files = %d, want 7", st.Files)
	}
	if st.Uncompressed < int64(len(status)) {
		t.Errorf("unpacked = %d bytes", st.Uncompressed)
	}
}
