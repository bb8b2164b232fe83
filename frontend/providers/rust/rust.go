// Package rust is the Rust provider: Cargo packages and workspaces built
// in the official rust image, their dependencies compiled in a step keyed
// only on the manifests and the lock (a dependency skeleton the frontend
// derives itself, as cargo-chef does), cross-compiled for every target
// platform with Debian's cross linkers, onto cc, or static with a
// static glibc build.
package rust

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/decode"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
	toml "github.com/pelletier/go-toml/v2"
)

// Rules only the Rust provider reports.
var (
	RustVersionNewerThanToolchain = check.Rule{Name: "RustVersionNewerThanToolchain", Description: "The toolchain must be at least the package's rust-version"}
	StaticWithSharedLibrary       = check.Rule{Name: "StaticWithSharedLibrary", Description: "A static binary cannot link a shared C library"}
)

// Provider is the Rust provider.
type Provider struct{}

var _ providers.Provider = Provider{}

// Language implements providers.Provider.
func (Provider) Language() string { return "rust" }

// Detect implements providers.Detector.
func (Provider) Detect(ctx context.Context, fsys providers.FS, dir string) (string, error) {
	return providers.DetectFiles(ctx, fsys, dir, "Cargo.toml")
}

// Ecosystem implements providers.Provider.
func (Provider) Ecosystem() providers.Ecosystem {
	return providers.Ecosystem{
		Fields: map[string]string{
			"version":          "the Rust toolchain, e.g. \"1.85\" (default: rust-toolchain.toml's channel, else the package's rust-version, else the builder's newest 1.x)",
			"dependencies":     "Cargo.toml: the package's or the workspace root's (a project in a subdirectory: its path)",
			"main":             "the binary to build: a [[bin]] name, or a workspace member package with one binary (default: the only binary)",
			"entrypoint":       "default: the built binary, /app/<name>",
			"base":             "default: cc (Rust's standard library links libgcc_s); static builds a static glibc binary for static-debian13",
			"build-packages":   "Debian packages the build links (libsqlite3-dev): -dev packages are installed for the target architecture, others for the build platform; their shared libraries are carried into the image",
			"args":             "e.g. {CARGO_REGISTRIES_MY_INDEX: sparse+https://…}: variables every build step sees",
			"features":         "the package's features to turn on, e.g. [metrics] (cargo build --features; \"dep/feature\" turns on a dependency's)",
			"default-features": "false builds without the package's default features (--no-default-features)",
		},
		Rules:   []check.Rule{RustVersionNewerThanToolchain, StaticWithSharedLibrary},
		CAEnv:   []string{"CARGO_HTTP_CAINFO"},
		Helpers: map[string]providers.Helper{"rust-static": StaticHelper},
	}
}

// project is what every target platform of a Rust app shares.
type project struct {
	req         providers.Request
	m           *manifest.Manifest
	ws          *workspace
	cargo       string // the root Cargo.toml
	cargoRange  manifest.Range
	lock        bool
	bin         candidate
	version     string // the toolchain: "1" (the builder's newest), 1.85, 1.85.1
	static      bool
	buildPkgs   []string
	builder     plan.Image
	depsOrigin  plan.Origin
	buildOrigin plan.Origin
}

var versionRE = regexp.MustCompile(`^1\.[0-9]+(\.[0-9]+)?$`)

