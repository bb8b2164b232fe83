package rust

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Paths inside the builder, set explicitly in each step's environment so
// that nothing depends on the builder's CARGO_HOME or the project's
// target-dir.
const (
	srcDir    = "/src"
	targetDir = "/target"
	cargoHome = "/usr/local/cargo"
)

// rustTriples are Rust's GNU target triples per platform architecture
// (variant for arm).
var rustTriples = map[string]string{
	"amd64":   "x86_64-unknown-linux-gnu",
	"arm64":   "aarch64-unknown-linux-gnu",
	"arm/v7":  "armv7-unknown-linux-gnueabihf",
	"arm/v6":  "arm-unknown-linux-gnueabi",
	"386":     "i686-unknown-linux-gnu",
	"ppc64le": "powerpc64le-unknown-linux-gnu",
	"s390x":   "s390x-unknown-linux-gnu",
	"riscv64": "riscv64gc-unknown-linux-gnu",
}

func rustTriple(p ocispecs.Platform) (string, bool) {
	if p.OS != "linux" {
		return "", false
	}
	key := p.Architecture
	if key == "arm" {
		key += "/" + p.Variant
	}
	t, ok := rustTriples[key]
	return t, ok
}

// targetSteps plans one target platform.
type targetSteps struct {
	pr       *project
	p        ocispecs.Platform
	triple   string
	deb      providers.DebianArch
	cross    *providers.CrossToolchain
	emulated string // the Emulated suffix when the compile runs in the target's builder
	env      []string
}

// build plans one target platform.
func (pr *project) build(p ocispecs.Platform) (providers.Build, error) {
	triple, ok := rustTriple(p)
	if !ok {
		return providers.Build{}, providers.Fail(pr.m, pr.m.Language.Range, "build for linux/amd64 or linux/arm64 (or another Linux architecture Rust and Debian both support)",
			"distill cannot build Rust for %s", platforms.Format(p))
	}
	s := &targetSteps{pr: pr, p: p, triple: triple}
	s.deb, _ = providers.DebianArchOf(p)
	if !providers.SamePlatform(p, pr.req.BuildPlatform) {
		if s.cross = providers.DebianCross(p, pr.req.BuildPlatform, false); s.cross == nil {
			s.emulated = providers.Emulated(p, "no Debian cross linker for it on "+platforms.Format(pr.req.BuildPlatform))
		}
	}
	s.env = s.environment()

	var steps []plan.Step
	steps = append(steps, s.toolchain()...)
	steps = append(steps, s.dependencies()...)
	steps = append(steps, s.compile()...)
	built := len(steps)
	steps = append(steps, s.finish())

	builder := pr.builder
	builder.Platform = platforms.Format(pr.req.BuildPlatform)
	name := pr.bin.bin.name
	b := providers.Build{
		Builder:       builder,
		Flavour:       providers.CC,
		FlavourReason: "Rust's standard library links libgcc_s (unwinding) and glibc",
		FlavourHint:   "base: static builds a static binary",
		Steps:         steps,
		Artifacts: []plan.Artifact{{
			From: plan.FromBuilder, Src: path.Join(providers.AppDir, name), Dest: path.Join(providers.AppDir, name), Origin: pr.buildOrigin,
		}},
		Entrypoint: []string{path.Join(providers.AppDir, name)},
		Name:       name,
	}
	if pr.static {
		b.Flavour, b.FlavourReason = providers.Static, "a static glibc binary (base: static)"
	} else {
		b.Artifacts = append([]plan.Artifact{{From: plan.FromBuilder, Src: providers.Sysroot, Dest: "/", Layer: "libraries", Origin: pr.depsOrigin}}, b.Artifacts...)
		b.Needs = &plan.Needs{Libc: plan.LibcGlibc, Why: b.FlavourReason, Origin: providers.Origin("language", pr.m.Language.Range)}
		// The binary's ELF needs decide between base and cc (cc is
		// what Rust's std needs: libgcc_s).
		b.Choose = &providers.Choose{After: built, Scan: providers.AppDir}
	}
	return b, nil
}

// environment is what every cargo step sees: the paths, the release
// profile stripped, and for another platform the cross linker, the C
// compilers of -sys crates and pkg-config on the target's libraries.
func (s *targetSteps) environment() []string {
	upper := strings.ToUpper(strings.ReplaceAll(s.triple, "-", "_"))
	lower := strings.ReplaceAll(s.triple, "-", "_")
	env := []string{
		"CARGO_HOME=" + cargoHome,
		"CARGO_TARGET_DIR=" + targetDir,
		"CARGO_PROFILE_RELEASE_STRIP=symbols",
		"CARGO_TERM_PROGRESS_WHEN=never",
	}
	if s.cross != nil {
		t := s.cross.Triple
		env = append(env,
			"CARGO_TARGET_"+upper+"_LINKER="+t+"-gcc",
			"CC_"+lower+"="+t+"-gcc",
			"CXX_"+lower+"="+t+"-g++",
			"AR_"+lower+"="+t+"-ar",
			"PKG_CONFIG_ALLOW_CROSS=1",
			"PKG_CONFIG_LIBDIR_"+lower+"=/usr/lib/"+t+"/pkgconfig:/usr/share/pkgconfig",
		)
	}
	if s.pr.static {
		// Target crates only: build scripts and proc macros stay dynamic.
		env = append(env, "CARGO_TARGET_"+upper+"_RUSTFLAGS=-C target-feature=+crt-static")
	}
	return env
}

