package frontend

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

type countingResolver struct {
	mu    sync.Mutex
	calls int
	// wait, when set, holds every answer until it is closed.
	wait chan struct{}
}

func (c *countingResolver) ResolveImageConfig(_ context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
	if c.wait != nil {
		<-c.wait
	}
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

// TestCachingResolverConcurrent: callers at once for the same image wait
// for one resolution (or, coming later, find its answer).
func TestCachingResolverConcurrent(t *testing.T) {
	t.Parallel()
	inner := &countingResolver{wait: make(chan struct{})}
	r := newCachingResolver(inner)
	opt := sourceresolver.Opt{ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &ocispecs.Platform{OS: "linux", Architecture: "amd64"}}}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, _, errs[i] = r.ResolveImageConfig(context.Background(), "img", opt)
		}()
	}
	time.Sleep(10 * time.Millisecond)
	close(inner.wait)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	if inner.calls != 1 {
		t.Errorf("%d resolves, want 1", inner.calls)
	}
}
