package frontend

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/resolve"
	"github.com/distill-build/distill/frontend/version"
	"github.com/distill-build/distill/llb/compile"
	"github.com/distill-build/distill/llb/plan"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"google.golang.org/grpc/status"
)

// buildRoute builds the target for every target platform: the checks
// first, as the build's warnings, then every image resolved, then one
// compilation and solve per platform, then the SBOMs asked for.
func buildRoute(ctx context.Context, r *request) (*gwclient.Result, error) {
	r.say(ctx, "[distill] frontend: distill "+version.String())
	p, provider, err := r.plan(ctx, false)
	if err != nil {
		return nil, sourceError(r.sm, err)
	}
	// The checks, as warnings of the build (as Dockerfile builds print
	// theirs); with error=true, findings fail it before any step runs.
	if f, err := r.findings(ctx, p, provider, false); err != nil {
		return nil, err
	} else if err := r.warnFindings(ctx, f, r.checks.Error); err != nil {
		return nil, err
	}
	r.warnUnusedArgs(ctx)
	r.bc.TargetPlatforms = r.platforms
	if len(r.platforms) > 1 {
		r.bc.MultiPlatformRequested = true
	}
	opts, err := r.compileOptions(ctx)
	if err != nil {
		return nil, err
	}
	if opts.Context, err = r.buildState(ctx, p); err != nil {
		return nil, err
	}
	if err := r.checkImages(ctx, p, opts); err != nil {
		return nil, err
	}
	scanner, err := sbomScanner(ctx, r.c, r.bc, r.buildPlatform)
	if err != nil {
		return nil, err
	}
	var scans sync.Map // platform id → scanTargets
	rb, err := r.bc.Build(ctx, func(ctx context.Context, platform *ocispecs.Platform, _ int) (*dockerui.BuildResult, error) {
		// dockerui runs this on a goroutine of its own: a panic here
		// escapes Build's guard.
		return guarded(r.manifest.File, func() (*dockerui.BuildResult, error) {
			return r.buildFor(ctx, p, platform, opts, &scans)
		})
	})
	if err != nil {
		return nil, r.stepError(ctx, err)
	}
	if scanner != nil {
		if err := attachSBOMs(ctx, r.c, r.manifest.File, rb, scanner, &scans, r.bc.IsNoCache("")); err != nil {
			return nil, err
		}
	}
	res, err := rb.Finalize()
	if err != nil {
		return nil, err
	}
	r.reportMemory(ctx, res)
	return res, nil
}

// warnUnusedArgs warns of the build args no step sees.
func (r *request) warnUnusedArgs(ctx context.Context) {
	m := r.manifest
	for _, a := range resolve.UnusedArgs(m, r.args) {
		r.src.Warn(ctx, fmt.Sprintf("build arg %s is not declared in %s: no step sees it", a, m.File), gwclient.WarnOpts{
			Detail: [][]byte{[]byte("declare it under args: in the manifest to pass it to the build steps")}, Range: warnRange(m.Args.Range)})
	}
}

// compileOptions are the options every platform compiles with.
func (r *request) compileOptions(ctx context.Context) (compile.Options, error) {
	bc := r.bc
	epoch, err := sourceDateEpoch(ctx, bc)
	if err != nil {
		return compile.Options{}, err
	}
	labels := imageLabels(bc)
	self, err := currentFrontend(r.c)
	if err != nil {
		return compile.Options{}, err
	}
	if _, _, err := r.context(ctx); err != nil {
		return compile.Options{}, err
	}
	return compile.Options{
		Probe:          prober(r.c, bc),
		Frontend:       self,
		ContextDir:     r.buildCtx.root,
		SourceMap:      r.sm,
		Resolver:       r.resolver,
		ResolveMode:    r.resolveMode,
		CacheNS:        bc.CacheIDNamespace,
		PlatformPrefix: bc.MultiPlatformRequested,
		IgnoreCache:    bc.IsNoCache(""),
		NoCacheStage:   bc.IsNoCache,
		Labels:         labels,
		Epoch:          epoch,
		Named:          namedImage(bc),
		Exec: compile.Exec{ExtraHosts: bc.ExtraHosts, Network: bc.NetworkMode, ShmSize: bc.ShmSize, Ulimits: bc.Ulimits,
			CgroupParent: bc.CgroupParent, Devices: bc.Devices},
	}, nil
}

