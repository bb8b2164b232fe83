package frontend

import (
	"context"
	"sync"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/opencontainers/go-digest"
)

// cachingResolver remembers image configs for the length of one build:
// the images every target is checked against before building are the ones
// it compiles with, resolved once. The checks resolve at once, so a
// resolution under way is waited for, not asked again; a failure is
// shared with those waiting, then forgotten (a later call asks again).
type cachingResolver struct {
	r  llb.ImageMetaResolver
	mu sync.Mutex
	m  map[string]*resolveCall
}

// resolveCall is one resolution: done is closed when it has its answer.
type resolveCall struct {
	done   chan struct{}
	ref    string
	digest digest.Digest
	config []byte
	err    error
}

var _ llb.ImageMetaResolver = (*cachingResolver)(nil)

func newCachingResolver(r llb.ImageMetaResolver) *cachingResolver {
	return &cachingResolver{r: r, m: map[string]*resolveCall{}}
}

// ResolveImageConfig implements llb.ImageMetaResolver.
func (c *cachingResolver) ResolveImageConfig(ctx context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	key := ref
	if io := opt.ImageOpt; io != nil {
		if io.Platform != nil {
			key += "|" + platforms.Format(platforms.Normalize(*io.Platform))
		}
		key += "|" + io.ResolveMode
	}
	c.mu.Lock()
	call, ok := c.m[key]
	if !ok {
		call = &resolveCall{done: make(chan struct{})}
		c.m[key] = call
	}
	c.mu.Unlock()
	if ok {
		select {
		case <-call.done:
		case <-ctx.Done():
			return "", "", nil, ctx.Err()
		}
		return call.ref, call.digest, call.config, call.err
	}
	call.ref, call.digest, call.config, call.err = c.r.ResolveImageConfig(ctx, ref, opt)
	if call.err != nil {
		c.mu.Lock()
		delete(c.m, key)
		c.mu.Unlock()
	}
	close(call.done)
	return call.ref, call.digest, call.config, call.err
}
