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
	"os"
	"path"
	"regexp"
	"strings"

	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
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

// Detect implements providers.Detector.
func (Provider) Detect(ctx context.Context, fsys providers.FS, dir string) (string, error) {
	return providers.DetectFiles(ctx, fsys, dir, "go.mod")
}

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
			"ldflags":        "added to distill's -s -w, e.g. \"-X main.version=${VERSION}\" to stamp the version; ${NAME} is the value of a build arg declared under args:",
		},
		Rules:     []check.Rule{CgoOnStaticBase},
		AddEnv:    []string{"GOFLAGS"},
		Helpers:   map[string]providers.Helper{"go-build": BuildHelper},
		Workspace: workspace,
	}
}

var versionRE = regexp.MustCompile(`^1\.[0-9]+(\.[0-9]+)?$`)

// project is what every target platform of a Go app shares.
type project struct {
	req           providers.Request
	gomod, modDir string
	gomodRange    manifest.Range
	mod           goMod
	version       string
	// ldflags is go build's -ldflags value (linkerFlags).
	ldflags       string
	mainPkg, name string
	vendored      bool
	// vendorListOnly: vendor/modules.txt without the packages (a
	// module's zip); the build downloads with -mod=mod.
	vendorListOnly      bool
	hasSum              bool
	buildPkgs           []string
	cgo                 bool
	cgoWhy              string
	flavour, flavourWhy string
	flavourRange        manifest.Range
	builder             plan.Image
	depsOrigin          plan.Origin
	buildOrigin         plan.Origin
	// work is the workspace (go.work at the app's root), if any.
	work *goWork
}

// Prepare implements providers.Provider.
func (Provider) Prepare(ctx context.Context, req providers.Request) (*providers.Project, error) {
	pr := &project{req: req}
	m := req.Manifest
	var ps providers.Passes
	dep := ps.Run(ctx, pr.dependencyFile)
	work := ps.Run(ctx, pr.readWork, dep)
	mod := ps.Run(ctx, pr.readMod, dep, work)
	// The manifest's version is checked whether go.mod could be read or
	// not; go.mod's needs it read.
	ps.Run(ctx, pr.checkVersion, mod || m.Version.Set())
	ps.Run(ctx, pr.mainPackage, mod)
	ps.Run(ctx, pr.sums, mod)
	ps.Run(ctx, func(context.Context) (err error) {
		pr.buildPkgs, err = providers.BuildPackages(m)
		return err
	})
	ps.Run(ctx, pr.detectCgo, mod)
	ps.Run(ctx, pr.linkerFlags)
	if err := ps.Err(); err != nil {
		return nil, err
	}
	var findings []check.Finding
	if pr.mod.requires && !pr.hasSum && !pr.vendored {
		findings = append(findings, check.Finding{Rule: check.DependenciesWithoutLock, Range: pr.gomodRange,
			Msg:  fmt.Sprintf("%s requires modules but there is no go.sum next to it: their content is not pinned", pr.gomod),
			Hint: "run `go mod tidy` and add go.sum to the context"})
	}
	pr.images()
	return &providers.Project{Findings: findings, Build: pr.build}, nil
}

// linkerFlags are go build's -ldflags: distill's -s -w, then the
// manifest's ldflags: with ${NAME} replaced by the declared build arg's
// value (at plan time: the build step runs no shell).
func (pr *project) linkerFlags(context.Context) error {
	m := pr.req.Manifest
	pr.ldflags = "-s -w"
	if !m.LDFlags.Set() {
		return nil
	}
	var missing []string
	v := os.Expand(m.LDFlags.Value, func(name string) string {
		val, ok := pr.req.Args[name]
		if !ok {
			missing = append(missing, name)
		}
		return val
	})
	if len(missing) > 0 {
		return providers.Fail(m, m.LDFlags.Range, "declare it under args: (args: {"+missing[0]+": …}), or pass it with --build-arg after declaring it",
			"ldflags: %s is not a build arg the manifest declares", strings.Join(missing, ", "))
	}
	if strings.TrimSpace(v) != "" {
		pr.ldflags += " " + strings.TrimSpace(v)
	}
	return nil
}

