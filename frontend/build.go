package frontend

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/lock"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/resolve"
	"github.com/distill-build/distill/llb/compile"
	"github.com/distill-build/distill/llb/plan"
	"github.com/distill-build/distill/llb/sourcemap"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Targets a build can stop at.
const (
	TargetRuntime = "runtime"
	// TargetDebug is the same app on the base's :debug variant, which has
	// a busybox shell, for looking inside.
	TargetDebug = "debug"
	// TargetBuild is the builder after every build step, with the builder
	// image's config: what the runtime's artifacts are collected from.
	TargetBuild = "build"
)

// Build is the gateway BuildFunc of the distill frontend.
func Build(ctx context.Context, c gwclient.Client) (*gwclient.Result, error) {
	// Every definition is checked against the daemon's capabilities first (caps.go).
	c = withCapChecks(c)
	bc, err := dockerui.NewClient(c)
	if err != nil {
		return nil, fmt.Errorf("reading build options: %w", err)
	}
	// The manifest, its .dockerignore and its lock come from the
	// manifest's directory (the dockerfile local).
	filename := cmp.Or(c.BuildOpts().Opts["filename"], manifest.DefaultFilename)
	lockName := lock.Name(path.Base(filename))
	src, err := bc.ReadEntrypoint(ctx, "yaml", llb.FollowPaths([]string{filename, filename + ".dockerignore", path.Join(path.Dir(filename), lockName)}))
	if err != nil {
		return nil, err
	}
	sm := sourcemap.New(src.SourceMap)
	m, err := manifest.Parse(src.Filename, src.Data)
	if err != nil {
		return nil, sourceError(sm, err)
	}
	var lk *lock.File
	if lockOn(bc.BuildArgs) {
		if lk, err = readLock(ctx, c, src.SourceMap.State, path.Join(path.Dir(src.Filename), lockName)); err != nil {
			return nil, err
		}
	}

	// The plan: the context read for what the providers need, for the
	// target platforms worked out once (the plan and dockerui's
	// per-platform loop both follow that list).
	buildPlatform := platforms.DefaultSpec()
	if len(bc.BuildPlatforms) > 0 {
		buildPlatform = bc.BuildPlatforms[0]
	}
	var buildCtx *llb.State
	var fsys contextfs.Ref
	var tps []ocispecs.Platform
	var findings []check.Finding
	// planBuild plans the build; with the lock applied unless unlocked.
	planBuild := func(ctx context.Context, unlocked bool) (*plan.Plan, error) {
		var err error
		if buildCtx, err = bc.MainContext(ctx); err != nil {
			return nil, err
		}
		if fsys, err = solveContext(ctx, c, bc, *buildCtx); err != nil {
			return nil, err
		}
		if tps, err = resolve.TargetPlatforms(m, resolve.Options{Platforms: bc.TargetPlatforms, BuildPlatform: buildPlatform}); err != nil {
			return nil, sourceError(sm, err)
		}
		p, f, err := resolve.Checked(ctx, m, fsys, resolve.Options{Platforms: tps, BuildPlatform: buildPlatform, Debug: bc.Target == TargetDebug, BuildArgs: bc.BuildArgs})
		if err != nil {
			return nil, err
		}
		findings = f
		if lk != nil && !unlocked {
			lk.Apply(p)
		}
		return p, nil
	}
	resolver := newCachingResolver(c)
	checkCfg, err := checkConfig(m, bc.BuildArgs)
	if err != nil {
		return nil, sourceError(sm, err)
	}
	// runChecks runs the `--call=check` rules on a plan, without the ones
	// the check directive skips; drift resolves the locked tags again.
	runChecks := func(ctx context.Context, p *plan.Plan, withDrift bool) ([]check.Finding, error) {
		var dr []check.Finding
		if withDrift {
			var err error
			if dr, err = drift(ctx, resolver, m, p, lk, bc.ImageResolveMode.String()); err != nil {
				return nil, err
			}
		}
		f, err := check.Run(ctx, check.Input{
			Manifest: m, Plan: p, Provider: findings, Context: contextHas(fsys),
			Images: &imageFiles{c: c, refs: map[string]gwclient.Reference{}},
			Locked: lk.Pins, Drift: dr, Rules: resolve.Rules(),
		})
		return check.Skip(f, checkCfg.Skip), err
	}

	if res, ok, err := bc.HandleSubrequest(ctx, dockerui.RequestHandler{
		ListTargets: func(context.Context) (*targets.List, error) { return listTargets(), nil },
		Outline: func(ctx context.Context) (*outline.Outline, error) {
			p, err := planBuild(ctx, false)
			if err != nil {
				return nil, sourceError(sm, err)
			}
			return outlineOf(p, m, src.Data, compile.DefaultCASecret, bc.CacheIDNamespace, bc.BuildArgs), nil
		},
		Lint: func(ctx context.Context) (*lint.LintResults, error) {
			p, err := planBuild(ctx, false)
			if err != nil {
				return lintResults(src.SourceMap, nil, err), nil
			}
			f, err := runChecks(ctx, p, true)
			if err != nil {
				return nil, err
			}
			return lintResults(src.SourceMap, f, nil), nil
		},
		AllowOther: true,
	}); err != nil || ok {
		return res, err
	}
	if bc.BuildOpts().Opts[keyRequestID] == RequestLock {
		p, err := planBuild(ctx, true)
		if err != nil {
			return nil, sourceError(sm, err)
		}
		return lockResult(ctx, resolver, p, bc.ImageResolveMode.String())
	}
	if id := bc.BuildOpts().Opts[keyRequestID]; id != "" {
		return nil, fmt.Errorf("%s does not answer %q: it answers outline, targets, check and lock (--call=lock)", m.File, strings.TrimPrefix(id, "frontend."))
	}
	if bc.Target != "" && bc.Target != TargetRuntime && bc.Target != TargetDebug && bc.Target != TargetBuild {
		return nil, fmt.Errorf("unknown target %q: %s builds the targets %q (the default), %q and %q", bc.Target, m.File, TargetRuntime, TargetDebug, TargetBuild)
	}

	p, err := planBuild(ctx, false)
	if err != nil {
		return nil, sourceError(sm, err)
	}
	// The checks, as warnings of the build (as Dockerfile builds print
	// theirs); with error=true, findings fail it before any step runs.
	if f, err := runChecks(ctx, p, false); err != nil {
		return nil, err
	} else if err := warnFindings(ctx, src, sm, m, f, checkCfg.Error); err != nil {
		return nil, err
	}
	for _, a := range resolve.UnusedArgs(m, bc.BuildArgs) {
		opts := gwclient.WarnOpts{Detail: [][]byte{[]byte("declare it under args: in the manifest to pass it to the build steps")}}
		if m.Args.Range.Known() {
			opts.Range = []*pb.Range{pbRange(m.Args.Range)}
		}
		src.Warn(ctx, fmt.Sprintf("build arg %s is not declared in %s: no step sees it", a, m.File), opts)
	}
	bc.TargetPlatforms = tps
	if len(tps) > 1 {
		bc.MultiPlatformRequested = true
	}

	epoch, err := sourceDateEpoch(ctx, bc)
	if err != nil {
		return nil, err
	}
	labels := imageLabels(bc)
	self, err := currentFrontend(c)
	if err != nil {
		return nil, err
	}

	named := namedImage(bc)
	// Every target's images first: one not published for a platform fails
	// the build before any step of any platform runs. The compilation
	// below reuses what this resolved.
	for _, t := range p.Targets {
		err := compile.CheckImages(ctx, t, compile.Options{Resolver: resolver, ResolveMode: bc.ImageResolveMode.String(), PlatformPrefix: bc.MultiPlatformRequested, Named: named})
		var pe *compile.PlatformError
		if errors.As(err, &pe) {
			return nil, sourceError(sm, platformError(m, pe))
		}
		var le *compile.LockError
		if errors.As(err, &le) {
			return nil, sourceError(sm, &manifest.Error{File: m.File, Range: check.OriginRange(le.Origin), Msg: le.Error() + " in " + lockName,
				Hint: "the registry serves another image under the locked digest: check it, then run `distill lock` again"})
		}
		if err != nil {
			return nil, err
		}
	}

	scanner, err := sbomScanner(ctx, c, bc, buildPlatform)
	if err != nil {
		return nil, err
	}
	var scans sync.Map // platform id → scanTargets
	rb, err := bc.Build(ctx, func(ctx context.Context, platform *ocispecs.Platform, _ int) (*dockerui.BuildResult, error) {
		target, err := targetFor(p, platform, buildPlatform)
		if err != nil {
			return nil, err
		}
		res, err := compile.Target(ctx, target, compile.Options{
			Probe:          prober(c, bc),
			Frontend:       self,
			Context:        *buildCtx,
			SourceMap:      sm,
			Resolver:       resolver,
			ResolveMode:    bc.ImageResolveMode.String(),
			CacheNS:        bc.CacheIDNamespace,
			PlatformPrefix: bc.MultiPlatformRequested,
			IgnoreCache:    bc.IsNoCache(""),
			NoCacheStage:   bc.IsNoCache,
			Labels:         labels,
			Epoch:          epoch,
			Named:          named,
			Exec: compile.Exec{ExtraHosts: bc.ExtraHosts, Network: bc.NetworkMode, ShmSize: bc.ShmSize, Ulimits: bc.Ulimits,
				CgroupParent: bc.CgroupParent, Devices: bc.Devices},
		})
		var pe *compile.PlatformError
		if errors.As(err, &pe) {
			return nil, sourceError(sm, platformError(m, pe))
		}
		if err != nil {
			return nil, err
		}
		st, img, base := res.State, res.Image, res.Base
		extras := map[string]llb.State{}
		if bc.Target == TargetBuild {
			st, img, base = res.Builder, res.BuilderImage, nil
		} else if scanStage(bc.BuildArgs) {
			extras["builder"] = res.Builder
		}
		if scanContext(bc.BuildArgs) {
			extras["context"] = *buildCtx
		}
		scans.Store(platformID(platform, buildPlatform), scanTargets{core: st, extras: extras})
		ref, err := solve(ctx, c, st, bc.CacheImports, llb.Platform(*platform))
		if err != nil {
			return nil, err
		}
		return &dockerui.BuildResult{Reference: ref, Image: img, BaseImage: base, Epoch: epoch}, nil
	})
	if err != nil {
		return nil, err
	}
	if scanner != nil {
		if err := attachSBOMs(ctx, c, rb, scanner, &scans, bc.IsNoCache("")); err != nil {
			return nil, err
		}
	}
	return rb.Finalize()
}

