// Package providers defines what a language provider is: it reads the build
// context once and decides, per target platform, the builder, the steps, the
// artifacts and the runtime, with what it knows of each image as typed
// facts. It also holds what every language shares (the Debian release, the
// app directory, the helper mounts, errors at manifest lines, the
// per-platform loop). Providers only write plan data; they never touch LLB
// or the gateway client.
package providers

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

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

// Provider plans the build of one language. Adding a language is writing
// one: see docs/architecture.md.
type Provider interface {
	// Language is the manifest's `language:` value it answers.
	Language() string
	// Ecosystem is what the language contributes besides plans.
	Ecosystem() Ecosystem
	// Prepare reads the build context once and works out what every
	// target platform shares (dependency file, versions, images).
	Prepare(ctx context.Context, req Request) (*Project, error)
}

// Detector is a provider that recognizes its apps by their files, so a
// manifest may leave `language:` out.
type Detector interface {
	// Detect is the file of dir (a directory of the context fsys reads)
	// that makes it an app of the language, "" when none does.
	Detect(ctx context.Context, fsys FS, dir string) (string, error)
}

// DetectFiles is the first of files that dir has ("" for none): the
// detection of most languages. A context read on demand reads them in
// one round trip.
func DetectFiles(ctx context.Context, fsys FS, dir string, files ...string) (string, error) {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = path.Join(dir, f)
	}
	if pf, ok := fsys.(Prefetcher); ok {
		if err := pf.Prefetch(ctx, names); err != nil {
			return "", err
		}
	}
	for i, n := range names {
		ok, err := Exists(ctx, fsys, n)
		if err != nil {
			return "", err
		}
		if ok {
			return files[i], nil
		}
	}
	return "", nil
}

// Project is an app a provider prepared: what check reports of it, and
// the plan of each target platform.
type Project struct {
	// Findings are what `--call=check` reports of the project (the same
	// for every platform).
	Findings []check.Finding
	// Build plans one target platform.
	Build func(p ocispecs.Platform) (Build, error)
}

// Ecosystem is a language's knowledge that the rest of distill asks for.
type Ecosystem struct {
	// Fields says what manifest fields mean for the language (field →
	// text, for the schema and the docs). A field the manifest marks as
	// language-specific is an error for a language that does not list it.
	Fields map[string]string
	// Rules are the check rules only this language reports (findings and
	// errors carry them); `--call=check` and the check directive know
	// them with the language-neutral ones.
	Rules []check.Rule
	// CAEnv are the variables the language's tools read for a CA bundle:
	// every step that downloads gets them pointed at the ca-bundle secret.
	CAEnv []string
	// AddEnv are step variables whose declared build arg adds to the
	// provider's value (flags) instead of replacing it.
	AddEnv []string
	// Helpers are the frontend binary's subcommands the language's build
	// steps run (mounted at HelperMount), by name.
	Helpers map[string]Helper
	// Workspace, when set, is how the language finds a workspace declared
	// above the manifest's directory (see Workspace).
	Workspace *Workspace
}

// Helper is a subcommand of the frontend binary run inside a build step;
// it returns the exit code.
type Helper = func(args []string, stdout, stderr io.Writer) int

// Request is what a provider plans from.
type Request struct {
	Manifest *manifest.Manifest
	FS       FS
	// Platforms are the target platforms, normalized.
	Platforms []ocispecs.Platform
	// BuildPlatform is where build steps run natively.
	BuildPlatform ocispecs.Platform
	// Args are the build args the manifest declares (args:), with the
	// client's --build-arg values over their defaults.
	Args map[string]string
}

// Flavours of the distroless runtime, from least to most content.
const (
	Static = "static"
	Base   = "base"
	CC     = "cc"
)

