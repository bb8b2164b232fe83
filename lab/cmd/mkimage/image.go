package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Media types of OCI images.
const (
	MediaTypeIndex    = "application/vnd.oci.image.index.v1+json"
	MediaTypeManifest = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeConfig   = "application/vnd.oci.image.config.v1+json"
	MediaTypeLayerGz  = "application/vnd.oci.image.layer.v1.tar+gzip"
)

// Platform of an index entry.
type Platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Variant      string `json:"variant,omitempty"`
}

// Descriptor points at a blob.
type Descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Platform    *Platform         `json:"platform,omitempty"`
}

// Manifest is an OCI image manifest.
type Manifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	Config        Descriptor        `json:"config"`
	Layers        []Descriptor      `json:"layers"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

// Index is an OCI image index.
type Index struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Manifests     []Descriptor `json:"manifests"`
}

// Target receives blobs and manifests: a registry or an OCI layout.
type Target interface {
	HasBlob(digest string) (bool, error)
	PutBlob(digest string, size int64, open opener) error
	PutManifest(ref, mediaType string, body []byte) error
}

// Builder makes the layers, configs, manifests and index of a Spec and
// sends them to Target.
type Builder struct {
	Target  Target
	Layers  *LayerCache
	Created time.Time
}

// Build pushes the image described by spec under each of its tags and
// returns the index's descriptor.
func (b *Builder) Build(spec Spec) (Descriptor, error) {
	layers, err := b.makeLayers(spec.Platforms)
	if err != nil {
		return Descriptor{}, err
	}
	var manifests []Descriptor
	for i, ps := range spec.Platforms {
		d, err := b.pushPlatform(ps, layers[i], spec.Annotations)
		if err != nil {
			return Descriptor{}, fmt.Errorf("%s %s: %w", spec.Repository, ps.Platform, err)
		}
		manifests = append(manifests, d)
	}
	index, err := json.Marshal(Index{SchemaVersion: 2, MediaType: MediaTypeIndex, Manifests: manifests})
	if err != nil {
		return Descriptor{}, err
	}
	for _, tag := range spec.Tags {
		if err := b.Target.PutManifest(tag, MediaTypeIndex, index); err != nil {
			return Descriptor{}, fmt.Errorf("%s:%s: %w", spec.Repository, tag, err)
		}
	}
	return Descriptor{MediaType: MediaTypeIndex, Digest: digestOf(index), Size: int64(len(index))}, nil
}

// makeLayers archives and compresses every platform's layers, as many at
// once as there are CPUs.
func (b *Builder) makeLayers(platforms []PlatformSpec) ([][]Layer, error) {
	out := make([][]Layer, len(platforms))
	errs := make([][]error, len(platforms))
	sem := make(chan struct{}, runtime.NumCPU())
	var wg sync.WaitGroup
	for i, ps := range platforms {
		out[i], errs[i] = make([]Layer, len(ps.Layers)), make([]error, len(ps.Layers))
		for j, src := range ps.Layers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				out[i][j], errs[i][j] = b.Layers.Get(src)
			}()
		}
	}
	wg.Wait()
	for i, ps := range platforms {
		for j, err := range errs[i] {
			if err != nil {
				return nil, fmt.Errorf("%s: layer %s: %w", ps.Platform, ps.Layers[j].Path, err)
			}
		}
	}
	return out, nil
}

// pushPlatform pushes one platform's layers, config and manifest and
// returns the manifest's descriptor for the index.
func (b *Builder) pushPlatform(ps PlatformSpec, layers []Layer, annotations map[string]string) (Descriptor, error) {
	plat, err := parsePlatform(ps.Platform)
	if err != nil {
		return Descriptor{}, err
	}
	for _, l := range layers {
		if err := pushBlob(b.Target, l.Digest, l.Size, fileOpener(l.Path)); err != nil {
			return Descriptor{}, fmt.Errorf("layer %s: %w", l.Digest, err)
		}
	}
	cfg, err := imageConfig(plat, ps, layers, b.Created)
	if err != nil {
		return Descriptor{}, err
	}
	cfgDesc := Descriptor{MediaType: MediaTypeConfig, Digest: digestOf(cfg), Size: int64(len(cfg))}
	if err := pushBlob(b.Target, cfgDesc.Digest, cfgDesc.Size, bytesOpener(cfg)); err != nil {
		return Descriptor{}, fmt.Errorf("config: %w", err)
	}
	man, err := imageManifest(cfgDesc, layers, annotations)
	if err != nil {
		return Descriptor{}, err
	}
	d := Descriptor{MediaType: MediaTypeManifest, Digest: digestOf(man), Size: int64(len(man)), Platform: &plat}
	if err := b.Target.PutManifest(d.Digest, MediaTypeManifest, man); err != nil {
		return Descriptor{}, err
	}
	return d, nil
}

// imageConfig is the OCI image config: the spec's config (User, Env,
// Entrypoint, …) as given, with the platform, the layers' diff IDs and
// one history entry per layer, all created at the fixed time.
func imageConfig(plat Platform, ps PlatformSpec, layers []Layer, created time.Time) ([]byte, error) {
	var cfg map[string]any
	if len(ps.Config) > 0 {
		if err := json.Unmarshal(ps.Config, &cfg); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
	}
	type history struct {
		Created   string `json:"created"`
		CreatedBy string `json:"created_by"`
		Comment   string `json:"comment,omitempty"`
	}
	img := struct {
		Created      string         `json:"created"`
		Architecture string         `json:"architecture"`
		OS           string         `json:"os"`
		Variant      string         `json:"variant,omitempty"`
		Config       map[string]any `json:"config"`
		RootFS       struct {
			Type    string   `json:"type"`
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
		History []history `json:"history"`
	}{
		Created:      created.Format(time.RFC3339),
		Architecture: plat.Architecture,
		OS:           plat.OS,
		Variant:      plat.Variant,
		Config:       cfg,
	}
	img.RootFS.Type = "layers"
	img.RootFS.DiffIDs = []string{}
	for i, l := range layers {
		img.RootFS.DiffIDs = append(img.RootFS.DiffIDs, l.DiffID)
		src := ps.Layers[i]
		comment := src.Comment
		if comment == "" {
			comment = filepath.Base(strings.TrimSuffix(src.Path, "/"))
		}
		img.History = append(img.History, history{Created: img.Created, CreatedBy: "mkimage (distill lab fixture)", Comment: comment})
	}
	return json.Marshal(img)
}

func imageManifest(cfg Descriptor, layers []Layer, annotations map[string]string) ([]byte, error) {
	m := Manifest{SchemaVersion: 2, MediaType: MediaTypeManifest, Config: cfg, Layers: []Descriptor{}, Annotations: annotations}
	for _, l := range layers {
		m.Layers = append(m.Layers, Descriptor{MediaType: MediaTypeLayerGz, Digest: l.Digest, Size: l.Size})
	}
	return json.Marshal(m)
}

// parsePlatform reads os/arch[/variant]; arm64 gets variant v8, as the
// published images have it.
func parsePlatform(s string) (Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return Platform{}, fmt.Errorf("invalid platform %q (want os/arch[/variant])", s)
	}
	p := Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	if p.Architecture == "arm64" && p.Variant == "" {
		p.Variant = "v8"
	}
	return p, nil
}

// pushBlob sends a blob unless the target has it.
func pushBlob(t Target, digest string, size int64, open opener) error {
	ok, err := t.HasBlob(digest)
	if err != nil || ok {
		return err
	}
	return t.PutBlob(digest, size, open)
}

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// opener opens a blob's content, only when it has to be sent.
type opener func() (io.ReadCloser, error)

func bytesOpener(b []byte) opener {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

func fileOpener(path string) opener {
	return func() (io.ReadCloser, error) { return os.Open(path) }
}