// namedImage looks an image reference up in the client's named build
// contexts (--build-context name=docker-image://…|oci-layout://…|dir),
// as the Dockerfile frontend does for FROM.
func namedImage(bc *dockerui.Client) func(context.Context, string, ocispecs.Platform) (*llb.State, *dockerspec.DockerOCIImage, digest.Digest, error) {
	return func(ctx context.Context, ref string, p ocispecs.Platform) (*llb.State, *dockerspec.DockerOCIImage, digest.Digest, error) {
		var dgst digest.Digest
		nc, err := bc.NamedContext(ref, dockerui.ContextOpt{Platform: &p, ResolveMode: bc.ImageResolveMode.String(), CaptureDigest: &dgst})
		if err != nil || nc == nil {
			return nil, nil, "", err
		}
		st, img, err := nc.Load(ctx)
		return st, img, dgst, err
	}
}

// solve marshals a state for the daemon's capabilities and solves it to
// its single reference.
func solve(ctx context.Context, c gwclient.Client, st llb.State, cacheImports []gwclient.CacheOptionsEntry, opts ...llb.ConstraintsOpt) (gwclient.Reference, error) {
	def, err := st.Marshal(ctx, append([]llb.ConstraintsOpt{llb.WithCaps(c.BuildOpts().LLBCaps)}, opts...)...)
	if err != nil {
		return nil, err
	}
	res, err := c.Solve(ctx, gwclient.SolveRequest{Definition: def.ToPB(), CacheImports: cacheImports})
	if err != nil {
		return nil, err
	}
	return res.SingleRef()
}

