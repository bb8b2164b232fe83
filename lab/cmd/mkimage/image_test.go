package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParsePlatform(t *testing.T) {
	tests := []struct {
		in      string
		want    Platform
		wantErr bool
	}{
		{"linux/amd64", Platform{OS: "linux", Architecture: "amd64"}, false},
		{"linux/arm64", Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, false},
		{"linux/arm/v7", Platform{OS: "linux", Architecture: "arm", Variant: "v7"}, false},
		{"linux", Platform{}, true},
		{"linux/", Platform{}, true},
		{"linux/arm/v7/x", Platform{}, true},
	}
	for _, tt := range tests {
		got, err := parsePlatform(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parsePlatform(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestImageConfig(t *testing.T) {
	layers := []Layer{{DiffID: "sha256:aa"}, {DiffID: "sha256:bb"}}
	tests := []struct {
		name   string
		plat   Platform
		config string
		check  func(t *testing.T, img map[string]any)
	}{
		{
			name:   "nonroot with env",
			plat:   Platform{OS: "linux", Architecture: "amd64"},
			config: `{"User":"65532","WorkingDir":"/home/nonroot","Env":["PATH=/usr/bin"]}`,
			check: func(t *testing.T, img map[string]any) {
				cfg := img["config"].(map[string]any)
				if cfg["User"] != "65532" || cfg["WorkingDir"] != "/home/nonroot" || !reflect.DeepEqual(cfg["Env"], []any{"PATH=/usr/bin"}) {
					t.Errorf("config %v", cfg)
				}
				if _, ok := cfg["Entrypoint"]; ok {
					t.Errorf("Entrypoint set though not given: %v", cfg)
				}
				if _, ok := img["variant"]; ok {
					t.Errorf("variant on amd64: %v", img["variant"])
				}
			},
		},
		{
			name:   "arm64 debug",
			plat:   Platform{OS: "linux", Architecture: "arm64", Variant: "v8"},
			config: `{"Entrypoint":["/busybox/sh"]}`,
			check: func(t *testing.T, img map[string]any) {
				if img["architecture"] != "arm64" || img["variant"] != "v8" || img["os"] != "linux" {
					t.Errorf("platform fields %v %v %v", img["os"], img["architecture"], img["variant"])
				}
				if ep := img["config"].(map[string]any)["Entrypoint"]; !reflect.DeepEqual(ep, []any{"/busybox/sh"}) {
					t.Errorf("Entrypoint %v", ep)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := PlatformSpec{Layers: []LayerSpec{{Path: "/x/static/"}, {Path: "busybox.tar", Comment: "busybox"}}, Config: json.RawMessage(tt.config)}
			b, err := imageConfig(tt.plat, ps, layers, time.Unix(0, 0))
			if err != nil {
				t.Fatal(err)
			}
			var img map[string]any
			if err := json.Unmarshal(b, &img); err != nil {
				t.Fatal(err)
			}
			if img["created"] != "1970-01-01T00:00:00Z" {
				t.Errorf("created %v", img["created"])
			}
			rootfs := img["rootfs"].(map[string]any)
			if rootfs["type"] != "layers" || !reflect.DeepEqual(rootfs["diff_ids"], []any{"sha256:aa", "sha256:bb"}) {
				t.Errorf("rootfs %v", rootfs)
			}
			hist := img["history"].([]any)
			if len(hist) != 2 || hist[0].(map[string]any)["comment"] != "static" || hist[1].(map[string]any)["comment"] != "busybox" {
				t.Errorf("history %v", hist)
			}
			tt.check(t, img)
		})
	}
}

func TestImageManifest(t *testing.T) {
	cfg := Descriptor{MediaType: MediaTypeConfig, Digest: "sha256:cc", Size: 10}
	b, err := imageManifest(cfg, []Layer{{Digest: "sha256:l1", Size: 5}}, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	want := Manifest{
		SchemaVersion: 2, MediaType: MediaTypeManifest, Config: cfg,
		Layers:      []Descriptor{{MediaType: MediaTypeLayerGz, Digest: "sha256:l1", Size: 5}},
		Annotations: map[string]string{"k": "v"},
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("manifest\n got %+v\nwant %+v", m, want)
	}
}

// fakeRegistry is an in-memory Registry API v2 server for the calls
// mkimage makes.
type fakeRegistry struct {
	mu        sync.Mutex
	blobs     map[string][]byte
	manifests map[string][]byte // "repo@ref"
	types     map[string]string
	uploads   int
}

func newFakeRegistry() *fakeRegistry {
	return &fakeRegistry{blobs: map[string][]byte{}, manifests: map[string][]byte{}, types: map[string]string{}}
}

func (f *fakeRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := strings.TrimPrefix(r.URL.Path, "/v2/")
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(p, "/blobs/uploads/"):
		f.uploads++
		w.Header().Set("Location", fmt.Sprintf("/v2/%supload-%d?state=x", p, f.uploads))
		w.WriteHeader(http.StatusAccepted)
	case r.Method == http.MethodPut && strings.Contains(p, "/blobs/uploads/"):
		body, _ := io.ReadAll(r.Body)
		d := r.URL.Query().Get("digest")
		if r.URL.Query().Get("state") != "x" || sha(body) != d || r.ContentLength != int64(len(body)) {
			http.Error(w, "bad upload", http.StatusBadRequest)
			return
		}
		f.blobs[d] = body
		w.WriteHeader(http.StatusCreated)
	case r.Method == http.MethodHead && strings.Contains(p, "/blobs/"):
		if _, ok := f.blobs[p[strings.LastIndex(p, "/")+1:]]; !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
	case r.Method == http.MethodPut && strings.Contains(p, "/manifests/"):
		repo, ref, _ := strings.Cut(p, "/manifests/")
		body, _ := io.ReadAll(r.Body)
		var m Manifest
		json.Unmarshal(body, &m)
		for _, d := range append(m.Layers, m.Config) {
			if d.Digest != "" && f.blobs[d.Digest] == nil {
				http.Error(w, "blob unknown "+d.Digest, http.StatusBadRequest)
				return
			}
		}
		f.manifests[repo+"@"+ref] = body
		f.manifests[repo+"@"+sha(body)] = body
		f.types[repo+"@"+ref] = r.Header.Get("Content-Type")
		w.WriteHeader(http.StatusCreated)
	default:
		http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusMethodNotAllowed)
	}
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
			Config:   json.RawMessage(`{"User":"0","WorkingDir":"/"}`),
		})
	}
	return Spec{Repository: "distroless/static-debian13", Tags: []string{"latest", "debug"}, Platforms: plats}
}

func TestBuildPushesToRegistry(t *testing.T) {
	fake := newFakeRegistry()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	spec := testSpec(t)
	b := &Builder{
		Target:  &Registry{Host: strings.TrimPrefix(srv.URL, "http://"), Repo: spec.Repository},
		Layers:  &LayerCache{Dir: t.TempDir()},
		Created: time.Unix(0, 0),
	}
	desc, err := b.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range spec.Tags {
		key := spec.Repository + "@" + tag
		if fake.types[key] != MediaTypeIndex {
			t.Fatalf("%s: media type %q", tag, fake.types[key])
		}
		if sha(fake.manifests[key]) != desc.Digest {
			t.Errorf("%s: index digest %s, Build returned %s", tag, sha(fake.manifests[key]), desc.Digest)
		}
	}
	var idx Index
	if err := json.Unmarshal(fake.manifests[spec.Repository+"@latest"], &idx); err != nil {
		t.Fatal(err)
	}
	want := []Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64", Variant: "v8"}}
	if len(idx.Manifests) != len(want) {
		t.Fatalf("index has %d manifests", len(idx.Manifests))
	}
	for i, d := range idx.Manifests {
		if d.MediaType != MediaTypeManifest || *d.Platform != want[i] {
			t.Errorf("manifest %d: %s %+v", i, d.MediaType, d.Platform)
		}
		if fake.manifests[spec.Repository+"@"+d.Digest] == nil {
			t.Errorf("manifest %d (%s) not pushed by digest", i, d.Digest)
		}
	}

	// Again: every blob is there already, nothing is uploaded.
	uploads := fake.uploads
	if _, err := b.Build(spec); err != nil {
		t.Fatal(err)
	}
	if fake.uploads != uploads {
		t.Errorf("second build started %d uploads, want none", fake.uploads-uploads)
	}
}

func TestBuildWritesLayout(t *testing.T) {
	spec := testSpec(t)
	dir := t.TempDir()
	b := &Builder{Target: &Layout{Dir: dir}, Layers: &LayerCache{Dir: t.TempDir()}}
	desc, err := b.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Build(spec); err != nil { // rewriting replaces the tags
		t.Fatal(err)
	}
	var idx Index
	data, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, d := range idx.Manifests {
		refs = append(refs, d.Annotations[refNameAnnotation])
		if d.Digest != desc.Digest || d.MediaType != MediaTypeIndex {
			t.Errorf("index.json entry %+v, want the image index %s", d, desc.Digest)
		}
	}
	if !reflect.DeepEqual(refs, spec.Tags) {
		t.Errorf("refs %v, want %v", refs, spec.Tags)
	}
	// Every blob named by the image index and its manifests is there and
	// matches its digest.
	check := func(digest string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(digest, "sha256:")))
		if err != nil {
			t.Fatal(err)
		}
		if sha(b) != digest {
			t.Fatalf("blob %s has digest %s", digest, sha(b))
		}
		return b
	}
	var image Index
	json.Unmarshal(check(desc.Digest), &image)
	for _, md := range image.Manifests {
		var m Manifest
		json.Unmarshal(check(md.Digest), &m)
		check(m.Config.Digest)
		for _, l := range m.Layers {
			check(l.Digest)
		}
	}
}
