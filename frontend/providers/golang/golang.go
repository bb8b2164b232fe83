// Package golang is the Go provider: modules downloaded in their own cached
// step keyed on go.mod/go.sum, a trimmed static build cross-compiled from
// the build platform, and cgo detected from the sources so that a binary
// that links libc never lands on the static base.
package golang

import (
	"context"
	"errors"
	"fmt"
	"github.com/containerd/platforms"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Paths inside the builder. They are set explicitly in each step's env so
// nothing depends on the builder image's own GOPATH.
const (
	srcDir     = "/src"
	outDir     = "/out"
	modCache   = "/go/pkg/mod"
	buildCache = "/root/.cache/go-build"
)

// CgoOnStaticBase is the Go rule of a cgo binary on a base without libc.
var CgoOnStaticBase = check.Rule{Name: "CgoOnStaticBase", Description: "A binary built with cgo needs a base with a C library"}

// Provider is the Go provider.
type Provider struct{}

var _ providers.Provider = Provider{}

// Language implements providers.Provider.
func (Provider) Language() string { return "go" }

// Ecosystem implements providers.Provider.
func (Provider) Ecosystem() providers.Ecosystem {
	return providers.Ecosystem{
		Fields: map[string]string{
			"version":        "go.mod's toolchain or go line, e.g. \"1.26\"",
			"dependencies":   "go.mod (a module in a subdirectory: its path)",
			"entrypoint":     "default: the built binary, /app/<name>; a bare name is the binary",
			"main":           "the package to build, relative to the module root, e.g. ./cmd/server (default \".\")",
			"cgo":            "build with cgo (needs a base with a C library); default: detected from the sources (import \"C\")",
			"base":           "default: what the binary needs, chosen in the build: static, base for cgo (glibc), cc with C++ (libstdc++/libgcc_s)",
			"build-packages": "C libraries cgo code links, e.g. [libsqlite3-dev]: -dev packages for the target's architecture when cross-compiling; what the binary links is carried into the image",
			"args":           "e.g. {GOPRIVATE: example.com/private, GOFLAGS: -tags=netgo}: GOFLAGS adds to distill's flags",
		},
		Rules:   []check.Rule{CgoOnStaticBase},
		AddEnv:  []string{"GOFLAGS"},
		Helpers: map[string]providers.Helper{"go-build": BuildHelper},
	}
}

var versionRE = regexp.MustCompile(`^1\.[0-9]+(\.[0-9]+)?$`)

// project is what every target platform of a Go app shares.
type project struct {
	req                 providers.Request
	gomod, modDir       string
	gomodRange          manifest.Range
	mod                 goMod
	version             string
	mainPkg, name       string
	vendored            bool
	hasSum              bool
	buildPkgs           []string
	cgo                 bool
	cgoWhy              string
	flavour, flavourWhy string
	flavourRange        manifest.Range
	builder             plan.Image
	depsOrigin          plan.Origin
	buildOrigin         plan.Origin
}

// Prepare implements providers.Provider.
func (Provider) Prepare(ctx context.Context, req providers.Request) (*providers.Project, error) {
	m := req.Manifest
	fail := func(r manifest.Range, hint, format string, args ...any) error {
		return providers.Fail(m, r, hint, format, args...)
	}
	pr := &project{req: req}

	// The dependency file: go.mod, detected at the context root.
	pr.gomod, pr.gomodRange = "go.mod", m.Language.Range
	if m.Dependencies.Set() {
		pr.gomod, pr.gomodRange = path.Clean(m.Dependencies.Value), m.Dependencies.Range
		if path.Base(pr.gomod) != "go.mod" {
			return nil, fail(pr.gomodRange, "name the module's go.mod", "%q is not a Go dependency file", m.Dependencies.Value)
		}
	}
	if err := checkRelative(pr.gomod); err != nil {
		return nil, fail(pr.gomodRange, "use a path inside the build context", "dependencies: %v", err)
	}
	data, err := req.FS.ReadFile(ctx, pr.gomod)
	if errors.Is(err, fs.ErrNotExist) {
		if m.Dependencies.Set() {
			return nil, fail(pr.gomodRange, "check the path and that .dockerignore does not exclude it", "dependency file %q is not in the build context", pr.gomod)
		}
		return nil, fail(pr.gomodRange, "run `go mod init` in the context, or set `dependencies:` to the module's go.mod", "no go.mod at the root of the build context")
	} else if err != nil {
		return nil, fmt.Errorf("reading %s: %w", pr.gomod, err)
	}
	if pr.mod, err = parseGoMod(data); err != nil {
		return nil, fail(pr.gomodRange, "fix go.mod", "%s: %v", pr.gomod, err)
	}
	pr.modDir = path.Dir(pr.gomod)

	pr.version = pr.mod.version()
	versionRange := manifest.Range{}
	if m.Version.Set() {
		pr.version, versionRange = m.Version.Value, m.Version.Range
	}
	if !versionRE.MatchString(pr.version) {
		return nil, fail(versionRange, `write a Go release such as "1.26" or "1.26.8"`, "invalid Go version %q", pr.version)
	}
	if err := pr.mainPackage(ctx); err != nil {
		return nil, err
	}
	if pr.vendored, err = providers.Exists(ctx, req.FS, path.Join(pr.modDir, "vendor/modules.txt")); err != nil {
		return nil, err
	}
	if pr.hasSum, err = providers.Exists(ctx, req.FS, path.Join(pr.modDir, "go.sum")); err != nil {
		return nil, err
	}
	var findings []check.Finding
	if pr.mod.requires && !pr.hasSum && !pr.vendored {
		findings = append(findings, check.Finding{Rule: check.DependenciesWithoutLock, Range: pr.gomodRange,
			Msg:  fmt.Sprintf("%s requires modules but there is no go.sum next to it: their content is not pinned", pr.gomod),
			Hint: "run `go mod tidy` and add go.sum to the context"})
	}
	if pr.buildPkgs, err = providers.BuildPackages(m); err != nil {
		return nil, err
	}
	if err := pr.detectCgo(ctx); err != nil {
		return nil, err
	}
	pr.images()
	return &providers.Project{Findings: findings, Build: pr.build}, nil
}

// mainPackage checks the package to build and names the binary after it.
func (pr *project) mainPackage(ctx context.Context) error {
	m := pr.req.Manifest
	pr.mainPkg = "."
	mainRange := manifest.Range{}
	pr.buildOrigin = providers.Origin("language", m.Language.Range)
	if m.Main.Set() {
		pr.mainPkg, mainRange = m.Main.Value, m.Main.Range
		pr.buildOrigin = providers.Origin("main", m.Main.Range)
	}
	pr.depsOrigin = providers.DependenciesOrigin(m)
	hint := "name a package directory relative to go.mod, e.g. ./cmd/server"
	if err := checkRelative(pr.mainPkg); err != nil {
		return providers.Fail(m, mainRange, hint, "main: %v", err)
	}
	if isDir, err := pr.req.FS.Stat(ctx, path.Join(pr.modDir, pr.mainPkg)); err != nil || !isDir {
		return providers.Fail(m, mainRange, hint, "main package %q is not a directory of the build context", pr.mainPkg)
	}
	pr.name = path.Base(path.Join(pr.mod.path, pr.mainPkg))
	if pr.mainPkg == "." {
		pr.name = path.Base(pr.mod.path)
	}
	return nil
}

// detectCgo decides cgo (the manifest's, else the sources') and the least
// runtime flavour it needs.
func (pr *project) detectCgo(ctx context.Context) error {
	m := pr.req.Manifest
	var err error
	if pr.cgo, pr.cgoWhy, err = detectCgo(ctx, pr.req.FS, pr.modDir); err != nil {
		return err
	}
	pr.flavour, pr.flavourWhy = providers.Static, "pure Go binary (CGO_ENABLED=0)"
	if m.CGO.Set() {
		pr.cgo, pr.cgoWhy = m.CGO.Value, "cgo: "+fmt.Sprint(m.CGO.Value)+" in the manifest"
		pr.flavourRange = m.CGO.Range
	}
	if pr.cgo {
		pr.flavour, pr.flavourWhy = providers.Base, "cgo binary links libc ("+pr.cgoWhy+")"
		if needsCXX(pr.cgoWhy) {
			pr.flavour = providers.CC
		}
	}
	return nil
}

// cgoMode is how the build step decides cgo when the sources do not
// import "C" and the manifest does not ask for cgo: "auto" (a package the
// main package imports turns it on, and the binary chooses the runtime)
// or "off" (cgo: false, or base: static: such a package is an error
// unless it builds without cgo); "" when cgo is decided already.
func (pr *project) cgoMode() string {
	m := pr.req.Manifest
	switch {
	case pr.cgo:
		return ""
	case m.CGO.Set() || (m.Base.Set() && m.Base.Value == providers.Static):
		return "off"
	}
	return "auto"
}

// images picks the builder: the official golang image of the version, on
// the runtimes' Debian release, unless the manifest names one.
func (pr *project) images() {
	m := pr.req.Manifest
	pr.builder = plan.Image{
		Ref: fmt.Sprintf("docker.io/library/golang:%s-%s", pr.version, providers.Suite),
		Facts: plan.Facts{Toolchain: "Go", Version: pr.version, Debian: providers.DebianRelease, Libc: plan.LibcGlibc,
			Why: "the official Go image of the module's version"},
	}
	if m.Builder.Set() {
		pr.builder.Ref = m.Builder.Value
		pr.builder.Facts = plan.Facts{Debian: providers.DebianOf(m.Builder.Value), Why: "builder: in " + m.File}
	}
	pr.builder.Origin = providers.ImageOrigin(m, plan.RoleBuilder)
}

// build plans one target platform.
func (pr *project) build(p ocispecs.Platform) (providers.Build, error) {
	m := pr.req.Manifest
	var cross *providers.CrossToolchain
	emulated := ""
	if pr.cgo && !providers.SamePlatform(p, pr.req.BuildPlatform) {
		// cgo needs a C toolchain for the target: Debian's cross compiler
		// in the builder (same suite, so the same glibc as the runtime),
		// else the target's builder under emulation, for the build step
		// alone (modules are the same everywhere).
		if cross = providers.DebianCross(p, pr.req.BuildPlatform, needsCXX(pr.cgoWhy)); cross == nil {
			emulated = providers.Emulated(p, "no Debian cross compiler for it on "+platforms.Format(pr.req.BuildPlatform))
		}
	}
	env := []string{
		"GOMODCACHE=" + modCache,
		"GOCACHE=" + buildCache,
		"GOTOOLCHAIN=local",
		"GOFLAGS=-buildvcs=false",
	}
	var steps []plan.Step
	// The cross compiler for cgo, and the manifest's build packages (C
	// libraries a package links): with build packages the cross compiler
	// is installed here even when only the build finds out cgo is needed.
	aptCross := cross
	if aptCross == nil && len(pr.buildPkgs) > 0 && pr.cgoMode() == "auto" && !providers.SamePlatform(p, pr.req.BuildPlatform) {
		aptCross = providers.DebianCross(p, pr.req.BuildPlatform, false)
	}
	if pkgs, foreign := providers.BuilderPackages(aptCross, pr.buildPkgs); len(pkgs) > 0 && emulated == "" {
		name, origin := "[go] apt-get install "+strings.Join(pkgs, " "), providers.Origin("language", m.Language.Range)
		if aptCross != nil {
			name += " (cgo cross compiler for " + platforms.Format(p) + ")"
		}
		if m.BuildPackages.Set() {
			origin = providers.Origin("build-packages", m.BuildPackages.Range)
		}
		steps = append(steps, plan.Step{Name: name, Origin: origin, Run: providers.AptInstallForeign(foreign, pkgs)})
	}
	caches := []plan.Cache{{ID: "go-mod", Target: modCache, Sharing: "shared"}}
	if !pr.vendored {
		dl, err := pr.download(env, caches)
		if err != nil {
			return providers.Build{}, err
		}
		steps = append(steps, dl...)
	}
	buildEnv := append(append([]string(nil), env...), crossEnv(p, pr.cgo)...)
	if cross != nil {
		buildEnv = append(buildEnv, cross.Env...)
	}
	bin := path.Join(outDir, pr.name)
	args := []string{"go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, pr.mainPkg}
	stepName := fmt.Sprintf("[go] go build %s", pr.mainPkg)
	mode := pr.cgoMode()
	if mode != "" {
		// Whether a dependency needs cgo is known once the modules are
		// there: the helper finds out and builds accordingly.
		helper := []string{providers.HelperBin, "go-build", "--cgo", mode, "--main", pr.mainPkg}
		if c := providers.DebianCross(p, pr.req.BuildPlatform, false); c != nil && !providers.SamePlatform(p, pr.req.BuildPlatform) && mode == "auto" {
			helper = append(helper, "--cc", strings.TrimPrefix(c.Env[0], "CC="), "--cross-packages", strings.Join(c.Packages, ","))
		}
		args = append(append(helper, "--"), args...)
		stepName += " (cgo if a dependency needs it)"
		if mode == "off" {
			why := "cgo: false"
			if !m.CGO.Set() {
				why = "base: static"
			}
			args = slices.Insert(args, 6, "--why", why)
			stepName = fmt.Sprintf("[go] go build %s (cgo off)", pr.mainPkg)
		}
	}
	switch {
	case cross != nil:
		stepName += " (cgo, cross-compiled for " + platforms.Format(p) + ")"
	case emulated != "":
		stepName += emulated
	}
	buildOrigin := pr.buildOrigin
	switch {
	case mode == "off" && m.CGO.Set():
		buildOrigin = providers.Origin("cgo", m.CGO.Range)
	case mode == "off":
		buildOrigin = providers.Origin("base", m.Base.Range)
	}
	build := plan.Step{Name: stepName, Origin: buildOrigin, Run: &plan.Run{
		Args: args, Dir: path.Join(srcDir, pr.modDir), Env: buildEnv,
		Caches:  append(caches, plan.Cache{ID: "go-build", Target: buildCache, Sharing: "shared"}),
		Network: !pr.vendored || mode == "auto",
	}}
	if mode != "" {
		build.Run.Mounts = []plan.Mount{{From: plan.MountFrontend, Target: providers.HelperMount}}
	}
	if emulated != "" {
		builder := pr.builder
		builder.Platform = platforms.Format(p)
		build.Run.Emulated = &plan.Emulated{Builder: builder, Dirs: []string{srcDir, outDir}}
		if len(pr.buildPkgs) > 0 {
			build.Run.Emulated.Setup = []plan.Step{{Name: "[go] apt-get install " + strings.Join(pr.buildPkgs, " ") + emulated,
				Origin: providers.Origin("build-packages", m.BuildPackages.Range), Run: providers.AptInstallForeign("", pr.buildPkgs)}}
		}
	}
	steps = append(steps, plan.Step{Name: "[go] copy sources", Origin: pr.buildOrigin, Copy: &plan.Copy{Dest: srcDir}}, build)
	builder := pr.builder
	builder.Platform = platforms.Format(pr.req.BuildPlatform)
	b := providers.Build{
		Builder:       builder,
		Flavour:       pr.flavour,
		FlavourReason: pr.flavourWhy,
		FlavourHint:   "set cgo: false if the code builds without cgo",
		Steps:         steps,
		Artifacts: []plan.Artifact{{
			From: plan.FromBuilder, Src: bin, Dest: path.Join(providers.AppDir, pr.name), Origin: pr.buildOrigin,
		}},
		Entrypoint: []string{path.Join(providers.AppDir, pr.name)},
		Name:       pr.name,
	}
	if mode != "off" {
		// Unless cgo is off, the binary decides the runtime (static,
		// base, cc), and the shared libraries its C code links (the
		// module's or a dependency's) that the runtime lacks are carried
		// with their Debian records.
		if mode == "auto" {
			b.FlavourReason = "a pure Go binary unless a package it imports needs cgo (the build finds out)"
		}
		b.Choose = &providers.Choose{After: len(steps), Scan: outDir, Libraries: providers.Sysroot}
		libs := plan.Step{Name: "[go] carry the shared libraries the binary needs", Origin: pr.buildOrigin, Run: &plan.Run{
			Args:   []string{providers.HelperBin, "libs", "--runtime", providers.RuntimeMount, "--out", providers.Sysroot, "--scan", outDir, "--arch", p.Architecture},
			Dir:    "/",
			Mounts: providers.HelperMounts(),
		}}
		if emulated != "" {
			// The libraries are the target's, in the target's builder.
			target := pr.builder
			target.Platform = platforms.Format(p)
			libs = providers.InTarget(libs, target, emulated, "", nil, outDir)
		}
		b.Steps = append(b.Steps, libs)
		b.Artifacts = append([]plan.Artifact{{From: plan.FromBuilder, Src: providers.Sysroot, Dest: "/", Layer: "libraries", Origin: pr.depsOrigin}}, b.Artifacts...)
	}
	if pr.cgo {
		origin := providers.Origin("language", m.Language.Range)
		if pr.flavourRange.Known() {
			origin = providers.Origin("cgo", pr.flavourRange)
		}
		b.Needs = &plan.Needs{Libc: plan.LibcGlibc, Why: pr.flavourWhy, Rule: CgoOnStaticBase.Name, Origin: origin}
	}
	return b, nil
}

// download copies go.mod and go.sum (and the go.mod of every local
// replacement) and downloads the modules, in steps only they invalidate.
func (pr *project) download(env []string, caches []plan.Cache) ([]plan.Step, error) {
	files := []string{pr.gomod}
	if pr.hasSum {
		files = append(files, path.Join(pr.modDir, "go.sum"))
	}
	// Local replacements are part of the module graph: copy their go.mod
	// files to where go expects them.
	for _, r := range pr.mod.localReplaces {
		rp := path.Join(pr.modDir, r, "go.mod")
		if checkRelative(rp) != nil {
			return nil, providers.Fail(pr.req.Manifest, pr.gomodRange, "keep replaced modules inside the build context", "go.mod replaces a module with %s, outside the build context", r)
		}
		files = append(files, rp)
	}
	return []plan.Step{
		{Name: "[go] copy go.mod and go.sum", Origin: pr.depsOrigin, Copy: &plan.Copy{Paths: files, Dest: srcDir}},
		{Name: "[go] go mod download", Origin: pr.depsOrigin, Run: &plan.Run{
			Args: []string{"go", "mod", "download", "-x"}, Dir: path.Join(srcDir, pr.modDir),
			Env: append(slices.Clone(env), "NETRC=/root/.netrc"), Caches: caches, Network: true, Secrets: moduleSecrets(), SSH: true,
		}},
	}, nil
}

// moduleSecrets are what the module download may use for private
// modules (GOPRIVATE, declared under args:): a netrc for a private
// GOPROXY or git over https, and, with --ssh default, the client's SSH
// agent for git over ssh. All optional, none in a layer.
func moduleSecrets() []plan.Secret {
	return []plan.Secret{{ID: "netrc", Target: "/root/.netrc"}}
}

// crossEnv selects the target platform for the Go toolchain.
func crossEnv(p ocispecs.Platform, cgo bool) []string {
	env := []string{"GOOS=" + p.OS, "GOARCH=" + p.Architecture, "CGO_ENABLED=0"}
	if cgo {
		env[2] = "CGO_ENABLED=1"
	}
	switch {
	case p.Architecture == "arm" && p.Variant != "":
		env = append(env, "GOARM="+strings.TrimPrefix(p.Variant, "v"))
	case p.Architecture == "amd64" && p.Variant != "" && p.Variant != "v1":
		env = append(env, "GOAMD64="+p.Variant)
	}
	return env
}

func checkRelative(p string) error {
	if path.IsAbs(p) || p == ".." || strings.HasPrefix(path.Clean(p), "../") {
		return fmt.Errorf("%q leaves the build context", p)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
