package resolve

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/llb/compile"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// staticResolver answers every image config request at once with a
// minimal config for the platform asked, so a benchmark measures the
// frontend's own work, not a registry's.
type staticResolver struct{}

func (staticResolver) ResolveImageConfig(_ context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	p := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		p = *opt.ImageOpt.Platform
	}
	cfg := fmt.Sprintf(`{"architecture":%q,"os":%q,"config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Entrypoint":["/nodejs/bin/node"]},"rootfs":{"type":"layers"}}`, p.Architecture, p.OS)
	return ref, digest.FromString(ref + p.Architecture), []byte(cfg), nil
}

// BenchmarkLLB is the frontend's own cost: the time from an example's
// manifest to its marshalled LLB for linux/amd64 (manifest parsed, plan
// resolved from the context, target compiled), and, as the baseline of the
// same run, BuildKit's Dockerfile frontend converting the example's
// hand-written Dockerfile.seed the same way (image configs answered at
// once for both). make bench reports the ratio.
func BenchmarkLLB(b *testing.B) {
	dirs, err := filepath.Glob("../../examples/*/distill.yaml")
	if err != nil || len(dirs) == 0 {
		b.Fatalf("no examples found: %v", err)
	}
	ctx := context.Background()
	self := llb.Image("ghcr.io/distill-build/distill:1")
	for _, mf := range dirs {
		dir := filepath.Dir(mf)
		data, err := os.ReadFile(mf)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(filepath.Base(dir)+"/distill", func(b *testing.B) {
			for b.Loop() {
				m, err := manifest.Parse(manifest.DefaultFilename, data)
				if err != nil {
					b.Fatal(err)
				}
				p, err := Resolve(ctx, m, contextfs.Dir(dir), Options{Platforms: []ocispecs.Platform{amd64}, BuildPlatform: amd64})
				if err != nil {
					b.Fatal(err)
				}
				res, err := compile.Target(ctx, p.Targets[0], compile.Options{
					Context: llb.Local("context"), Frontend: &self, Resolver: staticResolver{},
				})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := res.State.Marshal(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
		seed, err := os.ReadFile(filepath.Join(dir, "Dockerfile.seed"))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			b.Fatal(err)
		}
		b.Run(filepath.Base(dir)+"/dockerfile", func(b *testing.B) {
			for b.Loop() {
				res, err := dockerfile2llb.Dockerfile2LLB(ctx, seed, dockerfile2llb.ConvertOpt{MetaResolver: staticResolver{}})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := res.State.Marshal(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
