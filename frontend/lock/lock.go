// Package lock reads and writes distill.lock: the digests of every base
// and builder image a manifest builds on, as the registry resolved their
// tags when `distill lock` ran. The frontend pins the plan's images to
// them by default, so a tag that moves does not change the build;
// `--call=check` reports the tags that have moved since (LockDrift).
package lock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/decode"
	"github.com/distill-build/distill/llb/plan"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// Version of the lock format.
const Version = 1

// File is a distill.lock.
type File struct {
	Version int     `json:"version"`
	Images  []Image `json:"images"`
	// Packages are the Debian packages runtime-packages installs, per
	// target platform.
	Packages []Packages `json:"packages,omitempty"`
}

// Image is one locked image reference.
type Image struct {
	// Ref is the reference as the plan names it (a tag).
	Ref string `json:"ref"`
	// Digest is what the tag resolved to: the image index (or the
	// manifest of a single-platform image).
	Digest string `json:"digest"`
	// Platforms maps each platform the build uses the image for to the
	// digest of its image config (the image ID).
	Platforms map[string]string `json:"platforms"`
}

// Name is the lock file of a manifest: distill.yaml → distill.lock,
// api.distill.yaml → api.distill.lock, in the same directory.
func Name(manifestFile string) string {
	dir, base := path.Split(manifestFile)
	for _, ext := range []string{".yaml", ".yml"} {
		if b, ok := strings.CutSuffix(base, ext); ok {
			return dir + b + ".lock"
		}
	}
	return dir + base + ".lock"
}

// Parse reads a lock file; file names it in errors.
func Parse(file string, data []byte) (*File, error) {
	var f File
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %v (regenerate it with `distill lock`)", file, decode.Explain(err, data))
	}
	if f.Version != Version {
		return nil, fmt.Errorf("%s: version %d is not supported, want %d (regenerate it with `distill lock`)", file, f.Version, Version)
	}
	for _, ps := range f.Packages {
		if err := ps.validate(); err != nil {
			return nil, fmt.Errorf("%s: packages for %s: %v (regenerate it with `distill lock`)", file, ps.Platform, err)
		}
	}
	for _, im := range f.Images {
		if _, err := digest.Parse(im.Digest); err != nil {
			return nil, fmt.Errorf("%s: %s: invalid digest %q (regenerate it with `distill lock`)", file, im.Ref, im.Digest)
		}
		for p, d := range im.Platforms {
			if _, err := digest.Parse(d); err != nil {
				return nil, fmt.Errorf("%s: %s for %s: invalid digest %q (regenerate it with `distill lock`)", file, im.Ref, p, d)
			}
		}
	}
	return &f, nil
}

// Marshal writes the lock deterministically: images sorted by ref.
func (f *File) Marshal() []byte {
	c := File{Version: Version, Images: slices.Clone(f.Images), Packages: slices.Clone(f.Packages)}
	slices.SortFunc(c.Images, func(a, b Image) int { return strings.Compare(a.Ref, b.Ref) })
	slices.SortFunc(c.Packages, func(a, b Packages) int { return strings.Compare(a.Platform, b.Platform) })
	out, _ := json.MarshalIndent(c, "", "  ")
	return append(out, '\n')
}

// normalize makes refs comparable: docker.io/library/debian:13 and
// debian:13 are the same image.
func normalize(ref string) string {
	n, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ref
	}
	return reference.TagNameOnly(n).String()
}

// Find returns the lock's entry for ref.
func (f *File) Find(ref string) (Image, bool) {
	if f == nil {
		return Image{}, false
	}
	want := normalize(ref)
	for _, im := range f.Images {
		if normalize(im.Ref) == want {
			return im, true
		}
	}
	return Image{}, false
}

// Pins reports whether the lock pins ref for platform.
func (f *File) Pins(ref, platform string) bool {
	im, ok := f.Find(ref)
	if !ok {
		return false
	}
	_, ok = im.Platforms[platform]
	return ok
}

// Apply pins the plan's images to the lock: each image the lock has gets
// its digest and, for a locked platform, its config digest, which the
// compiler checks. Images already pinned in the manifest are left alone.
func (f *File) Apply(p *plan.Plan) {
	pin := func(im *plan.Image) {
		if strings.Contains(im.Ref, "@") {
			return
		}
		if e, ok := f.Find(im.Ref); ok {
			im.Digest = e.Digest
			im.Config = e.Platforms[im.Platform]
		}
	}
	for i := range p.Targets {
		for _, u := range p.Targets[i].Images() {
			pin(u.Image)
		}
	}
}

// Images lists the distinct (ref, platform) pairs of a plan: what a lock
// of it must resolve.
func Images(p *plan.Plan) []plan.Image {
	var out []plan.Image
	add := func(im plan.Image) {
		if strings.Contains(im.Ref, "@") {
			return
		}
		im.Digest, im.Config = "", ""
		if !slices.Contains(out, im) {
			out = append(out, im)
		}
	}
	for i := range p.Targets {
		for _, u := range p.Targets[i].Images() {
			add(*u.Image)
		}
	}
	return out
}