// dependencyFile is the go.mod `dependencies:` names, else the root's.
func (pr *project) dependencyFile(context.Context) error {
	m := pr.req.Manifest
	pr.gomod, pr.gomodRange = "go.mod", m.Language.Range
	if m.Dependencies.Set() {
		pr.gomod, pr.gomodRange = path.Clean(m.Path(m.Dependencies.Value)), m.Dependencies.Range
		if path.Base(pr.gomod) != "go.mod" {
			return providers.Fail(m, pr.gomodRange, "name the module's go.mod", "%q is not a Go dependency file", m.Dependencies.Value)
		}
	}
	if err := checkRelative(pr.gomod); err != nil {
		return providers.Fail(m, pr.gomodRange, "use a path inside the build context", "dependencies: %v", err)
	}
	return nil
}

// readMod reads and parses go.mod (the workspace's module of the app
// when there is a go.work).
func (pr *project) readMod(ctx context.Context) error {
	m := pr.req.Manifest
	data, err := pr.req.FS.ReadFile(ctx, pr.gomod)
	if errors.Is(err, fs.ErrNotExist) {
		if m.Dependencies.Set() {
			return providers.Fail(m, pr.gomodRange, "check the path and that .dockerignore does not exclude it", "dependency file %q is not in the build context", pr.gomod)
		}
		return providers.Fail(m, pr.gomodRange, "run `go mod init` in the context, or set `dependencies:` to the module's go.mod", "no go.mod at the root of the build context")
	} else if err != nil {
		return fmt.Errorf("reading %s: %w", pr.gomod, err)
	}
	if pr.mod, err = parseGoMod(data); err != nil {
		return providers.Fail(m, pr.gomodRange, "fix go.mod", "%s: %v", pr.gomod, err)
	}
	pr.modDir = path.Dir(pr.gomod)
	return nil
}

// checkVersion is the Go version: the manifest's, else go.mod's.
func (pr *project) checkVersion(context.Context) error {
	m := pr.req.Manifest
	pr.version = pr.mod.version()
	versionRange := manifest.Range{}
	if m.Version.Set() {
		pr.version, versionRange = m.Version.Value, m.Version.Range
	}
	if !versionRE.MatchString(pr.version) {
		return providers.Fail(m, versionRange, `write a Go release such as "1.26" or "1.26.8"`, "invalid Go version %q", pr.version)
	}
	return nil
}

// sums looks for a vendor directory and go.sum next to go.mod, and
// checks go.sum is one. The modules are vendored when vendor/ has
// modules.txt and packages: a module's zip from the proxy keeps
// modules.txt alone, and go build -mod=vendor then finds nothing.
func (pr *project) sums(ctx context.Context) error {
	vendor := path.Join(pr.modDir, "vendor")
	list, err := providers.Exists(ctx, pr.req.FS, path.Join(vendor, "modules.txt"))
	if err != nil {
		return err
	}
	if list {
		entries, err := pr.req.FS.ReadDir(ctx, vendor)
		if err != nil {
			return err
		}
		for _, e := range entries {
			pr.vendored = pr.vendored || e.IsDir()
		}
		// modules.txt alone would make go build use vendor/ anyway.
		pr.vendorListOnly = !pr.vendored
	}
	return pr.goSum(ctx)
}

// goSum checks go.sum next to go.mod, when there is one.
func (pr *project) goSum(ctx context.Context) error {
	sum := path.Join(pr.modDir, "go.sum")
	data, ok, err := providers.ReadFile(ctx, pr.req.FS, sum)
	if err != nil || !ok {
		return err
	}
	pr.hasSum = true
	return goSum.Verify(pr.req.Manifest, pr.gomodRange, sum, data)
}

// runtime flavour it needs.
func (pr *project) detectCgo(ctx context.Context) error {
	m := pr.req.Manifest
	var count int
	scan, err := scanModule(ctx, pr.req.FS, pr.modDir, &count)
	if err != nil {
		return err
	}
	if pr.work != nil {
		// The workspace's modules the app builds with are its own code.
		if scan, err = pr.workClosure(ctx, scan, &count); err != nil {
			return err
		}
	}
	pr.cgo, pr.cgoWhy = scan.cgo()
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

func checkRelative(p string) error {
	if path.IsAbs(p) || p == ".." || strings.HasPrefix(path.Clean(p), "../") {
		return fmt.Errorf("%q leaves the build context", p)
	}
	return nil
}
