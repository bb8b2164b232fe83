package frontend

import (
	"cmp"
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/lock"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/resolve"
	"github.com/distill-build/distill/frontend/version"
	"github.com/distill-build/distill/llb/compile"
	"github.com/distill-build/distill/llb/plan"
	"github.com/moby/buildkit/frontend/subrequests/outline"
)

// outlineRoute answers `--call=outline` from the plan (with the lock).
func outlineRoute(ctx context.Context, r *request) (*outline.Outline, error) {
	p, _, err := r.plan(ctx, false)
	if err != nil {
		return nil, sourceError(r.sm, err)
	}
	return outlineOf(p, r.manifest, r.src.Data, compile.DefaultCASecret, r.bc.CacheIDNamespace, r.args), nil
}

// outlineOf is the answer to `--call=outline`: what a build of the plan
// takes from the client besides the context, each with the manifest lines
// that cause it: the build secrets its steps may use (all optional, as the
// steps mount them), the cache mounts, and the build arguments distill
// reads. Sources holds the manifest, the file the locations point into.
func outlineOf(p *plan.Plan, m *manifest.Manifest, manifestData []byte, caSecret, cacheNS string, args map[string]string) *outline.Outline {
	o := &outline.Outline{
		Name:        TargetRuntime,
		Description: fmt.Sprintf("the %s app's image, on its runtime base (the default target)", p.Language),
		Sources:     [][]byte{manifestData},
	}
	if m.Detected != "" {
		o.Description = fmt.Sprintf("the %s app's image (language detected from %s), on its runtime base (the default target)", p.Language, m.Detected)
	}
	o.Description += fmt.Sprintf("; planned by distill %s", version.String())
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
	for _, v := range m.Args.Vars {
		a := outline.Arg{Name: v.Name.Value, Description: "declared in " + m.File + ": every build step sees it", Value: v.Value.Value, Location: rangeLocation(v.Name.Range)}
		if g, ok := args[v.Name.Value]; ok {
			a.Value = g
		}
		o.Args = append(o.Args, a)
	}
	o.Args = append(o.Args, outline.Arg{
		Name:        "SOURCE_DATE_EPOCH",
		Description: "image creation time in seconds since 1970 (reproducible builds); default: the commit time buildx sends, else the build's time",
		Value:       args["SOURCE_DATE_EPOCH"],
	}, outline.Arg{
		Name:        "DISTILL_LOCK",
		Description: "false builds from the tags, ignoring " + lock.Name(path.Base(m.File)),
		Value:       cmp.Or(args["DISTILL_LOCK"], "true"),
	})
	for _, k := range resolve.ProxyArgs {
		if v, ok := args[k]; ok {
			o.Args = append(o.Args, outline.Arg{Name: k, Description: "proxy for the steps that download (predefined)", Value: v})
		}
	}
	for _, t := range p.Targets {
		for _, s := range plan.AllSteps(t.Steps) {
			if s.Run != nil && s.Run.SSH && len(o.SSH) == 0 {
				o.SSH = append(o.SSH, outline.SSH{Name: "default", Location: location(s.Origin)})
			}
		}
	}
	return o
}