// Prepare implements providers.Provider.
func (Provider) Prepare(ctx context.Context, req providers.Request) (*providers.Project, error) {
	m := req.Manifest
	pr := &project{req: req, m: m, cargo: "Cargo.toml", cargoRange: m.Language.Range}
	var ps providers.Passes
	ws := ps.Run(ctx, pr.readCargo)
	ps.Run(ctx, pr.readLock, ws)
	bin := ps.Run(ctx, func(context.Context) error { return pr.pickBinary() }, ws)
	version := ps.Run(ctx, pr.manifestVersion)
	ps.Run(ctx, pr.toolchain, bin, version)
	ps.Run(ctx, func(context.Context) error { return pr.checkFeatures() }, bin)
	ps.Run(ctx, func(context.Context) (err error) {
		pr.buildPkgs, err = providers.BuildPackages(m)
		return err
	})
	if err := ps.Err(); err != nil {
		return nil, err
	}
	pr.static = m.Base.Set() && m.Base.Value == providers.Static
	pr.depsOrigin = providers.DependenciesOrigin(m)
	pr.buildOrigin = providers.Origin("language", m.Language.Range)
	if m.Main.Set() {
		pr.buildOrigin = providers.Origin("main", m.Main.Range)
	}

	var findings []check.Finding
	if !pr.lock {
		findings = append(findings, check.Finding{Rule: check.DependenciesWithoutLock, Range: pr.cargoRange,
			Msg:  fmt.Sprintf("%s builds a binary but there is no Cargo.lock next to it: every build resolves its dependencies afresh", pr.cargo),
			Hint: "run `cargo generate-lockfile` and add Cargo.lock to the context (and to version control)"})
	}
	if pr.static && len(pr.buildPkgs) > 0 {
		findings = append(findings, check.Finding{Rule: StaticWithSharedLibrary, Range: m.BuildPackages.Range,
			Msg:  fmt.Sprintf("base: static with build-packages (%s): the C libraries the code links go into the binary from their static archives, the build fails for one that has none, and the image records no Debian package for them", strings.Join(pr.buildPkgs, ", ")),
			Hint: "use base: cc (the shared libraries are carried into the image), or make the -sys crates build their C library from source (e.g. a bundled or vendored feature)"})
	}
	return &providers.Project{Findings: findings, Build: pr.build}, nil
}

// readCargo reads the Cargo manifest `dependencies:` names, else the
// root's, and its workspace.
func (pr *project) readCargo(ctx context.Context) error {
	m := pr.m
	if m.Dependencies.Set() {
		pr.cargo, pr.cargoRange = path.Clean(m.Dependencies.Value), m.Dependencies.Range
		if path.Base(pr.cargo) != "Cargo.toml" {
			return providers.Fail(m, pr.cargoRange, "name the package's or the workspace's Cargo.toml", "%q is not a Cargo manifest", m.Dependencies.Value)
		}
		if path.IsAbs(pr.cargo) || pr.cargo == ".." || strings.HasPrefix(pr.cargo, "../") {
			return providers.Fail(m, pr.cargoRange, "use a path inside the build context", "dependencies: %q leaves the build context", pr.cargo)
		}
	}
	ws, err := loadWorkspace(ctx, pr.req.FS, pr.cargo)
	if errors.Is(err, fs.ErrNotExist) {
		root, rerr := providers.Exists(ctx, pr.req.FS, pr.cargo)
		if rerr != nil {
			return rerr
		}
		if m.Dependencies.Set() || root {
			// The named one, or one the root's names.
			return providers.Fail(m, pr.cargoRange, "check the path and that .dockerignore does not exclude it", "%v", err)
		}
		return providers.Fail(m, pr.cargoRange, "run `cargo init` in the context, or set `dependencies:` to the project's Cargo.toml", "no Cargo.toml at the root of the build context")
	} else if err != nil {
		return providers.Fail(m, pr.cargoRange, "fix the Cargo manifest", "%v", err)
	}
	pr.ws = ws
	return nil
}

// readLock looks for Cargo.lock at the workspace's root, and checks it
// is one.
func (pr *project) readLock(ctx context.Context) error {
	name := path.Join(pr.ws.rootDir, "Cargo.lock")
	data, ok, err := providers.ReadFile(ctx, pr.req.FS, name)
	if err != nil || !ok {
		return err
	}
	pr.lock = true
	return cargoLock.Verify(pr.m, pr.cargoRange, name, data)
}

