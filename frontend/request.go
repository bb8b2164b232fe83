package frontend

import (
	"cmp"
	"context"
	"fmt"
	"path"
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

	args          map[string]string
	target        string // the --target asked for, "" for the default
	resolveMode   string
	resolver      *cachingResolver
	buildPlatform ocispecs.Platform
	// platforms are the target platforms the plan and dockerui's
	// per-platform loop both follow; platformsErr, when the manifest's
	// platforms are wrong, is reported by the routes that plan.
	platforms    []ocispecs.Platform
	platformsErr error

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
	if r.manifest, err = manifest.Parse(r.src.Filename, r.src.Data); err != nil {
		return nil, sourceError(r.sm, err)
	}
	if lockOn(r.args) {
		if r.lock, err = readLock(ctx, c, r.src.SourceMap.State, path.Join(path.Dir(r.src.Filename), r.lockName)); err != nil {
			return nil, err
		}
	}
	if r.checks, err = checkConfig(r.manifest, r.args); err != nil {
		return nil, sourceError(r.sm, err)
	}
	r.buildPlatform = platforms.DefaultSpec()
	if len(bc.BuildPlatforms) > 0 {
		r.buildPlatform = bc.BuildPlatforms[0]
	}
	r.platforms, r.platformsErr = resolve.TargetPlatforms(r.manifest, resolve.Options{Platforms: bc.TargetPlatforms, BuildPlatform: r.buildPlatform})
	if r.platformsErr != nil {
		r.platformsErr = sourceError(r.sm, r.platformsErr)
	}
	return r, nil
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
// while planning.
func (r *request) plan(ctx context.Context, unlocked bool) (*plan.Plan, []check.Finding, error) {
	_, fsys, err := r.context(ctx)
	if err != nil {
		return nil, nil, err
	}
	if r.platformsErr != nil {
		return nil, nil, r.platformsErr
	}
	opts := resolve.Options{Platforms: r.platforms, BuildPlatform: r.buildPlatform, Debug: r.target == TargetDebug, BuildArgs: r.args}
	if !unlocked {
		opts.Lock = r.lock
	}
	p, findings, err := resolve.Checked(ctx, r.manifest, fsys, opts)
	if err != nil {
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