// solveContext makes the build context readable for providers (go.mod,
// sources for cgo detection). Build steps use the same local source, so it
// is transferred once.
func solveContext(ctx context.Context, c gwclient.Client, bc *dockerui.Client, st llb.State) (contextfs.Ref, error) {
	ref, err := solve(ctx, c, st, bc.CacheImports)
	if err != nil {
		return contextfs.Ref{}, fmt.Errorf("loading the build context: %w", err)
	}
	return contextfs.Ref{Ref: ref}, nil
}

func targetFor(p *plan.Plan, platform *ocispecs.Platform, def ocispecs.Platform) (plan.Target, error) {
	want := def
	if platform != nil {
		want = *platform
	}
	id := platforms.Format(platforms.Normalize(want))
	for _, t := range p.Targets {
		if t.Platform == id {
			return t, nil
		}
	}
	return plan.Target{}, fmt.Errorf("no plan for platform %s", id)
}

func listTargets() *targets.List {
	return &targets.List{Targets: []targets.Target{
		{Name: TargetRuntime, Default: true, Description: "the app on its distroless runtime"},
		{Name: TargetDebug, Description: "the same app on the runtime's :debug variant (busybox shell in /busybox)"},
		{Name: TargetBuild, Description: "the builder after every build step, for inspecting what the image is collected from"},
	}}
}

