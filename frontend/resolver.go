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
// it compiles with, resolved once. Failures are not remembered.
type cachingResolver struct {
	r  llb.ImageMetaResolver
	mu sync.Mutex
	m  map[string]resolvedImage
}

type resolvedImage struct {
	ref    string
	digest digest.Digest
	config []byte
}

var _ llb.ImageMetaResolver = (*cachingResolver)(nil)

func newCachingResolver(r llb.ImageMetaResolver) *cachingResolver {
	return &cachingResolver{r: r, m: map[string]resolvedImage{}}
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
	got, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return got.ref, got.digest, got.config, nil
	}
	r, d, cfg, err := c.r.ResolveImageConfig(ctx, ref, opt)
	if err != nil {
		return r, d, cfg, err
	}
	c.mu.Lock()
	c.m[key] = resolvedImage{ref: r, digest: d, config: cfg}
	c.mu.Unlock()
	return r, d, cfg, nil
}
