package resolve

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/distill-build/distill/llb/compile"
	"github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestExampleLLBDeterministic compiles every example's plan, for amd64 and
// arm64, several times: the LLB definitions must be byte for byte equal.
func TestExampleLLBDeterministic(t *testing.T) {
	t.Parallel()
	for _, dir := range exampleDirs(t) {
		rel, _ := filepath.Rel("../../examples", dir)
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			first := exampleDefs(t, dir)
			for range 5 {
				next := exampleDefs(t, dir)
				if len(next) != len(first) {
					t.Fatalf("op count changed: %d != %d", len(next), len(first))
				}
				for i := range first {
					if !bytes.Equal(first[i], next[i]) {
						t.Fatalf("op %d differs between two compilations", i)
					}
				}
			}
		})
	}
}

func exampleDefs(t *testing.T, dir string) [][]byte {
	t.Helper()
	p := examplePlan(t, dir, Options{
		Platforms:     []ocispecs.Platform{amd64, {OS: "linux", Architecture: "arm64"}},
		BuildPlatform: amd64,
	})
	self := llb.Image("ghcr.io/distill-build/distill:1")
	var out [][]byte
	for _, tgt := range p.Targets {
		res, err := compile.Target(context.Background(), tgt, compile.Options{
			Context: llb.Local("context", llb.LocalUniqueID("test")), Frontend: &self, PlatformPrefix: true, CacheNS: "ns-",
		})
		if err != nil {
			t.Fatal(err)
		}
		def, err := res.State.Marshal(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, def.Def...)
	}
	return out
}
