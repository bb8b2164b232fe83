package frontend

import (
	"context"
	"fmt"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/frontend/lock"
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
// resolved anew.
func lockRoute(ctx context.Context, r *request) (*gwclient.Result, error) {
	p, _, err := r.plan(ctx, true)
	if err != nil {
		return nil, sourceError(r.sm, err)
	}
	return lockResult(ctx, r.resolver, p, r.resolveMode)
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

// lockResult resolves every image of the plan for its platform and
// answers with the lock file.
func lockResult(ctx context.Context, res llb.ImageMetaResolver, p *plan.Plan, resolveMode string) (*gwclient.Result, error) {
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
	out := f.Marshal()
	r := gwclient.NewResult()
	r.AddMeta("result.json", out)
	r.AddMeta("result.txt", out)
	return r, nil
}