// toolchain installs, for another platform, Debian's cross linker and the
// target's standard library, and the build packages (-dev ones for the
// target's architecture).
func (s *targetSteps) toolchain() []plan.Step {
	origin := providers.Origin("language", s.pr.m.Language.Range)
	var steps []plan.Step
	if pkgs, foreign := s.aptPackages(); len(pkgs) > 0 && s.emulated == "" {
		name := "[rust] apt-get install " + strings.Join(pkgs, " ")
		if s.cross != nil {
			name += " (cross linker and libraries for " + platforms.Format(s.p) + ")"
		}
		steps = append(steps, plan.Step{Name: name, Origin: origin, Run: providers.AptInstallForeign(foreign, pkgs)})
	}
	if s.cross != nil {
		// The official image has the build platform's standard library;
		// rustup adds the target's unless the builder already has it.
		steps = append(steps, plan.Step{Name: "[rust] standard library for " + s.triple, Origin: origin, Run: &plan.Run{
			Args: []string{"sh", "-c", `[ -d "$(rustc --print target-libdir --target "$1")" ] || rustup target add "$1"`, "target", s.triple},
			Dir:  "/", Env: []string{"CARGO_HOME=" + cargoHome}, Network: true,
		}})
	}
	return steps
}

// aptPackages are the Debian packages a target's build installs: the
// cross linker and the build packages, -dev ones for the target's
// architecture when it is another (foreign), others for the build's.
func (s *targetSteps) aptPackages() (pkgs []string, foreign string) {
	return providers.BuilderPackages(s.cross, s.pr.buildPkgs)
}

// dependencies compile the dependencies alone, from the manifests, the
// lock and placeholder targets: steps that only those invalidate.
func (s *targetSteps) dependencies() []plan.Step {
	pr := s.pr
	ws := pr.ws
	files := slices.Clone(ws.manifests)
	if pr.lock {
		files = append(files, path.Join(ws.rootDir, "Cargo.lock"))
	}
	files = append(files, ws.configs...)
	slices.Sort(files)
	steps := []plan.Step{{Name: "[rust] copy Cargo manifests and lock", Origin: pr.depsOrigin, Copy: &plan.Copy{Paths: files, Dest: srcDir}}}
	for _, p := range ws.pkgs {
		for _, ph := range p.placeholders {
			content := ""
			if ph.main {
				content = "fn main() {}\n"
			}
			steps = append(steps, plan.Step{Name: "[rust] placeholder " + ph.path, Origin: pr.depsOrigin,
				Write: &plan.Write{Path: path.Join(srcDir, ph.path), Content: content}})
		}
	}
	fetch := append([]string{"cargo", "fetch", "--target", s.triple}, pr.lockFlag()...)
	steps = append(steps, plan.Step{Name: "[rust] " + strings.Join(fetch, " "), Origin: pr.depsOrigin, Run: &plan.Run{
		Args: fetch, Dir: path.Join(srcDir, ws.rootDir),
		// The tokens of the cargo-credentials secret (or of
		// CARGO_REGISTRIES_<NAME>_TOKEN args) for registries that need
		// them: Cargo reads them only through a credential provider.
		Env:    append(slices.Clone(s.env), "CARGO_NET_GIT_FETCH_WITH_CLI=true", "NETRC=/root/.netrc", "CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS=cargo:token"),
		Caches: caches(), Network: true, Secrets: fetchSecrets(), SSH: true,
	}})
	steps = append(steps, s.cargoBuild("[rust] cargo build --release (dependencies only)", pr.depsOrigin, nil))
	return steps
}

// compile copies the sources and builds the binary into the app directory.
func (s *targetSteps) compile() []plan.Step {
	pr := s.pr
	bin := pr.bin.bin.name
	// Placeholders compiled before may be newer than the sources: touch
	// every local package's sources so Cargo rebuilds them.
	var dirs []string
	for _, p := range pr.ws.pkgs {
		dirs = append(dirs, path.Join(srcDir, p.dir))
	}
	after := []string{"mkdir -p " + providers.AppDir, fmt.Sprintf("cp %s %s/", path.Join(targetDir, s.triple, "release", bin), providers.AppDir)}
	return []plan.Step{
		{Name: "[rust] copy sources", Origin: pr.buildOrigin, Copy: &plan.Copy{Dest: srcDir, Exclude: pr.sourcesExclude()}},
		s.cargoBuild(fmt.Sprintf("[rust] cargo build --release --bin %s", bin), pr.buildOrigin, &script{touch: dirs, after: after}),
	}
}

// script is what a build step runs around cargo.
type script struct {
	touch, after []string
}

