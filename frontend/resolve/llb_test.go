package resolve

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/distill-build/distill/llb/compile"
	"github.com/distill-build/distill/llb/plan"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
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
	var out [][]byte
	for _, def := range targetDefs(t, examplePlan(t, dir, Options{
		Platforms:     []ocispecs.Platform{amd64, {OS: "linux", Architecture: "arm64"}},
		BuildPlatform: amd64,
	})) {
		out = append(out, def...)
	}
	return out
}

// targetDefs compiles each target of p: its LLB ops, marshaled.
func targetDefs(t *testing.T, p *plan.Plan) [][][]byte {
	t.Helper()
	self := llb.Image("ghcr.io/distill-build/distill:1")
	var out [][][]byte
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
		out = append(out, def.Def)
	}
	return out
}

// TestJSOnlyInstallShared: a lock of JavaScript only installs the same
// files for every platform, so both targets' install is one op (BuildKit
// runs it once); a lock with an install script installs per platform.
func TestJSOnlyInstallShared(t *testing.T) {
	t.Parallel()
	for example, shared := range map[string]bool{"node-express": true, "node-native": false} {
		var installs []digest.Digest
		for _, def := range targetDefs(t, examplePlan(t, filepath.Join("../../examples", example), Options{
			Platforms: []ocispecs.Platform{amd64, {OS: "linux", Architecture: "arm64"}}, BuildPlatform: amd64,
		})) {
			for _, b := range def {
				var op pb.Op
				if err := op.UnmarshalVT(b); err != nil {
					t.Fatal(err)
				}
				if e := op.GetExec(); e != nil && slices.Contains(e.Meta.Args, "ci") && slices.Contains(e.Meta.Args, "--omit=dev") {
					installs = append(installs, digest.FromBytes(b))
				}
			}
		}
		if len(installs) != 2 {
			t.Fatalf("%s: %d npm ci ops, want one per target", example, len(installs))
		}
		if got := installs[0] == installs[1]; got != shared {
			t.Errorf("%s: both targets' install one op = %v, want %v", example, got, shared)
		}
	}
}
