package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestParsePlatform(t *testing.T) {
	tests := []struct {
		in      string
		want    v1.Platform
		wantErr bool
	}{
		{"linux/amd64", v1.Platform{OS: "linux", Architecture: "amd64"}, false},
		{"linux/arm64", v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, false},
		{"linux/arm/v7", v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}, false},
		{"linux", v1.Platform{}, true},
		{"linux/", v1.Platform{}, true},
		{"linux/arm/v7/x", v1.Platform{}, true},
	}
	for _, tt := range tests {
		got, err := parsePlatform(tt.in)
		if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parsePlatform(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// writeTar writes a tar of one file with fixed headers, so that its diff
// ID does not depend on the machine.
func writeTar(t *testing.T, path, file, content string) {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	hdr := &tar.Header{Name: file, Mode: 0o755, Size: int64(len(content)), ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		t.Fatal(err)
	}
	io.WriteString(tw, content)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	mkfile(t, path, b.String(), 0o644)
}

// TestImageJSON pins the config, manifest and index mkimage writes: a
// change of their bytes changes every fixture's digest.
func TestImageJSON(t *testing.T) {
	dir := t.TempDir()
	busybox, base := filepath.Join(dir, "busybox.tar"), filepath.Join(dir, "base.tar")
	writeTar(t, busybox, "busybox/sh", "#!")
	writeTar(t, base, "etc/os-release", "ID=debian\n")
	spec := Spec{
		Repository:  "distroless/static-debian13",
		Tags:        []string{"debug"},
		Annotations: map[string]string{"org.opencontainers.image.source": "src"},
		Platforms: []PlatformSpec{{
			Platform: "linux/arm64",
			Layers:   []LayerSpec{{Path: base, Comment: "base"}, {Path: busybox}},
			Config:   ImageConfig{User: "65532", Env: []string{"PATH=/usr/bin"}, Entrypoint: []string{"/busybox/sh"}},
		}},
	}
	b := &Builder{Layers: &LayerCache{Dir: t.TempDir()}, Created: time.Unix(0, 0)}
	idx, err := b.Index(spec)
	if err != nil {
		t.Fatal(err)
	}
	var layers []Layer
	for _, src := range spec.Platforms[0].Layers {
		l, err := b.Layers.Get(src) // from the cache
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, l)
	}
	if got, want := layers[0].DiffID, "sha256:57aa697b365796e91e0ed89d674b9dc3ceaa48a09178a0661b6c6bc6f79973fe"; got != want {
		t.Fatalf("diff ID of the base layer %s, want %s", got, want)
	}
	img, err := idx.Image(mustDigest(t, idx, 0))
	if err != nil {
		t.Fatal(err)
	}

	cfg, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	history := `{"created":"1970-01-01T00:00:00Z","created_by":"mkimage (distill lab fixture)","comment":"%s"}`
	wantCfg := `{"architecture":"arm64","created":"1970-01-01T00:00:00Z","history":[` +
		fmt.Sprintf(history, "base") + "," + fmt.Sprintf(history, "busybox.tar") +
		fmt.Sprintf(`],"os":"linux","rootfs":{"type":"layers","diff_ids":["%s","%s"]},`, layers[0].DiffID, layers[1].DiffID) +
		`"config":{"Entrypoint":["/busybox/sh"],"Env":["PATH=/usr/bin"],"User":"65532"},"variant":"v8"}`
	if string(cfg) != wantCfg {
		t.Errorf("config\n got %s\nwant %s", cfg, wantCfg)
	}

	man, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	desc := `{"mediaType":"%s","size":%d,"digest":"%s"}`
	wantMan := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":` +
		fmt.Sprintf(desc, "application/vnd.oci.image.config.v1+json", len(cfg), sha(cfg)) + `,"layers":[` +
		fmt.Sprintf(desc, "application/vnd.oci.image.layer.v1.tar+gzip", layers[0].Size, layers[0].Digest) + "," +
		fmt.Sprintf(desc, "application/vnd.oci.image.layer.v1.tar+gzip", layers[1].Size, layers[1].Digest) +
		`],"annotations":{"org.opencontainers.image.source":"src"}}`
	if string(man) != wantMan {
		t.Errorf("manifest\n got %s\nwant %s", man, wantMan)
	}

	index, err := idx.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	wantIndex := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[` +
		fmt.Sprintf(`{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":%d,"digest":"%s",`, len(man), sha(man)) +
		`"platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]}`
	if string(index) != wantIndex {
		t.Errorf("index\n got %s\nwant %s", index, wantIndex)
	}

	// The layer blobs are the compressed files of the cache, as they are.
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range ls {
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := os.ReadFile(layers[i].Path); !bytes.Equal(got, want) {
			t.Errorf("layer %d: blob is not the cached file", i)
		}
	}
}

func mustDigest(t *testing.T, idx v1.ImageIndex, i int) v1.Hash {
	t.Helper()
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	return im.Manifests[i].Digest
}

func testSpec(t *testing.T) Spec {
	t.Helper()
	dir := t.TempDir()
	var plats []PlatformSpec
	for _, arch := range []string{"amd64", "arm64"} {
		root := filepath.Join(dir, arch)
		mkfile(t, filepath.Join(root, "etc/arch"), arch, 0o644)
		plats = append(plats, PlatformSpec{
			Platform: "linux/" + arch,
			Layers:   []LayerSpec{{Path: root}},
			Config:   ImageConfig{User: "0", WorkingDir: "/"},
		})
	}
	return Spec{Repository: "distroless/static-debian13", Tags: []string{"latest", "debug"}, Platforms: plats}
}

// TestPush pushes to an in-process registry and reads the image back.
func TestPush(t *testing.T) {
	var uploads atomic.Int32
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/blobs/uploads/") {
			uploads.Add(1)
		}
		reg.ServeHTTP(w, r)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://") // 127.0.0.1: plain HTTP
	spec := testSpec(t)
	b := &Builder{Layers: &LayerCache{Dir: t.TempDir()}, Created: time.Unix(0, 0)}
	idx, err := b.Index(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := push(host, spec.Repository, spec.Tags, idx); err != nil {
		t.Fatal(err)
	}
	want, err := idx.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range spec.Tags {
		ref, err := name.ParseReference(host + "/" + spec.Repository + ":" + tag)
		if err != nil {
			t.Fatal(err)
		}
		desc, err := remote.Get(ref)
		if err != nil {
			t.Fatal(err)
		}
		if desc.MediaType != "application/vnd.oci.image.index.v1+json" || !bytes.Equal(desc.Manifest, want) {
			t.Errorf("%s: %s %s, want the index pushed", tag, desc.MediaType, desc.Manifest)
		}
	}
	ref, err := name.ParseReference(host + "/" + spec.Repository + ":latest")
	if err != nil {
		t.Fatal(err)
	}
	got, err := remote.Index(ref)
	if err != nil {
		t.Fatal(err)
	}
	im, err := got.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	wantPlats := []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64", Variant: "v8"}}
	if len(im.Manifests) != len(wantPlats) {
		t.Fatalf("index has %d manifests", len(im.Manifests))
	}
	for i, d := range im.Manifests {
		if d.MediaType != "application/vnd.oci.image.manifest.v1+json" || !reflect.DeepEqual(*d.Platform, wantPlats[i]) {
			t.Errorf("manifest %d: %s %+v", i, d.MediaType, d.Platform)
		}
		img, err := got.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatalf("manifest %d: %v", i, err)
		}
		if cf.Architecture != wantPlats[i].Architecture || cf.Config.User != "0" || len(cf.RootFS.DiffIDs) != 1 {
			t.Errorf("manifest %d: config %+v", i, cf)
		}
	}
	if uploads.Load() == 0 {
		t.Fatal("no blob uploads counted")
	}

	// Again: every blob is there already, nothing is uploaded.
	before := uploads.Load()
	if err := push(host, spec.Repository, spec.Tags, idx); err != nil {
		t.Fatal(err)
	}
	if n := uploads.Load() - before; n != 0 {
		t.Errorf("second push started %d uploads, want none", n)
	}
}

func TestWriteLayout(t *testing.T) {
	spec := testSpec(t)
	dir := t.TempDir()
	b := &Builder{Layers: &LayerCache{Dir: t.TempDir()}}
	idx, err := b.Index(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeLayout(dir, []string{"old", "latest"}, layerless(t)); err != nil {
		t.Fatal(err)
	}
	if err := writeLayout(dir, spec.Tags, idx); err != nil {
		t.Fatal(err)
	}
	if err := writeLayout(dir, spec.Tags, idx); err != nil { // rewriting replaces the tags
		t.Fatal(err)
	}
	digest, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	top, err := v1.ParseIndexManifest(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	refs := map[string]v1.Hash{}
	for _, d := range top.Manifests {
		ref := d.Annotations[ocispec.AnnotationRefName]
		if _, ok := refs[ref]; ok {
			t.Errorf("tag %s listed twice", ref)
		}
		refs[ref] = d.Digest
	}
	if len(refs) != 3 || refs["latest"] != digest || refs["debug"] != digest || refs["old"] == digest {
		t.Errorf("index.json lists %v; want old kept, latest and debug at %s", refs, digest)
	}
	// Every blob named by the image index and its manifests is there and
	// matches its digest.
	check := func(d v1.Hash) []byte {
		b, err := os.ReadFile(filepath.Join(dir, "blobs", d.Algorithm, d.Hex))
		if err != nil {
			t.Fatal(err)
		}
		if sha(b) != d.String() {
			t.Fatalf("blob %s has digest %s", d, sha(b))
		}
		return b
	}
	image, err := v1.ParseIndexManifest(bytes.NewReader(check(digest)))
	if err != nil {
		t.Fatal(err)
	}
	for _, md := range image.Manifests {
		m, err := v1.ParseManifest(bytes.NewReader(check(md.Digest)))
		if err != nil {
			t.Fatal(err)
		}
		check(m.Config.Digest)
		for _, l := range m.Layers {
			check(l.Digest)
		}
	}
}

// layerless is an index of one image with no layers, another image than
// testSpec's.
func layerless(t *testing.T) v1.ImageIndex {
	t.Helper()
	spec := Spec{Platforms: []PlatformSpec{{Platform: "linux/amd64"}}}
	idx, err := (&Builder{Layers: &LayerCache{Dir: t.TempDir()}}).Index(spec)
	if err != nil {
		t.Fatal(err)
	}
	return idx
}