// imageLabels are the labels from the client: --label and the VCS info
// buildx sends.
func imageLabels(bc *dockerui.Client) map[string]string {
	labels := map[string]string{}
	opts := bc.BuildOpts().Opts
	if v := opts["vcs:source"]; v != "" {
		labels["org.opencontainers.image.source"] = v
	}
	if v := opts["vcs:revision"]; v != "" {
		labels["org.opencontainers.image.revision"] = v
	}
	for k, v := range bc.Labels {
		labels[k] = v
	}
	return labels
}

// sourceDateEpoch is the image creation time: SOURCE_DATE_EPOCH in
// seconds (buildx passes the variable of its environment as this build
// arg), or "context" for the main context's time (a git context's commit
// time, an HTTP context's Last-Modified), as for Dockerfiles. Unset, a
// remote context's time is the default; a local context has none (the
// build's time).
func sourceDateEpoch(ctx context.Context, bc *dockerui.Client) (*time.Time, error) {
	v, ok := bc.BuildArgs["SOURCE_DATE_EPOCH"]
	switch {
	case ok && v == "context", !ok && remoteContext(bc.BuildOpts().Opts["context"]):
		t, err := bc.ResolveMainContextSourceDateEpoch(ctx)
		if err != nil {
			return nil, fmt.Errorf("SOURCE_DATE_EPOCH from the build context: %w", err)
		}
		if t != nil {
			u := t.UTC()
			return &u, nil
		}
		return nil, nil
	case !ok || v == "":
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("invalid SOURCE_DATE_EPOCH %q: want seconds since 1970, or context", v)
	}
	t := time.Unix(n, 0).UTC()
	return &t, nil
}

// remoteContext reports whether the main context is a git repository or
// an HTTP URL rather than the client's directory.
func remoteContext(ctxOpt string) bool {
	return strings.HasPrefix(ctxOpt, "git") || strings.HasPrefix(ctxOpt, "http://") || strings.HasPrefix(ctxOpt, "https://") || strings.HasSuffix(ctxOpt, ".git")
}

// sourceError attaches the manifest lines of every manifest error in err.
func sourceError(sm *sourcemap.Map, err error) error {
	var ranges []sourcemap.Range
	for _, e := range manifest.Errors(err) {
		r := e.Range
		if r.Known() {
			ranges = append(ranges, sourcemap.Range{StartLine: r.Start.Line, StartColumn: r.Start.Column, EndLine: r.End.Line, EndColumn: r.End.Column})
		}
	}
	if len(ranges) == 0 {
		return err
	}
	return sm.WithSource(err, ranges...)
}

// currentFrontend is the frontend's own image, for steps that run its
// helper subcommands: what BuildKit reports (CurrentFrontend), else the
// image named by the gateway's "source" option.
func currentFrontend(c gwclient.Client) (*llb.State, error) {
	// The gateway's gRPC client has it, outside the Client interface.
	if cf, ok := c.(interface{ CurrentFrontend() (*llb.State, error) }); ok {
		st, err := cf.CurrentFrontend()
		if err != nil {
			return nil, fmt.Errorf("reading the frontend's own image: %w", err)
		}
		if st != nil {
			return st, nil
		}
	}
	if ref := c.BuildOpts().Opts["source"]; ref != "" {
		img := llb.Image(ref, llb.WithCustomName("[internal] load distill helper "+ref))
		return &img, nil
	}
	return nil, nil
}

// prober solves a builder state and reads one of its files, for steps that
// report whether they could do their work (compile.Options.Probe). The
// solve is the real build up to that step: its result is cached and
// reused when the build goes on from it.
func prober(c gwclient.Client, bc *dockerui.Client) func(context.Context, llb.State, string) ([]byte, error) {
	return func(ctx context.Context, st llb.State, path string) ([]byte, error) {
		ref, err := solve(ctx, c, st, bc.CacheImports)
		if err != nil {
			return nil, err
		}
		return ref.ReadFile(ctx, gwclient.ReadRequest{Filename: path})
	}
}

// platformError points an image missing for a target platform at the
// manifest line that chose the platforms when written, else at the one
// that chose the image.
func platformError(m *manifest.Manifest, pe *compile.PlatformError) error {
	r := check.OriginRange(pe.Origin)
	if m.Platforms.Set() {
		r = m.Platforms.Range
	}
	return &manifest.Error{File: m.File, Range: r,
		Msg:  fmt.Sprintf("the %s image %s is not published for %s", pe.Role, pe.Ref, pe.Platform),
		Hint: "build for the platforms it is published for: " + strings.Join(pe.Available, ", "),
	}
}