// checkFeatures checks that features: names features of the package
// built: one it lacks fails here, at its line, rather than in cargo's
// build step. "dep/feature" (a dependency's feature) is left to Cargo.
func (pr *project) checkFeatures() error {
	m := pr.m
	p := pr.bin.pkg
	for _, it := range m.Features.Items {
		f := it.Value
		if f == "" || strings.ContainsAny(f, " ,") {
			return providers.Fail(m, it.Range, "write one feature per item, e.g. [tls, metrics]", "features: %q is not a feature name", f)
		}
		if strings.Contains(f, "/") || slices.Contains(p.features, f) {
			continue
		}
		hint := "remove it"
		if len(p.features) > 0 {
			hint = "name one of " + strings.Join(p.features, ", ")
		}
		return providers.Fail(m, it.Range, hint, "package %s has no feature %q", p.name, f)
	}
	return nil
}

// featureFlags are cargo build's flags for features: and
// default-features:.
func (pr *project) featureFlags() []string {
	var flags []string
	if d := pr.m.DefaultFeatures; d.Set() && !d.Value {
		flags = append(flags, "--no-default-features")
	}
	if fs := pr.m.Features.Values(); len(fs) > 0 {
		flags = append(flags, "--features", strings.Join(fs, ","))
	}
	return flags
}

// manifestVersion checks the manifest's version, when it names one.
func (pr *project) manifestVersion(context.Context) error {
	if v := pr.m.Version; v.Set() && !versionRE.MatchString(v.Value) {
		return providers.Fail(pr.m, v.Range, `write a Rust release such as "1.85" or "1.85.1"`, "invalid Rust version %q", v.Value)
	}
	return nil
}

// pickBinary chooses the binary to build: main:'s, else the only one.
func (pr *project) pickBinary() error {
	m := pr.m
	all := pr.ws.binaries()
	if m.Main.Set() {
		found := pr.ws.named(m.Main.Value)
		if len(found) > 1 {
			if p := found[0].pkg; p.defaultRun != "" && found[len(found)-1].pkg == p {
				if i := slices.IndexFunc(found, func(c candidate) bool { return c.bin.name == p.defaultRun }); i >= 0 {
					pr.bin = found[i]
					return nil
				}
			}
			return providers.Fail(m, m.Main.Range, "name one binary: "+names(found), "main: %q has several binaries", m.Main.Value)
		}
		if len(found) == 0 {
			return providers.Fail(m, m.Main.Range, "name a binary or a package with one: "+names(pr.allBins()), "main: no binary or package with a binary is named %q", m.Main.Value)
		}
		pr.bin = found[0]
		return nil
	}
	switch len(all) {
	case 0:
		return providers.Fail(m, pr.cargoRange, "add src/main.rs or a [[bin]], or set main: to a member package", "%s builds no binary", pr.cargo)
	case 1:
		pr.bin = all[0]
		return nil
	}
	if root, ok := pr.ws.byName[all[0].pkg.name]; ok && root.defaultRun != "" && root.dir == pr.ws.rootDir {
		if i := slices.IndexFunc(all, func(c candidate) bool { return c.bin.name == root.defaultRun }); i >= 0 {
			pr.bin = all[i]
			return nil
		}
	}
	return providers.Fail(m, m.Language.Range, "set main: to one of them: "+names(all), "%s builds several binaries", pr.cargo)
}

func (pr *project) allBins() []candidate {
	var out []candidate
	for _, p := range pr.ws.pkgs {
		if p.member {
			for _, b := range p.bins {
				out = append(out, candidate{p, b})
			}
		}
	}
	return out
}

func names(cs []candidate) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = c.String()
	}
	return strings.Join(s, ", ")
}

