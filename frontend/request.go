package frontend

import (
	"cmp"
	"context"
	"fmt"
	"path"
	"slices"
	"sync"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/lock"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/frontend/resolve"
	"github.com/distill-build/distill/llb/plan"
	"github.com/distill-build/distill/llb/sourcemap"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// request is one call of the frontend worked out once: the manifest and
// its lock, the options and the platforms, read by newRequest before any
// route runs. Routes read it; only the build context is loaded later, on
// first use, as the targets route never needs it.
type request struct {
	c  gwclient.Client // with the capability checks (caps.go)
	bc *dockerui.Client

	// src is the manifest as read from the client, sm its source map.
	src      *dockerui.Source
	sm       *sourcemap.Map
	manifest *manifest.Manifest
	// lockName is the lock's file name (distill.lock beside distill.yaml);
	// lock is nil when there is none or DISTILL_LOCK=false.
	lockName string
	lock     *lock.File
	// checks is the check directive in force (the build arg's or the
	// manifest's).
	checks manifest.CheckDirective
	// problems are what newRequest found wrong besides the manifest's
	// own errors (Manifest.Err): plan reports them with the rest.
	problems manifest.Errs

	args          map[string]string
	target        string // the --target asked for, "" for the default
	resolveMode   string
	resolver      *cachingResolver
	buildPlatform ocispecs.Platform
	// platforms are the target platforms the plan and dockerui's
	// per-platform loop both follow (none when the manifest's are wrong:
	// planning finds them wrong again and says so with the rest).
	platforms []ocispecs.Platform

	buildCtx buildContext
}

// buildContext is the main build context, loaded once: its state for the
// build steps and its files for the providers.
type buildContext struct {
	once  sync.Once
	state *llb.State
	fs    providers.FS
	// root is the app's root in the context (approot.go); narrow, when
	// set, makes the build's context the files its plan reads.
	root   string
	narrow bool
	err    error
}

// manifestFile is the manifest's path in the dockerfile local, as the
// client names it.
func manifestFile(c gwclient.Client) string {
	return cmp.Or(c.BuildOpts().Opts["filename"], manifest.DefaultFilename)
}

// newRequest reads the manifest, its .dockerignore and its lock from the
// manifest's directory (the dockerfile local) and works out the options.
func newRequest(ctx context.Context, c gwclient.Client) (*request, error) {
	bc, err := dockerui.NewClient(c)
	if err != nil {
		return nil, fmt.Errorf("reading build options: %w", err)
	}
	filename := manifestFile(c)
	r := &request{c: c, bc: bc, lockName: lock.Name(path.Base(filename)),
		args: bc.BuildArgs, target: bc.Target, resolveMode: bc.ImageResolveMode.String(), resolver: newCachingResolver(c)}
	r.src, err = bc.ReadEntrypoint(ctx, "yaml", llb.FollowPaths([]string{filename, filename + ".dockerignore", path.Join(path.Dir(filename), r.lockName)}))
	if err != nil {
		return nil, err
	}
	r.sm = sourcemap.New(r.src.SourceMap)
	// A manifest with mistakes is read on when it is a mapping of fields:
	// the routes report every mistake at once (request.fail).
	if r.manifest, err = manifest.Parse(r.src.Filename, r.src.Data); r.manifest == nil {
		return nil, sourceError(r.sm, err)
	}
	if lockOn(r.args) {
		if r.lock, err = readLock(ctx, c, r.src.SourceMap.State, path.Join(path.Dir(r.src.Filename), r.lockName)); err != nil {
			return nil, err
		}
	}
	r.checks, err = checkConfig(r.manifest, r.args)
	r.problems.Add(err)
	r.buildPlatform = platforms.DefaultSpec()
	if len(bc.BuildPlatforms) > 0 {
		r.buildPlatform = bc.BuildPlatforms[0]
	}
	r.platforms, _ = resolve.TargetPlatforms(r.manifest, resolve.Options{Platforms: bc.TargetPlatforms, BuildPlatform: r.buildPlatform})
	return r, nil
}

// errs is every mistake of the manifest found so far, with err's (nil:
// none), in file order; nil when there is none.
func (r *request) errs(err error) error {
	return r.manifest.Err(append(slices.Clone(r.problems), err)...)
}

// fail is errs as the request's answer: a BuildKit error with the
// manifest's lines of each mistake (positions.go).
func (r *request) fail(err error) error {
	return sourceError(r.sm, r.errs(err))
}

// context loads the main build context once and makes it readable for
// the providers (solve.go).
func (r *request) context(ctx context.Context) (*llb.State, providers.FS, error) {
	bctx := &r.buildCtx
	bctx.once.Do(func() { bctx.err = r.loadContext(ctx, bctx) })
	return bctx.state, bctx.fs, bctx.err
}

// plan resolves the manifest for the target platforms, with the lock
// applied unless unlocked, and returns the findings the provider made
// while planning. Its error is every mistake of the manifest (errs), as
// manifest errors: the routes attach their lines (sourceError).
func (r *request) plan(ctx context.Context, unlocked bool) (*plan.Plan, []check.Finding, error) {
	_, fsys, err := r.context(ctx)
	if err != nil {
		return nil, nil, r.errs(err)
	}
	opts := resolve.Options{Platforms: r.platforms, BuildPlatform: r.buildPlatform, Debug: r.target == TargetDebug, BuildArgs: r.args}
	if !unlocked {
		opts.Lock = r.lock
	}
	p, findings, err := resolve.Checked(ctx, r.manifest, fsys, opts)
	if err := r.errs(err); err != nil {
		return nil, nil, err
	}
	if r.lock != nil && !unlocked {
		r.lock.Apply(p)
	}
	return p, findings, nil
}

// platformOf is the platform one of dockerui's per-platform callbacks
// builds (nil: the build platform), normalized.
func (r *request) platformOf(p *ocispecs.Platform) ocispecs.Platform {
	if p != nil {
		return platforms.Normalize(*p)
	}
	return platforms.Normalize(r.buildPlatform)
}
