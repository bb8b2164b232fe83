package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
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
	MediaType string    `json:"mediaType"`
	Digest    string    `json:"digest"`
	Size      int64     `json:"size"`
	Platform  *Platform `json:"platform,omitempty"`
}

// Manifest is an OCI image manifest.
type Manifest struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Config        Descriptor   `json:"config"`
	Layers        []Descriptor `json:"layers"`
}

// Index is an OCI image index.
type Index struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Manifests     []Descriptor `json:"manifests"`
}

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// parsePlatform reads os/arch[/variant]; arm64 gets variant v8 as the
// published images have it.
func parsePlatform(s string) (Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return Platform{}, fmt.Errorf("invalid platform %q", s)
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

// buildPlatform makes and pushes the layers, config and manifest of one
// platform, returning the manifest's descriptor for the index.
func buildPlatform(r *Registry, cache string, ps PlatformSpec) (Descriptor, error) {
	plat, err := parsePlatform(ps.Platform)
	if err != nil {
		return Descriptor{}, err
	}
	var layers []Descriptor
	var diffIDs []string
	for _, src := range ps.Layers {
		l, err := makeLayer(src, cache)
		if err != nil {
			return Descriptor{}, fmt.Errorf("layer %s: %w", src, err)
		}
		if err := r.PushBlobFile(l.Digest, l.Path); err != nil {
			return Descriptor{}, err
		}
		layers = append(layers, Descriptor{MediaType: MediaTypeLayerGz, Digest: l.Digest, Size: l.Size})
		diffIDs = append(diffIDs, l.DiffID)
	}
	var cfg map[string]any
	if len(ps.Config) > 0 {
		if err := json.Unmarshal(ps.Config, &cfg); err != nil {
			return Descriptor{}, fmt.Errorf("config: %w", err)
		}
	}
	history := make([]map[string]any, len(diffIDs))
	for i := range history {
		history[i] = map[string]any{"created": "1970-01-01T00:00:00Z", "created_by": "distill lab fixture: " + ps.Layers[i][strings.LastIndex(strings.TrimSuffix(ps.Layers[i], "/"), "/")+1:]}
	}
	img := map[string]any{
		"created":      "1970-01-01T00:00:00Z",
		"architecture": plat.Architecture,
		"os":           plat.OS,
		"config":       cfg,
		"rootfs":       map[string]any{"type": "layers", "diff_ids": diffIDs},
		"history":      history,
	}
	if plat.Variant != "" {
		img["variant"] = plat.Variant
	}
	cfgJSON, err := json.Marshal(img)
	if err != nil {
		return Descriptor{}, err
	}
	cfgDesc := Descriptor{MediaType: MediaTypeConfig, Digest: digestOf(cfgJSON), Size: int64(len(cfgJSON))}
	if err := r.PushBlob(cfgDesc.Digest, bytes.NewReader(cfgJSON), cfgDesc.Size); err != nil {
		return Descriptor{}, err
	}
	man, err := json.Marshal(Manifest{SchemaVersion: 2, MediaType: MediaTypeManifest, Config: cfgDesc, Layers: layers})
	if err != nil {
		return Descriptor{}, err
	}
	d := digestOf(man)
	if err := r.PutManifest(d, MediaTypeManifest, man); err != nil {
		return Descriptor{}, err
	}
	return Descriptor{MediaType: MediaTypeManifest, Digest: d, Size: int64(len(man)), Platform: &plat}, nil
}
