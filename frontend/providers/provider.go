// Package providers defines what a language provider is: it reads the build
// context once and decides, per target platform, the builder, the steps, the
// artifacts and the runtime flavour. Providers only write plan data; they
// never touch LLB or the gateway client.
package providers

import (
	"context"
	"errors"
	"io/fs"

	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/llb/plan"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// FS is read access to the build context: the local directory for the CLI,
// the solved context for the frontend. Paths are slash-separated and
// relative to the context root. Missing files return an error matching
// fs.ErrNotExist.
type FS interface {
	ReadFile(ctx context.Context, name string) ([]byte, error)
	// Stat reports whether name exists and whether it is a directory.
	Stat(ctx context.Context, name string) (isDir bool, err error)
	// ReadDir lists the entries of a directory.
	ReadDir(ctx context.Context, name string) ([]fs.DirEntry, error)
}

// Exists reports whether name is in the context.
func Exists(ctx context.Context, fsys FS, name string) (bool, error) {
	_, err := fsys.Stat(ctx, name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Request is what a provider plans from.
type Request struct {
	Manifest *manifest.Manifest
	FS       FS
	// Platforms are the target platforms, normalized.
	Platforms []ocispecs.Platform
	// BuildPlatform is where build steps run natively.
	BuildPlatform ocispecs.Platform
}

// Flavours of the distroless runtime, from least to most content.
const (
	Static = "static"
	Base   = "base"
	CC     = "cc"
)

// Build is a provider's decision for one target platform.
type Build struct {
	Builder plan.Image
	// Flavour is the least runtime the artifacts need (static, base, cc),
	// and FlavourReason says why, for errors and the plan.
	Flavour       string
	FlavourReason string
	// FlavourOrigin is the manifest field that forced the flavour.
	FlavourOrigin manifest.Range
	Steps         []plan.Step
	Artifacts     []plan.Artifact
	// Entrypoint is the default command when the manifest names none.
	Entrypoint []string
	// Command, when set, is the image's command as the provider resolved
	// it from the manifest (it overrides Entrypoint and the manifest's
	// entrypoint, which the provider has already mapped).
	Command []string
	// PrependBaseEntrypoint runs Command (or the manifest's entrypoint)
	// after the runtime image's own entrypoint, its interpreter.
	PrependBaseEntrypoint bool
	// Runtime, when set, is the runtime image without its tag (e.g.
	// gcr.io/distroless/python3-debian13, or the manifest's base); the
	// tag follows the user (nonroot or latest) unless the name has one.
	Runtime string
	// Env is added to the image config (NAME=value; ${NAME} expands the
	// base image's value).
	Env []string
	// Name is the app's name (binary name), used for paths and labels.
	Name string
	// Findings are what `--call=check` reports of the project (the same
	// for every platform).
	Findings []check.Finding
}

// Provider plans the build of one language.
type Provider interface {
	Language() string
	// Plan returns one Build per platform of req.Platforms, in order.
	Plan(ctx context.Context, req Request) ([]Build, error)
}

// Origin makes a plan origin from a manifest field.
func Origin(field string, r manifest.Range) plan.Origin {
	return plan.Origin{Field: field, Line: r.Start.Line, EndLine: r.End.Line}
}

// SamePlatform reports whether two normalized platforms are the same.
func SamePlatform(a, b ocispecs.Platform) bool {
	return a.OS == b.OS && a.Architecture == b.Architecture && a.Variant == b.Variant
}

// FormatPlatform writes os/arch[/variant].
func FormatPlatform(p ocispecs.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}
