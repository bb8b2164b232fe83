package frontend

import (
	"context"
	"fmt"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/frontend/lock"
	"github.com/distill-build/distill/llb/compile"
	"github.com/distill-build/distill/llb/plan"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/opencontainers/go-digest"
)

// RequestLock is the subrequest `docker buildx build --call=lock` sends:
// its answer is the manifest's distill.lock, resolved by the builder.
const RequestLock = "frontend.lock"

// lockRoute answers `--call=lock`: the plan without the lock, its images
// resolved anew and its lock steps run (what runtime-packages downloads).
func lockRoute(ctx context.Context, r *request) (*gwclient.Result, error) {
	p, _, err := r.plan(ctx, true)
	if err != nil {
		return nil, sourceError(r.sm, err)
	}
	f, err := lockImages(ctx, r.resolver, p, r.resolveMode)
	if err != nil {
		return nil, err
	}
	for _, t := range p.Targets {
		for _, l := range t.Locks {
			ps, err := r.runLock(ctx, t, l)
			if err != nil {
				return nil, err
			}
			f.Packages = append(f.Packages, ps)
		}
	}
	out := f.Marshal()
	res := gwclient.NewResult()
	res.AddMeta("result.json", out)
	res.AddMeta("result.txt", out)
	return res, nil
}

// runLock runs one of a target's lock steps (the builder asked what it
// would download today) and reads its answer.
func (r *request) runLock(ctx context.Context, t plan.Target, l plan.Lock) (lock.Packages, error) {
	if l.Kind != lock.KindDebian {
		return lock.Packages{}, fmt.Errorf("lock step of kind %q is unknown to this frontend", l.Kind)
	}
	o, err := r.compileOptions(ctx)
	if err != nil {
		return lock.Packages{}, err
	}
	st, err := compile.Lock(ctx, t, l, o)
	if err != nil {
		return lock.Packages{}, err
	}
	ref, err := solve(ctx, r.c, st, r.bc.CacheImports)
	if err != nil {
		return lock.Packages{}, err
	}
	data, err := ref.ReadFile(ctx, gwclient.ReadRequest{Filename: l.Output})
	if err != nil {
		return lock.Packages{}, err
	}
	return lock.ParsePackages(t.Platform, data)
}

// lockOn reports whether the lock is honoured: by default;
// --build-arg DISTILL_LOCK=false builds from the tags.
func lockOn(args map[string]string) bool { return boolArg(args, "DISTILL_LOCK", true) }

// readLock reads the manifest's lock from the manifest's source, nil when
// there is none.
func readLock(ctx context.Context, c gwclient.Client, st *llb.State, name string) (*lock.File, error) {
	if st == nil {
		return nil, nil
	}
	ref, err := solve(ctx, c, *st, nil)
	if err != nil || ref == nil {
		return nil, err
	}
	if _, err := ref.StatFile(ctx, gwclient.StatRequest{Path: name}); err != nil {
		return nil, nil // no lock
	}
	data, err := ref.ReadFile(ctx, gwclient.ReadRequest{Filename: name})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return lock.Parse(name, data)
}

// lockImages resolves every image of the plan for its platform: the
// lock's images.
func lockImages(ctx context.Context, res llb.ImageMetaResolver, p *plan.Plan, resolveMode string) (*lock.File, error) {
	f := &lock.File{Version: lock.Version}
	for _, im := range lock.Images(p) {
		pl, err := platforms.Parse(im.Platform)
		if err != nil {
			return nil, err
		}
		_, dgst, cfg, err := res.ResolveImageConfig(ctx, im.Ref, sourceresolver.Opt{
			LogName:  fmt.Sprintf("[lock] resolve %s for %s", im.Ref, im.Platform),
			ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &pl, ResolveMode: resolveMode},
		})
		if err != nil {
			return nil, fmt.Errorf("resolving %s for %s: %w", im.Ref, im.Platform, err)
		}
		i := -1
		for j, e := range f.Images {
			if e.Ref == im.Ref {
				i = j
			}
		}
		if i < 0 {
			f.Images = append(f.Images, lock.Image{Ref: im.Ref, Digest: dgst.String(), Platforms: map[string]string{}})
			i = len(f.Images) - 1
		}
		if f.Images[i].Digest != dgst.String() {
			return nil, fmt.Errorf("%s resolved to %s and %s while locking: its tag moved, run the lock again", im.Ref, f.Images[i].Digest, dgst)
		}
		f.Images[i].Platforms[im.Platform] = digest.FromBytes(cfg).String()
	}
	return f, nil
}