// cargoBuild is `cargo build --release` of the binary's package and
// binary, for the target, with what a script adds around it.
func (s *targetSteps) cargoBuild(name string, origin plan.Origin, sc *script) plan.Step {
	pr := s.pr
	args := append([]string{"cargo", "build", "--release", "--target", s.triple}, pr.lockFlag()...)
	args = append(args, "--package", pr.bin.pkg.name, "--bin", pr.bin.bin.name)
	args = append(args, pr.featureFlags()...)
	if sc != nil || pr.static {
		sh := strings.Join(args, " ")
		if pr.static {
			sh += ` || { echo "distill: base: static: linking a static binary failed: a dependency links a C library that has no static archive in the builder (see the linker's 'cannot find -l…' above). Use base: cc (distill carries shared libraries into the image), turn on the -sys crate's bundled or vendored feature, or add the -dev package that ships the .a to build-packages." >&2; exit 1; }`
		}
		if sc != nil {
			sh = `find "$@" -name target -prune -o -name '*.rs' -exec touch {} + && ` + sh + " && " + strings.Join(sc.after, " && ")
			args = append([]string{"sh", "-c", sh, "build"}, sc.touch...)
		} else {
			args = []string{"sh", "-c", sh}
		}
	}
	if s.cross != nil {
		name += " (cross-compiled for " + platforms.Format(s.p) + ")"
	}
	step := plan.Step{Name: name, Origin: origin, Run: &plan.Run{
		Args: args, Dir: path.Join(srcDir, pr.ws.rootDir), Env: slices.Clone(s.env), Caches: caches(), Network: true,
	}}
	if s.emulated != "" {
		pkgs, _ := s.aptPackages()
		var setup []plan.Step
		if len(pkgs) > 0 {
			setup = append(setup, plan.Step{Name: "[rust] apt-get install " + strings.Join(pkgs, " "), Origin: origin, Run: providers.AptInstallForeign("", pkgs)})
		}
		builder := pr.builder
		builder.Platform = platforms.Format(s.p)
		step = providers.InTarget(step, builder, s.emulated, "", setup, srcDir, targetDir, providers.AppDir)
	}
	return step
}

// finish checks a static binary is static, or carries the shared
// libraries the binary needs that the runtime lacks (from build-packages
// or the builder) with their Debian package records.
func (s *targetSteps) finish() plan.Step {
	pr := s.pr
	bin := path.Join(providers.AppDir, pr.bin.bin.name)
	origin := providers.Origin("language", pr.m.Language.Range)
	if pr.static {
		origin = providers.Origin("base", pr.m.Base.Range)
		return plan.Step{Name: "[rust] check the binary is static", Origin: origin, Run: &plan.Run{
			Args: []string{providers.HelperBin, "rust-static", bin}, Dir: "/",
			Mounts: []plan.Mount{{From: plan.MountFrontend, Target: providers.HelperMount}},
		}}
	}
	step := plan.Step{Name: "[rust] carry the shared libraries the binary needs", Origin: origin, Run: &plan.Run{
		Args:   []string{providers.HelperBin, "libs", "--runtime", providers.RuntimeMount, "--out", providers.Sysroot, "--scan", providers.AppDir, "--arch", s.p.Architecture},
		Dir:    "/",
		Mounts: providers.HelperMounts(),
	}}
	if s.emulated != "" {
		builder := pr.builder
		builder.Platform = platforms.Format(s.p)
		step = providers.InTarget(step, builder, s.emulated, "", nil, providers.AppDir, providers.Sysroot)
	}
	return step
}

func (pr *project) lockFlag() []string {
	if pr.lock {
		return []string{"--locked"}
	}
	return nil
}

// sourcesExclude are what the build never takes from the context: the
// project's own build output, git, the manifest.
func (pr *project) sourcesExclude() []string {
	return []string{".git", path.Join(pr.ws.rootDir, "target"), pr.m.AppPath(), pr.m.AppPath() + ".dockerignore"}
}

// caches are Cargo's registry and git checkouts, reused by every build,
// private to the step that has them: Cargo's lock on them
// ($CARGO_HOME/.package-cache) is outside the mounts, so two steps at
// once (two platforms, two builds on one daemon) unpacking the same
// crate into a shared mount fail ("failed to unpack package …: File
// exists"). A step that finds them in use gets a mount of its own, and
// downloads what it lacks (its steps have the network).
func caches() []plan.Cache {
	return []plan.Cache{
		{ID: "cargo-registry", Target: cargoHome + "/registry", Sharing: "private"},
		{ID: "cargo-git", Target: cargoHome + "/git", Sharing: "private"},
	}
}

// fetchSecrets are what the download may use for private registries and
// git dependencies: Cargo's credentials file (registry tokens) and a
// netrc for git over https; with --ssh default, the client's SSH agent
// for git over ssh. All optional, none in a layer.
func fetchSecrets() []plan.Secret {
	return []plan.Secret{
		{ID: "cargo-credentials", Target: cargoHome + "/credentials.toml"},
		{ID: "netrc", Target: "/root/.netrc"},
	}
}
