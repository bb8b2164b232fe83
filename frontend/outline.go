package frontend

import (
	"fmt"
	"slices"
	"strings"

	"github.com/distill-build/distill/llb/plan"
	"github.com/distill-build/distill/llb/sourcemap"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/solver/pb"
)

// outlineOf is the answer to `--call=outline`: what a build of the plan
// takes from the client besides the context, each with the manifest lines
// that cause it: the build secrets its steps may use (all optional, as the
// steps mount them), the cache mounts, and the build arguments distill
// reads. Sources holds the manifest, the file the locations point into.
func outlineOf(p *plan.Plan, manifestData []byte, caSecret, cacheNS string, args map[string]string) *outline.Outline {
	o := &outline.Outline{
		Name:        TargetRuntime,
		Description: fmt.Sprintf("the %s app's image, on its runtime base (the default target)", p.Language),
		Sources:     [][]byte{manifestData},
	}
	secrets := map[string]bool{}
	caches := map[string]bool{}
	for _, t := range p.Targets {
		for _, s := range plan.AllSteps(t.Steps) {
			if s.Run == nil {
				continue
			}
			loc := location(s.Origin)
			if s.Run.Network && !secrets[caSecret] {
				secrets[caSecret] = true
				o.Secrets = append(o.Secrets, outline.Secret{Name: caSecret, Location: loc})
			}
			for _, sec := range s.Run.Secrets {
				if !secrets[sec.ID] {
					secrets[sec.ID] = true
					o.Secrets = append(o.Secrets, outline.Secret{Name: sec.ID, Location: loc})
				}
			}
			for _, c := range s.Run.Caches {
				id := cacheNS + "distill-" + c.ID
				if !caches[id] {
					caches[id] = true
					o.Cache = append(o.Cache, outline.CacheMount{ID: id, Location: loc})
				}
			}
		}
	}
	slices.SortFunc(o.Secrets, func(a, b outline.Secret) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(o.Cache, func(a, b outline.CacheMount) int { return strings.Compare(a.ID, b.ID) })
	o.Args = []outline.Arg{{
		Name:        "SOURCE_DATE_EPOCH",
		Description: "image creation time in seconds since 1970 (reproducible builds); default: the build's time",
		Value:       args["SOURCE_DATE_EPOCH"],
	}}
	return o
}

// location points at an origin's manifest lines (source 0, the manifest).
func location(o plan.Origin) *pb.Location {
	r := sourcemap.OriginRange(o)
	if r == nil {
		return nil
	}
	return &pb.Location{SourceIndex: 0, Ranges: []*pb.Range{r}}
}
