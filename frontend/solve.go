package frontend

import (
	"context"
	"fmt"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
)

// solve marshals a state for the daemon's capabilities and solves it to
// its single reference.
func solve(ctx context.Context, c gwclient.Client, st llb.State, cacheImports []gwclient.CacheOptionsEntry, opts ...llb.ConstraintsOpt) (gwclient.Reference, error) {
	return solveWith(ctx, c, st, gwclient.SolveRequest{CacheImports: cacheImports}, opts...)
}

// solveWith is solve with the request's other fields (Evaluate) as req
// has them.
func solveWith(ctx context.Context, c gwclient.Client, st llb.State, req gwclient.SolveRequest, opts ...llb.ConstraintsOpt) (gwclient.Reference, error) {
	def, err := st.Marshal(ctx, append([]llb.ConstraintsOpt{llb.WithCaps(c.BuildOpts().LLBCaps)}, opts...)...)
	if err != nil {
		return nil, err
	}
	req.Definition = def.ToPB()
	res, err := c.Solve(ctx, req)
	if err != nil {
		return nil, err
	}
	return res.SingleRef()
}

// solveContext makes the build context readable for providers (their
// dependency files, sources they inspect). Build steps use the same local source, so it
// is transferred once.
func solveContext(ctx context.Context, c gwclient.Client, bc *dockerui.Client, st llb.State) (contextfs.Ref, error) {
	ref, err := solve(ctx, c, st, bc.CacheImports)
	if err != nil {
		return contextfs.Ref{}, fmt.Errorf("loading the build context: %w", err)
	}
	return contextfs.Ref{Ref: ref}, nil
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

// imageFiles answers the checks' questions about the runtime images by
// solving them (a pull, no build step) and statting files.
type imageFiles struct {
	c    gwclient.Client
	refs map[string]gwclient.Reference
}

func (im *imageFiles) Exists(ctx context.Context, ref, platform, p string) (bool, error) {
	key := ref + " " + platform
	r, ok := im.refs[key]
	if !ok {
		pl, err := platforms.Parse(platform)
		if err != nil {
			return false, err
		}
		if r, err = solve(ctx, im.c, llb.Image(ref, llb.Platform(pl), llb.WithCustomName("[check] load "+ref+" for "+platform)), nil); err != nil {
			return false, fmt.Errorf("loading %s for %s: %w", ref, platform, err)
		}
		im.refs[key] = r
	}
	if r == nil {
		return false, nil
	}
	_, err := r.StatFile(ctx, gwclient.StatRequest{Path: p})
	return err == nil, nil
}
