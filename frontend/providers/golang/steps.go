package golang

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
	if pr.vendorListOnly {
		env[len(env)-1] += " -mod=mod"
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
	// A module that requires none has nothing to download: no step of
	// its own (the go command's start and a snapshot, 0.7 s of a cold
	// build of examples/go-hello).
	if !pr.vendored && (pr.mod.requires || pr.work != nil) {
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
	args := []string{"go", "build", "-trimpath", "-ldflags=" + pr.ldflags, "-o", bin, pr.mainPkg}
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
	sources := plan.Step{Name: "[go] copy sources", Origin: pr.buildOrigin, Copy: &plan.Copy{Dest: srcDir}}
	if pr.work != nil {
		// The workspace's modules the app builds with, nothing else.
		sources.Name = "[go] copy the workspace's modules " + strings.Join(pr.work.closure, " ")
		sources.Copy.Paths = pr.work.closure
	}
	steps = append(steps, sources, build)
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
	var steps []plan.Step
	files := []string{pr.gomod}
	if pr.hasSum {
		files = append(files, path.Join(pr.modDir, "go.sum"))
	}
	if pr.work != nil {
		// go.work with the modules the app builds with, their go.mod and
		// go.sum files, and go.work.sum.
		files = pr.work.files
		steps = append(steps, plan.Step{Name: "[go] write go.work for " + strings.Join(pr.work.closure, " "), Origin: pr.depsOrigin,
			Write: &plan.Write{Path: path.Join(srcDir, "go.work"), Content: pr.work.content}})
	}
	// Local replacements are part of the module graph: copy their go.mod
	// files to where go expects them.
	for _, r := range pr.mod.localReplaces {
		if pr.work != nil {
			break // in the closure already
		}
		rp := path.Join(pr.modDir, r, "go.mod")
		if checkRelative(rp) != nil {
			return nil, providers.Fail(pr.req.Manifest, pr.gomodRange, "keep replaced modules inside the build context", "go.mod replaces a module with %s, outside the build context", r)
		}
		files = append(files, rp)
	}
	return append(steps, []plan.Step{
		{Name: "[go] copy go.mod and go.sum", Origin: pr.depsOrigin, Copy: &plan.Copy{Paths: files, Dest: srcDir}},
		{Name: "[go] go mod download", Origin: pr.depsOrigin, Run: &plan.Run{
			Args: []string{"go", "mod", "download", "-x"}, Dir: path.Join(srcDir, pr.modDir),
			Env: append(slices.Clone(env), "NETRC=/root/.netrc"), Caches: caches, Network: true, Secrets: moduleSecrets(), SSH: true,
		}},
	}...), nil
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