// checkImages resolves every target's images first: one not published
// for a platform fails the build before any step of any platform runs.
// The compilation reuses what this resolved. The targets are checked at
// once, as each target's images are (the build waits for every answer);
// the error is the first target's, in the plan's order.
func (r *request) checkImages(ctx context.Context, p *plan.Plan, o compile.Options) error {
	m := r.manifest
	errs := make([]error, len(p.Targets))
	var wg sync.WaitGroup
	for i, t := range p.Targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = compile.CheckImages(ctx, t, compile.Options{Resolver: o.Resolver, ResolveMode: o.ResolveMode, PlatformPrefix: o.PlatformPrefix, Named: o.Named})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		err = r.platformError(err)
		var le *compile.LockError
		if errors.As(err, &le) {
			return sourceError(r.sm, &manifest.Error{File: m.File, Range: check.OriginRange(le.Origin), Msg: le.Error() + " in " + r.lockName,
				Hint: "the registry serves another image under the locked digest: check it, then run `distill lock` again"})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// buildFor compiles and solves the plan's target for one platform, and
// keeps what its SBOM is made from in scans.
func (r *request) buildFor(ctx context.Context, p *plan.Plan, platform *ocispecs.Platform, o compile.Options, scans *sync.Map) (*dockerui.BuildResult, error) {
	pl := r.platformOf(platform)
	target, err := targetFor(p, platforms.Format(pl))
	if err != nil {
		return nil, err
	}
	res, err := compile.Target(ctx, target, o)
	if err != nil {
		return nil, r.platformError(err)
	}
	st, img, base := res.State, res.Image, res.Base
	extras := map[string]llb.State{}
	if r.target == TargetBuild {
		st, img, base = res.Builder, res.BuilderImage, nil
	} else if scanStage(r.args) {
		extras["builder"] = res.Builder
	}
	if scanContext(r.args) {
		extras["context"] = o.Context
	}
	// Keyed as dockerui's result builder names the platform.
	scans.Store(platforms.FormatAll(pl), scanTargets{core: st, extras: extras})
	// Evaluated here, not by the exporter after the frontend returns: a
	// failed step's error comes back to the frontend, which adds what it
	// knows (stepError).
	ref, err := solveWith(ctx, r.c, st, gwclient.SolveRequest{CacheImports: r.bc.CacheImports, Evaluate: true}, llb.Platform(*platform))
	if err != nil {
		return nil, err
	}
	return &dockerui.BuildResult{Reference: ref, Image: img, BaseImage: base, Epoch: o.Epoch}, nil
}

// platformError points an image missing for a target platform
// (compile.PlatformError), or missing altogether (compile.ResolveError),
// at the manifest line that chose it; other errors are returned as they
// are.
func (r *request) platformError(err error) error {
	if e := imageError(r.manifest, err); e != nil {
		return sourceError(r.sm, e)
	}
	return err
}

// imageError is the manifest error of an image that cannot be had, nil
// for another error.
func imageError(m *manifest.Manifest, err error) error {
	var pe *compile.PlatformError
	if errors.As(err, &pe) {
		return &manifest.Error{File: m.File, Range: platformRange(m, pe.Origin),
			Msg:  fmt.Sprintf("the %s image %s is not published for %s", pe.Role, pe.Ref, pe.Platform),
			Hint: "build for the platforms it is published for: " + strings.Join(pe.Available, ", "),
		}
	}
	var re *compile.ResolveError
	if !errors.As(err, &re) {
		return nil
	}
	// Say how the image was chosen: an image the manifest names is a
	// reference to check; one the toolchain's release chose (a go.mod
	// go line, a rust-version) may be a release without an image.
	hint := "check the reference, and that the registry serves it"
	switch f := re.Facts; {
	case re.Unreachable:
		// Not a missing release: no registry answered.
		hint = "the registry, or the builder's mirror of it, did not answer: check the builder's registry mirrors (buildkitd.toml [registry]) and its network, then build again"
	case re.Origin.Field == "builder" || re.Origin.Field == "base":
	case re.Origin.Field == "version":
		hint = "set version: to a release that has an image"
	case f.Toolchain != "" && f.Version != "":
		hint = fmt.Sprintf("it is %s, %s %s from the project's files: set version: to a release that has an image, or builder: to an image", f.Why, f.Toolchain, f.Version)
	}
	// The resolver's error came through the gateway: its message, not
	// the RPC's words around it.
	cause := re.Err.Error()
	var rpc interface{ GRPCStatus() *status.Status }
	if errors.As(re.Err, &rpc) {
		cause = rpc.GRPCStatus().Message()
	}
	return &manifest.Error{File: m.File, Range: check.OriginRange(re.Origin),
		Msg: fmt.Sprintf("the %s image %s cannot be had: %s", re.Role, re.Ref, cause), Hint: hint}
}

// platformRange is the manifest line that chose the platforms of an
// image: platforms when written, else the line that chose the image.
func platformRange(m *manifest.Manifest, origin plan.Origin) manifest.Range {
	if m.Platforms.Set() {
		return m.Platforms.Range
	}
	return check.OriginRange(origin)
}
