package main

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// createdBy is every history entry's created_by.
const createdBy = "mkimage (distill lab fixture)"

// Builder makes the layers and assembles the images and the index of a
// Spec.
type Builder struct {
	Layers  *LayerCache
	Created time.Time
}

// Index returns the OCI image index of spec: one OCI image manifest per
// platform, in the spec's order, each with the spec's annotations.
func (b *Builder) Index(spec Spec) (v1.ImageIndex, error) {
	layers, err := b.makeLayers(spec.Platforms)
	if err != nil {
		return nil, err
	}
	adds := make([]mutate.IndexAddendum, len(spec.Platforms))
	for i, ps := range spec.Platforms {
		plat, err := parsePlatform(ps.Platform)
		if err != nil {
			return nil, err
		}
		img, err := b.image(plat, ps, layers[i], spec.Annotations)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", spec.Repository, ps.Platform, err)
		}
		adds[i] = mutate.IndexAddendum{Add: plainImage{img}, Descriptor: v1.Descriptor{MediaType: types.OCIManifestSchema1, Platform: &plat}}
	}
	return mutate.AppendManifests(empty.Index, adds...), nil
}

// plainImage is an image whose descriptor in an index has no artifactType:
// go-containerregistry gives an image's the config's media type, which
// indexes of container images (the published ones the lab mimics, and
// those mkimage wrote before) leave out.
type plainImage struct{ v1.Image }

func (plainImage) ArtifactType() (string, error) { return "", nil }

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

// image is the OCI image of one platform: the spec's config (User, Env,
// Entrypoint, …) with the platform, the layers' diff IDs and one history
// entry per layer, all created at the fixed time.
func (b *Builder) image(plat v1.Platform, ps PlatformSpec, layers []Layer, annotations map[string]string) (v1.Image, error) {
	created := v1.Time{Time: b.Created.UTC()}
	img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{
		Created:      created,
		Architecture: plat.Architecture,
		OS:           plat.OS,
		Variant:      plat.Variant,
		Config:       v1.Config(ps.Config),
		RootFS:       v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{}},
	})
	if err != nil {
		return nil, err
	}
	adds := make([]mutate.Addendum, len(layers))
	for i, l := range layers {
		src := ps.Layers[i]
		comment := src.Comment
		if comment == "" {
			comment = filepath.Base(strings.TrimSuffix(src.Path, "/"))
		}
		layer, err := l.v1Layer()
		if err != nil {
			return nil, err
		}
		adds[i] = mutate.Addendum{
			Layer:     layer,
			MediaType: types.OCILayer,
			History:   v1.History{Created: created, CreatedBy: createdBy, Comment: comment},
		}
	}
	if img, err = mutate.Append(img, adds...); err != nil {
		return nil, err
	}
	img = mutate.ConfigMediaType(mutate.MediaType(img, types.OCIManifestSchema1), types.OCIConfigJSON)
	if len(annotations) > 0 {
		img = mutate.Annotations(img, annotations).(v1.Image)
	}
	return img, nil
}

// parsePlatform reads os/arch[/variant]; arm64 gets variant v8, as the
// published images have it.
func parsePlatform(s string) (v1.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return v1.Platform{}, fmt.Errorf("invalid platform %q (want os/arch[/variant])", s)
	}
	p := v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	if p.Architecture == "arm64" && p.Variant == "" {
		p.Variant = "v8"
	}
	return p, nil
}
