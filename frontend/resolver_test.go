package frontend

import (
	"context"
	"errors"
	"testing"

	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

type countingResolver struct{ calls int }

func (c *countingResolver) ResolveImageConfig(_ context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	c.calls++
	if ref == "missing" {
		return "", "", nil, errors.New("not found")
	}
	return ref, digest.FromString(ref + opt.ImageOpt.Platform.Architecture), []byte("{}"), nil
}

func TestCachingResolver(t *testing.T) {
	t.Parallel()
	inner := &countingResolver{}
	r := newCachingResolver(inner)
	opt := func(arch string) sourceresolver.Opt {
		return sourceresolver.Opt{ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &ocispecs.Platform{OS: "linux", Architecture: arch}}}
	}
	for range 3 {
		if _, d, _, err := r.ResolveImageConfig(context.Background(), "img", opt("amd64")); err != nil || d != digest.FromString("imgamd64") {
			t.Fatalf("digest %s, %v", d, err)
		}
	}
	if _, d, _, _ := r.ResolveImageConfig(context.Background(), "img", opt("arm64")); d != digest.FromString("imgarm64") {
		t.Errorf("arm64 answered with %s", d)
	}
	for range 2 {
		if _, _, _, err := r.ResolveImageConfig(context.Background(), "missing", opt("amd64")); err == nil {
			t.Error("no error for a missing image")
		}
	}
	if inner.calls != 4 {
		t.Errorf("%d resolves, want 4 (amd64 once, arm64 once, each failure asked again)", inner.calls)
	}
}
