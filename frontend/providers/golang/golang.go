// Package golang is the Go provider: modules downloaded in their own cached
// step keyed on go.mod/go.sum, a trimmed static build cross-compiled from
// the build platform, and cgo detected from the sources so that a binary
// that links libc never lands on the static base.
package golang

import (
	"context"
	"errors"
	"fmt"
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

// Suite is the Debian suite builders and runtimes share.
const Suite = "trixie"

// Paths inside the builder. They are set explicitly in each step's env so
// nothing depends on the builder image's own GOPATH.
const (
	srcDir     = "/src"
	outDir     = "/out"
	modCache   = "/go/pkg/mod"
	buildCache = "/root/.cache/go-build"
	appDir     = "/app"
)

// Provider is the Go provider.
type Provider struct{}

var _ providers.Provider = Provider{}

// Language implements providers.Provider.
func (Provider) Language() string { return "go" }

var versionRE = regexp.MustCompile(`^1\.[0-9]+(\.[0-9]+)?$`)

// Plan implements providers.Provider.
func (Provider) Plan(ctx context.Context, req providers.Request) ([]providers.Build, error) {
	m := req.Manifest
	fail := func(r manifest.Range, hint, format string, args ...any) error {
		return &manifest.Error{File: m.File, Range: r, Msg: fmt.Sprintf(format, args...), Hint: hint}
	}

	// The dependency file: go.mod, detected at the context root.
	gomod, gomodRange := "go.mod", m.Language.Range
	if m.Dependencies.Set() {
		gomod, gomodRange = path.Clean(m.Dependencies.Value), m.Dependencies.Range
		if path.Base(gomod) != "go.mod" {
			return nil, fail(gomodRange, "name the module's go.mod", "%q is not a Go dependency file", m.Dependencies.Value)
		}
	}
	if err := checkRelative(gomod); err != nil {
		return nil, fail(gomodRange, "use a path inside the build context", "dependencies: %v", err)
	}
	data, err := req.FS.ReadFile(ctx, gomod)
	if errors.Is(err, fs.ErrNotExist) {
		if m.Dependencies.Set() {
			return nil, fail(gomodRange, "check the path and that .dockerignore does not exclude it", "dependency file %q is not in the build context", gomod)
		}
		return nil, fail(gomodRange, "run `go mod init` in the context, or set `dependencies:` to the module's go.mod", "no go.mod at the root of the build context")
	} else if err != nil {
		return nil, fmt.Errorf("reading %s: %w", gomod, err)
	}
	mod, err := parseGoMod(data)
	if err != nil {
		return nil, fail(gomodRange, "fix go.mod", "%s: %v", gomod, err)
	}
	modDir := path.Dir(gomod)

	version := mod.version()
	versionRange := manifest.Range{}
	if m.Version.Set() {
		version, versionRange = m.Version.Value, m.Version.Range
	}
	if !versionRE.MatchString(version) {
		return nil, fail(versionRange, `write a Go release such as "1.26" or "1.26.8"`, "invalid Go version %q", version)
	}

	mainPkg := "."
	mainRange := manifest.Range{}
	if m.Main.Set() {
		mainPkg, mainRange = m.Main.Value, m.Main.Range
	}
	mainDir := path.Join(modDir, mainPkg)
	if err := checkRelative(mainPkg); err != nil {
		return nil, fail(mainRange, "name a package directory relative to go.mod, e.g. ./cmd/server", "main: %v", err)
	}
	if isDir, err := req.FS.Stat(ctx, mainDir); err != nil || !isDir {
		return nil, fail(mainRange, "name a package directory relative to go.mod, e.g. ./cmd/server", "main package %q is not a directory of the build context", mainPkg)
	}
	name := path.Base(path.Join(mod.path, mainPkg))
	if mainPkg == "." {
		name = path.Base(mod.path)
	}

	vendored, err := providers.Exists(ctx, req.FS, path.Join(modDir, "vendor/modules.txt"))
	if err != nil {
		return nil, err
	}
	hasSum, err := providers.Exists(ctx, req.FS, path.Join(modDir, "go.sum"))
	if err != nil {
		return nil, err
	}

	var findings []check.Finding
	if mod.requires && !hasSum && !vendored {
		findings = append(findings, check.Finding{Rule: check.DependenciesWithoutLock, Range: gomodRange,
			Msg:  fmt.Sprintf("%s requires modules but there is no go.sum next to it: their content is not pinned", gomod),
			Hint: "run `go mod tidy` and add go.sum to the context"})
	}

	cgo, cgoWhy, err := detectCgo(ctx, req.FS, modDir)
	if err != nil {
		return nil, err
	}
	flavour, flavourWhy, flavourRange := providers.Static, "pure Go binary (CGO_ENABLED=0)", manifest.Range{}
	if m.CGO.Set() {
		cgo, cgoWhy = m.CGO.Value, "cgo: "+fmt.Sprint(m.CGO.Value)+" in the manifest"
		flavourRange = m.CGO.Range
	}
	if cgo {
		flavour, flavourWhy = providers.Base, "cgo binary links libc ("+cgoWhy+")"
		if needsCXX(cgoWhy) {
			flavour = providers.CC
		}
	}

	builderRef := fmt.Sprintf("docker.io/library/golang:%s-%s", version, Suite)
	if m.Builder.Set() {
		builderRef = m.Builder.Value
	}

	langOrigin := providers.Origin("language", m.Language.Range)
	depsOrigin := langOrigin
	if m.Dependencies.Set() {
		depsOrigin = providers.Origin("dependencies", m.Dependencies.Range)
	}
	buildOrigin := langOrigin
	if m.Main.Set() {
		buildOrigin = providers.Origin("main", m.Main.Range)
	}

	var builds []providers.Build
	for _, p := range req.Platforms {
		var cross *crossToolchain
		emulated := ""
		if cgo && !providers.SamePlatform(p, req.BuildPlatform) {
			// cgo needs a C toolchain for the target: Debian's cross
			// compiler in the builder (same suite, so the same glibc as
			// the runtime), else the target's builder under emulation, for
			// the build step alone (modules are the same everywhere).
			if cross = debianCross(p, req.BuildPlatform, needsCXX(cgoWhy)); cross == nil {
				emulated = providers.Emulated(p, "no Debian cross compiler for it on "+providers.FormatPlatform(req.BuildPlatform))
			}
		}
		env := []string{
			"GOMODCACHE=" + modCache,
			"GOCACHE=" + buildCache,
			"GOTOOLCHAIN=local",
			"GOFLAGS=-buildvcs=false",
		}
		var steps []plan.Step
		if cross != nil {
			steps = append(steps, plan.Step{Name: "[go] apt-get install " + strings.Join(cross.packages, " ") + " (cgo cross compiler for " + providers.FormatPlatform(p) + ")",
				Origin: langOrigin, Run: ptr(providers.AptInstall(cross.packages))})
		}
		caches := []plan.Cache{{ID: "go-mod", Target: modCache, Sharing: "shared"}}
		if !vendored {
			files := []string{gomod}
			if hasSum {
				files = append(files, path.Join(modDir, "go.sum"))
			}
			// Local replacements are part of the module graph: copy
			// their go.mod files to where go expects them.
			for _, r := range mod.localReplaces {
				rp := path.Join(modDir, r, "go.mod")
				if checkRelative(rp) != nil {
					return nil, fail(gomodRange, "keep replaced modules inside the build context", "go.mod replaces a module with %s, outside the build context", r)
				}
				files = append(files, rp)
			}
			steps = append(steps,
				plan.Step{Name: "[go] copy go.mod and go.sum", Origin: depsOrigin, Copy: &plan.Copy{Paths: files, Dest: srcDir}},
				plan.Step{Name: "[go] go mod download", Origin: depsOrigin, Run: &plan.Run{
					Args: []string{"go", "mod", "download", "-x"}, Dir: path.Join(srcDir, modDir),
					Env: append(slices.Clone(env), "NETRC=/root/.netrc"), Caches: caches, Network: true, Secrets: moduleSecrets(), SSH: true,
				}},
			)
		}
		buildEnv := append(append([]string(nil), env...), crossEnv(p, cgo)...)
		if cross != nil {
			buildEnv = append(buildEnv, cross.env...)
		}
		bin := path.Join(outDir, name)
		args := []string{"go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, mainPkg}
		stepName := fmt.Sprintf("[go] go build %s", mainPkg)
		switch {
		case cross != nil:
			stepName += " (cgo, cross-compiled for " + providers.FormatPlatform(p) + ")"
		case emulated != "":
			stepName += emulated
		}
		build := plan.Step{Name: stepName, Origin: buildOrigin, Run: &plan.Run{
			Args: args, Dir: path.Join(srcDir, modDir), Env: buildEnv,
			Caches:  append(caches, plan.Cache{ID: "go-build", Target: buildCache, Sharing: "shared"}),
			Network: !vendored,
		}}
		if emulated != "" {
			build.Run.Emulated = &plan.Emulated{
				Builder: plan.Image{Ref: builderRef, Platform: providers.FormatPlatform(p)},
				Dirs:    []string{srcDir, outDir},
			}
		}
		steps = append(steps, plan.Step{Name: "[go] copy sources", Origin: buildOrigin, Copy: &plan.Copy{Dest: srcDir}}, build)
		builds = append(builds, providers.Build{
			Builder:       plan.Image{Ref: builderRef, Platform: providers.FormatPlatform(req.BuildPlatform)},
			Flavour:       flavour,
			FlavourReason: flavourWhy,
			FlavourOrigin: flavourRange,
			Steps:         steps,
			Artifacts: []plan.Artifact{{
				From: plan.FromBuilder, Src: bin, Dest: path.Join(appDir, name), Origin: buildOrigin,
			}},
			Entrypoint: []string{path.Join(appDir, name)},
			Name:       name,
			Findings:   findings,
		})
	}
	return builds, nil
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

// crossToolchain is Debian's C cross compiler for a target: the packages
// to install in the builder and the environment cgo uses them through.
type crossToolchain struct {
	packages []string
	env      []string
}

// debianTriples are Debian's GNU triples and cross package suffixes per
// target architecture (variant for arm).
var debianTriples = map[string]struct{ triple, arch string }{
	"amd64":   {"x86_64-linux-gnu", "amd64"},
	"arm64":   {"aarch64-linux-gnu", "arm64"},
	"arm/v7":  {"arm-linux-gnueabihf", "armhf"},
	"arm/v6":  {"arm-linux-gnueabi", "armel"},
	"386":     {"i686-linux-gnu", "i386"},
	"ppc64le": {"powerpc64le-linux-gnu", "ppc64el"},
	"s390x":   {"s390x-linux-gnu", "s390x"},
	"riscv64": {"riscv64-linux-gnu", "riscv64"},
}

// debianCross is the cross toolchain for target on a build platform that
// Debian ships cross compilers for (amd64 and arm64), or nil.
func debianCross(target, build ocispecs.Platform, cxx bool) *crossToolchain {
	if build.OS != "linux" || (build.Architecture != "amd64" && build.Architecture != "arm64") {
		return nil
	}
	key := target.Architecture
	if key == "arm" {
		key += "/" + target.Variant
	}
	t, ok := debianTriples[key]
	if !ok {
		return nil
	}
	// The package names spell the triple with dashes (gcc-x86-64-linux-gnu).
	pkgTriple := strings.ReplaceAll(t.triple, "_", "-")
	c := &crossToolchain{
		packages: []string{"gcc-" + pkgTriple, "libc6-dev-" + t.arch + "-cross"},
		env:      []string{"CC=" + t.triple + "-gcc"},
	}
	if cxx {
		c.packages = append(c.packages, "g++-"+pkgTriple)
		c.env = append(c.env, "CXX="+t.triple+"-g++")
	}
	return c
}

func ptr[T any](v T) *T { return &v }