// toolchain picks the Rust version and the builder: the manifest's, else
// rust-toolchain(.toml)'s channel, else the package's rust-version, else
// the official image's newest 1.x.
func (pr *project) toolchain(ctx context.Context) error {
	m := pr.m
	pinned, pinnedBy, pinRange := "", "", m.Language.Range
	var err error
	switch {
	case m.Version.Set():
		pinned, pinnedBy, pinRange = m.Version.Value, "version: in "+m.File, m.Version.Range
	default:
		var file string
		if pinned, file, err = toolchainFile(ctx, pr.req.FS, pr.ws.rootDir); err != nil {
			return providers.Fail(m, m.Language.Range, "pin a release (channel = \"1.85.1\") or set version: in "+m.File, "%v", err)
		}
		pinnedBy = file + "'s channel"
	}
	rv := pr.bin.pkg.rustVersion
	switch {
	case pinned != "":
		pr.version = pinned
		// A pin of 1.85 is the newest 1.85.x: compare what it names.
		if rv != "" && versionLess(pinned, truncate(rv, strings.Count(pinned, ".")+1)) {
			return &manifest.Error{File: m.File, Range: pinRange, Rule: RustVersionNewerThanToolchain.Name,
				Msg:  fmt.Sprintf("package %s needs Rust %s (rust-version) but %s pins %s", pr.bin.pkg.name, rv, pinnedBy, pinned),
				Hint: "use a toolchain of at least " + rv}
		}
	case rv != "":
		if !versionRE.MatchString(rv) {
			return providers.Fail(m, pr.cargoRange, `write rust-version as "1.85" or "1.85.1"`, "package %s: rust-version %q is not a Rust release", pr.bin.pkg.name, rv)
		}
		pr.version, pinnedBy = rv, "package "+pr.bin.pkg.name+"'s rust-version"
	default:
		pr.version, pinnedBy = "1", "no version in the project: the official image's newest Rust 1.x"
	}
	pr.builder = plan.Image{
		Ref: fmt.Sprintf("docker.io/library/rust:%s-%s", pr.version, providers.Suite),
		Facts: plan.Facts{Toolchain: "Rust", Version: pr.version, Debian: providers.DebianRelease, Libc: plan.LibcGlibc,
			Why: "the official Rust image (" + pinnedBy + ")"},
	}
	if m.Builder.Set() {
		pr.builder.Ref = m.Builder.Value
		pr.builder.Facts = plan.Facts{Debian: providers.DebianOf(m.Builder.Value), Why: "builder: in " + m.File}
	}
	pr.builder.Origin = providers.ImageOrigin(m, plan.RoleBuilder)
	return nil
}

// toolchainFile reads rust-toolchain.toml (or the older rust-toolchain)
// in dir: the release its channel pins, "" for stable or no file.
func toolchainFile(ctx context.Context, fsys providers.FS, dir string) (version, file string, err error) {
	for _, name := range []string{"rust-toolchain.toml", "rust-toolchain"} {
		file = path.Join(dir, name)
		data, ok, err := providers.ReadFile(ctx, fsys, file)
		if err != nil {
			return "", file, err
		}
		if !ok {
			continue
		}
		channel := strings.TrimSpace(string(data))
		if strings.Contains(channel, "[toolchain]") {
			var t struct {
				Toolchain struct {
					Channel string `toml:"channel"`
				} `toml:"toolchain"`
			}
			if err := toml.Unmarshal(data, &t); err != nil {
				return "", file, fmt.Errorf("%s: %v", file, decode.Explain(err, data))
			}
			channel = t.Toolchain.Channel
		}
		switch {
		case channel == "" || channel == "stable":
			return "", file, nil
		case versionRE.MatchString(channel):
			return channel, file, nil
		}
		return "", file, fmt.Errorf("%s: channel %q: distill builds with the official image's stable releases (1.x or 1.x.y)", file, channel)
	}
	return "", "", nil
}

// versionLess compares Rust releases ("1.85" < "1.85.1" < "1.86").
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// truncate keeps the first n dot-separated parts of a version.
func truncate(v string, n int) string {
	parts := strings.Split(v, ".")
	return strings.Join(parts[:min(n, len(parts))], ".")
}