// Build is a provider's decision for one target platform.
type Build struct {
	// Builder is the image the steps run in, with its origin and facts.
	Builder plan.Image
	// Flavour is the least runtime the artifacts need (static, base, cc),
	// and FlavourReason says why, for errors and the plan.
	Flavour       string
	FlavourReason string
	// FlavourHint says how the app could do with less, for the error of
	// a smaller base.
	FlavourHint string
	// Needs is what the artifacts need of any runtime (a C library), for
	// the check of a base the manifest names.
	Needs *plan.Needs
	Steps []plan.Step
	// Artifacts are copied onto the runtime, one layer per Layer group.
	Artifacts []plan.Artifact
	// Entrypoint is the default command when the manifest names none.
	Entrypoint []string
	// Command, when set, is the image's command as the provider resolved
	// it from the manifest (it overrides Entrypoint and the manifest's
	// entrypoint, which the provider has already mapped).
	Command []string
	// Script is the context file the command's interpreter runs, when it
	// reaches the image unchanged.
	Script *plan.ContextFile
	// PrependBaseEntrypoint runs Command (or the manifest's entrypoint)
	// after the runtime image's own entrypoint, its interpreter.
	PrependBaseEntrypoint bool
	// Runtime, when set, is the runtime image the provider chose (and
	// checked), base included: its Ref without a tag for a distroless
	// image (the tag follows the user: nonroot or latest), with its
	// facts. Else the runtime is the distroless image of Flavour, or the
	// manifest's base.
	Runtime *plan.Image
	// Env is added to the image config (NAME=value; ${NAME} expands the
	// base image's value).
	Env []string
	// WorkDir is the image's working directory relative to the app
	// directory: a workspace member's, when the provider keeps the
	// workspace's layout under it ("": the app directory).
	WorkDir string
	// Name is the app's name (binary name), used for paths and labels.
	Name string
	// Choose, when set and the manifest names no base, lets the built
	// binaries decide the runtime: a step after Steps[:Choose.After]
	// picks the least distroless image (static, base, cc) that has every
	// shared library the ELF objects under Choose.Scan need (of those any
	// of them has), and the steps after it mount that runtime. Flavour is
	// the prediction until then, for the plan.
	Choose *Choose
}

// Choose is where, in a provider's steps, its binaries are built.
type Choose struct {
	After int
	Scan  string
	// Libraries is the directory a later step fills with the shared
	// libraries carried for the runtime (an artifact's Src): there is
	// nothing to carry, and it is not copied, when the choice is static.
	Libraries string
}

// Plan prepares the project and plans every target platform of req, in
// order: the per-platform loop of every provider. With no platforms (the
// manifest's are wrong), it only prepares, for Prepare's errors.
func Plan(ctx context.Context, p Provider, req Request) ([]Build, []check.Finding, error) {
	proj, err := p.Prepare(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	builds := make([]Build, 0, len(req.Platforms))
	var errs manifest.Errs
	for _, pl := range req.Platforms {
		// Every platform is planned: one may fail where another does
		// not (the same mistake on each is reported once).
		b, err := proj.Build(pl)
		if errs.Add(err) {
			continue
		}
		if b.Builder.Origin == (plan.Origin{}) {
			b.Builder.Origin = ImageOrigin(req.Manifest, plan.RoleBuilder)
		}
		builds = append(builds, b)
	}
	if err := errs.Err(); err != nil {
		return nil, nil, err
	}
	return builds, proj.Findings, nil
}

// Suggester is a provider that suggests what `distill init` writes
// besides the language: the command a framework's convention runs, the
// port the app listens on.
type Suggester interface {
	// Suggest reads the app in dir (a directory of the context fsys
	// reads).
	Suggest(ctx context.Context, fsys FS, dir string) (Suggestion, error)
}

// Suggestion is what a provider found for `distill init`; each part
// says why, for the manifest's comments.
type Suggestion struct {
	// Main is the manifest's main: (the package, module or binary to
	// build) when the app's files tell it.
	Main, MainWhy string
	Entrypoint    []string
	EntrypointWhy string
	Port          int
	PortWhy       string
	// BuildPackages are Debian packages the dependencies compile against
	// (a library's headers), for dependencies known to build from source.
	BuildPackages    []string
	BuildPackagesWhy string
}

// NativeDep is a dependency known to compile against a system library
// when installed, and the Debian packages its build needs.
type NativeDep struct {
	Name     string
	Packages []string
}

// SuggestBuildPackages sets s's build packages for the deps that has
// (the dependency names the app's files list), in the table's order.
func (s *Suggestion) SuggestBuildPackages(table []NativeDep, has func(name string) bool) {
	var names []string
	for _, d := range table {
		if !has(d.Name) {
			continue
		}
		names = append(names, d.Name)
		for _, p := range d.Packages {
			if !slices.Contains(s.BuildPackages, p) {
				s.BuildPackages = append(s.BuildPackages, p)
			}
		}
	}
	if len(names) > 0 {
		s.BuildPackagesWhy = "to build " + strings.Join(names, ", ") + " from source"
	}
}
