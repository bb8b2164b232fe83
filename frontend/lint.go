package frontend

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/frontend/resolve"
	"github.com/distill-build/distill/llb/plan"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/solver/pb"
	"github.com/opencontainers/go-digest"
)

// lintRoute answers `--call=check`: the rules' findings on the plan (with
// the lock), drift included; a plan that fails is the answer's error.
func lintRoute(ctx context.Context, r *request) (*lint.LintResults, error) {
	p, provider, err := r.plan(ctx, false)
	if err != nil {
		return lintResults(r.src.SourceMap, nil, err), nil
	}
	f, err := r.findings(ctx, p, provider, true)
	if err != nil {
		return nil, err
	}
	return lintResults(r.src.SourceMap, f, nil), nil
}

// findings runs the rules on a plan, without the ones the check directive
// skips; provider holds the findings the provider made while planning.
// withDrift resolves the locked tags again (LockDrift).
func (r *request) findings(ctx context.Context, p *plan.Plan, provider []check.Finding, withDrift bool) ([]check.Finding, error) {
	var drift []check.Finding
	if withDrift {
		var err error
		if drift, err = check.Drift(ctx, r.manifest, p, r.lock, r.resolveDigest); err != nil {
			return nil, err
		}
		pkgs, err := check.PackagesDrift(ctx, r.manifest, p, r.lock, r.runLock)
		if err != nil {
			return nil, err
		}
		drift = append(drift, pkgs...)
	}
	_, fsys, err := r.context(ctx)
	if err != nil {
		return nil, err
	}
	f, err := check.Run(ctx, check.Input{
		Manifest: r.manifest, Plan: p, Provider: provider, Context: contextHas(fsys),
		Images: &imageFiles{c: r.c, refs: map[string]gwclient.Reference{}},
		Locked: r.lock.Pins, Drift: drift, Rules: resolve.Rules(),
	})
	return check.Skip(f, r.checks.Skip), err
}

// resolveDigest is what the drift check resolves tags with
// (check.ResolveDigest): the build's resolver and resolve mode.
func (r *request) resolveDigest(ctx context.Context, ref, platform string) (digest.Digest, error) {
	pl, err := platforms.Parse(platform)
	if err != nil {
		return "", err
	}
	_, dgst, _, err := r.resolver.ResolveImageConfig(ctx, ref, sourceresolver.Opt{
		LogName:  fmt.Sprintf("[check] resolve %s for %s", ref, platform),
		ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &pl, ResolveMode: r.resolveMode},
	})
	return dgst, err
}

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
		// One error holds them all: a line each (with its position when
		// there are several), their ranges marked in one snippet.
		msg := errorDetail(rest[0])
		if len(rest) > 1 {
			lines := make([]string, len(rest))
			for i, e := range rest {
				lines[i] = e.Error()
			}
			msg = strings.Join(lines, "\n")
		}
		res.Error = &lint.BuildError{Message: msg, Location: pb.Location{SourceIndex: int32(idx)}}
		for _, e := range rest {
			if e.Range.Known() {
				res.Error.Location.Ranges = append(res.Error.Location.Ranges, pbRange(e.Range))
			}
		}
	}
	return res
}

// errorDetail is a manifest error's message and hint, without its
// location (the check output shows the lines).
func errorDetail(e *manifest.Error) string {
	return check.Finding{Msg: e.Msg, Hint: e.Hint}.Detail()
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
func (r *request) warnFindings(ctx context.Context, fs []check.Finding, fail bool) error {
	if fail && len(fs) > 0 {
		var errs []error
		for _, f := range fs {
			errs = append(errs, &manifest.Error{File: r.manifest.File, Range: f.Range, Msg: f.Rule.Name + ": " + f.Msg, Hint: f.Hint})
		}
		return sourceError(r.sm, fmt.Errorf("%d check findings and the check directive says error=true:\n%w", len(fs), errors.Join(errs...)))
	}
	for _, f := range fs {
		r.src.Warn(ctx, f.Rule.Name+": "+f.Detail(), gwclient.WarnOpts{URL: f.Rule.URL(), Detail: [][]byte{[]byte(f.Rule.Description)}, Range: warnRange(f.Range)})
	}
	return nil
}

// contextHas reports whether the build context has a file.
func contextHas(fsys providers.FS) func(context.Context, string) (bool, error) {
	return func(ctx context.Context, name string) (bool, error) { return providers.Exists(ctx, fsys, name) }
}
