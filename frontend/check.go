package frontend

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/lock"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/frontend/resolve"
	"github.com/distill-build/distill/llb/plan"
	"github.com/distill-build/distill/llb/sourcemap"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerui"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/solver/pb"
)

// lintResults turns findings into `--call=check`'s answer; a planning
// error that is no rule's finding is its build error.
func lintResults(src *llb.SourceMap, findings []check.Finding, planErr error) *lint.LintResults {
	info := &pb.SourceInfo{Filename: src.Filename, Language: src.Language, Data: src.Data}
	if src.Definition != nil {
		info.Definition = src.Definition.ToPB()
	}
	res := &lint.LintResults{Warnings: []lint.Warning{}, Sources: []*pb.SourceInfo{info}}
	const idx = 0
	add := func(r check.Rule, detail string, mr manifest.Range) {
		w := lint.Warning{RuleName: r.Name, Description: r.Description, URL: r.URL(), Detail: detail, Location: &pb.Location{SourceIndex: -1}}
		if mr.Known() {
			w.Location = &pb.Location{SourceIndex: int32(idx), Ranges: []*pb.Range{pbRange(mr)}}
		}
		res.Warnings = append(res.Warnings, w)
	}
	for _, f := range findings {
		add(f.Rule, f.Detail(), f.Range)
	}
	var rest []*manifest.Error
	for _, e := range manifest.Errors(planErr) {
		if r, ok := ruleNamed(e.Rule); ok {
			add(r, errorDetail(e), e.Range)
		} else {
			rest = append(rest, e)
		}
	}
	switch {
	case planErr != nil && len(manifest.Errors(planErr)) == 0:
		res.Error = &lint.BuildError{Message: planErr.Error(), Location: pb.Location{SourceIndex: -1}}
	case len(rest) > 0:
		e := rest[0]
		res.Error = &lint.BuildError{Message: errorDetail(e), Location: pb.Location{SourceIndex: int32(idx)}}
		if e.Range.Known() {
			res.Error.Location.Ranges = []*pb.Range{pbRange(e.Range)}
		}
	}
	return res
}

// errorDetail is a manifest error's message and hint, without its
// location (the check output shows the lines).
func errorDetail(e *manifest.Error) string {
	return check.Finding{Msg: e.Msg, Hint: e.Hint}.Detail()
}

func pbRange(r manifest.Range) *pb.Range {
	return sourcemap.Range{StartLine: r.Start.Line, StartColumn: r.Start.Column, EndLine: r.End.Line, EndColumn: r.End.Column}.PB()
}

func ruleNamed(name string) (check.Rule, bool) {
	for _, r := range resolve.Rules() {
		if r.Name == name && name != "" {
			return r, true
		}
	}
	return check.Rule{}, false
}

// checkConfig is the check directive of the manifest, or the
// BUILDKIT_DOCKERFILE_CHECK build arg's, which wins as for Dockerfiles.
func checkConfig(m *manifest.Manifest, args map[string]string) (manifest.CheckDirective, error) {
	c := m.Check
	if v, ok := args["BUILDKIT_DOCKERFILE_CHECK"]; ok {
		var err error
		if c, err = manifest.ParseCheck(v); err != nil {
			return c, fmt.Errorf("BUILDKIT_DOCKERFILE_CHECK: %w", err)
		}
	}
	for _, r := range c.Skip {
		if _, ok := ruleNamed(r); !ok && r != "all" {
			return c, &manifest.Error{File: m.File, Range: m.Check.Range, Msg: fmt.Sprintf("unknown check rule %q", r), Hint: "rules: " + ruleNames()}
		}
	}
	return c, nil
}

func ruleNames() string {
	var out []string
	for _, r := range resolve.Rules() {
		out = append(out, r.Name)
	}
	return strings.Join(out, ", ")
}

// warnFindings prints the findings as the build's warnings, at their
// manifest lines; with fail, findings are the build's error instead.
func warnFindings(ctx context.Context, src *dockerui.Source, sm *sourcemap.Map, m *manifest.Manifest, fs []check.Finding, fail bool) error {
	if fail && len(fs) > 0 {
		var errs []error
		for _, f := range fs {
			errs = append(errs, &manifest.Error{File: m.File, Range: f.Range, Msg: f.Rule.Name + ": " + f.Msg, Hint: f.Hint})
		}
		return sourceError(sm, fmt.Errorf("%d check findings and the check directive says error=true:\n%w", len(fs), errors.Join(errs...)))
	}
	for _, f := range fs {
		opts := gwclient.WarnOpts{URL: f.Rule.URL(), Detail: [][]byte{[]byte(f.Rule.Description)}}
		if f.Range.Known() {
			opts.Range = []*pb.Range{pbRange(f.Range)}
		}
		src.Warn(ctx, f.Rule.Name+": "+f.Detail(), opts)
	}
	return nil
}

// imageFiles answers the checks' questions about the runtime images by
// solving them (a pull, no build step) and statting files.
type imageFiles struct {
	c    gwclient.Client
	refs map[string]gwclient.Reference
}

func (im *imageFiles) Exists(ctx context.Context, ref, platform, p string) (bool, error) {
	key := ref + " " + platform
	r, ok := im.refs[key]
	if !ok {
		pl, err := platforms.Parse(platform)
		if err != nil {
			return false, err
		}
		if r, err = solve(ctx, im.c, llb.Image(ref, llb.Platform(pl), llb.WithCustomName("[check] load "+ref+" for "+platform)), nil); err != nil {
			return false, fmt.Errorf("loading %s for %s: %w", ref, platform, err)
		}
		im.refs[key] = r
	}
	if r == nil {
		return false, nil
	}
	_, err := r.StatFile(ctx, gwclient.StatRequest{Path: p})
	return err == nil, nil
}

// drift resolves every locked tag the plan uses anew and reports the ones
// that moved since `distill lock`.
func drift(ctx context.Context, res llb.ImageMetaResolver, m *manifest.Manifest, p *plan.Plan, lk *lock.File, resolveMode string) ([]check.Finding, error) {
	if lk == nil {
		return nil, nil
	}
	var out []check.Finding
	seen := map[string]bool{} // the locked digest is the tag's, for every platform
	for i := range p.Targets {
		for _, u := range p.Targets[i].Images() {
			im := u.Image
			e, ok := lk.Find(im.Ref)
			if !ok || seen[im.Ref] {
				continue
			}
			seen[im.Ref] = true
			pl, err := platforms.Parse(im.Platform)
			if err != nil {
				return nil, err
			}
			_, dgst, _, err := res.ResolveImageConfig(ctx, im.Ref, sourceresolver.Opt{
				LogName:  fmt.Sprintf("[check] resolve %s for %s", im.Ref, im.Platform),
				ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &pl, ResolveMode: resolveMode},
			})
			if err != nil {
				return nil, fmt.Errorf("resolving %s: %w", im.Ref, err)
			}
			if dgst.String() != e.Digest {
				out = append(out, check.Finding{Rule: check.LockDrift, Range: check.OriginRange(im.Origin),
					Msg:  fmt.Sprintf("%s now resolves to %s; %s has %s", im.Ref, dgst, lock.Name(m.File), e.Digest),
					Hint: "run `distill lock` to take the new image, or keep building the locked one"})
			}
		}
	}
	return out, nil
}

// contextHas reports whether the build context has a file.
func contextHas(fsys providers.FS) func(context.Context, string) (bool, error) {
	return func(ctx context.Context, name string) (bool, error) { return providers.Exists(ctx, fsys, name) }
}
