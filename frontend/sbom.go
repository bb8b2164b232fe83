package frontend

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/attestations/sbom"
	"github.com/moby/buildkit/frontend/dockerui"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/result"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// scanTargets is what the SBOM of one platform's image is made from: the
// image itself (core) and, by BuildKit's scanner-extras convention, the
// states that made it (extras, each mounted at
// /run/src/extras/sbom-<name>).
type scanTargets struct {
	core   llb.State
	extras map[string]llb.State
}

// sbomScanner is BuildKit's SBOM scanner when the client asked for an SBOM
// (--sbom / attest:sbom), run on the build platform as the Dockerfile
// frontend does; nil otherwise.
func sbomScanner(ctx context.Context, c gwclient.Client, bc *dockerui.Client, buildPlatform ocispecs.Platform) (sbom.Scanner, error) {
	if bc.SBOM == nil {
		return nil, nil
	}
	s, err := sbom.CreateSBOMScanner(ctx, c, bc.SBOM.Generator, buildPlatform, sourceresolver.Opt{
		ImageOpt: &sourceresolver.ResolveImageOpt{ResolveMode: bc.ImageResolveMode.String(), Platform: &buildPlatform},
	}, bc.SBOM.Parameters)
	if err != nil {
		return nil, fmt.Errorf("resolving the SBOM scanner %s: %w", bc.SBOM.Generator, err)
	}
	return s, nil
}

// scanStage reports whether the builder stage goes into the SBOM as an
// extra: by default, as it is what the runtime's artifacts come from
// (BUILDKIT_SBOM_SCAN_STAGE=false leaves it out).
func scanStage(args map[string]string) bool {
	return boolArg(args, "BUILDKIT_SBOM_SCAN_STAGE", true)
}

// scanContext reports whether the build context is scanned too
// (BUILDKIT_SBOM_SCAN_CONTEXT=true, as for Dockerfiles).
func scanContext(args map[string]string) bool {
	return boolArg(args, "BUILDKIT_SBOM_SCAN_CONTEXT", false)
}

func boolArg(args map[string]string, name string, def bool) bool {
	v, ok := args[name]
	if !ok || v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return def
	}
	return b
}

// attachSBOMs scans every platform's image and attaches the SBOM to it;
// each platform runs on its own goroutine, guarded against panics as a
// build of file.
func attachSBOMs(ctx context.Context, c gwclient.Client, file string, rb *dockerui.ResultBuilder, scanner sbom.Scanner, scans *sync.Map, noCache bool) error {
	return rb.EachPlatform(ctx, func(ctx context.Context, id string, _ ocispecs.Platform) error {
		_, err := guarded(file, func() (struct{}, error) { return struct{}{}, attachSBOM(ctx, c, rb, scanner, scans, noCache, id) })
		return err
	})
}

// attachSBOM scans one platform's image and attaches the SBOM to it.
func attachSBOM(ctx context.Context, c gwclient.Client, rb *dockerui.ResultBuilder, scanner sbom.Scanner, scans *sync.Map, noCache bool, id string) error {
	v, ok := scans.Load(id)
	if !ok {
		return fmt.Errorf("no SBOM scan targets for %s", id)
	}
	t := v.(scanTargets)
	var opts []llb.ConstraintsOpt
	if noCache {
		opts = append(opts, llb.IgnoreCache)
	}
	att, err := scanner(ctx, id, t.core, t.extras, opts...)
	if err != nil {
		return err
	}
	solved, err := result.ConvertAttestation(&att, func(st *llb.State) (gwclient.Reference, error) {
		return solve(ctx, c, *st, nil)
	})
	if err != nil {
		return fmt.Errorf("generating the SBOM of %s: %w", id, err)
	}
	rb.AddAttestation(id, *solved)
	return nil
}
