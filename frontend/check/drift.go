package check

import (
	"context"
	"fmt"
	"strings"

	"github.com/distill-build/distill/frontend/lock"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/llb/plan"
	"github.com/opencontainers/go-digest"
)

// ResolveDigest resolves an image reference for a platform ("os/arch")
// to the digest its registry serves today.
type ResolveDigest func(ctx context.Context, ref, platform string) (digest.Digest, error)

// Drift resolves every locked tag the plan uses anew and reports the ones
// that moved since `distill lock` (LockDrift findings). Without a lock
// there is nothing to drift from.
func Drift(ctx context.Context, m *manifest.Manifest, p *plan.Plan, lk *lock.File, resolve ResolveDigest) ([]Finding, error) {
	if lk == nil {
		return nil, nil
	}
	var out []Finding
	seen := map[string]bool{} // the locked digest is the tag's, for every platform
	for i := range p.Targets {
		for _, u := range p.Targets[i].Images() {
			im := u.Image
			e, ok := lk.Find(im.Ref)
			if !ok || seen[im.Ref] {
				continue
			}
			seen[im.Ref] = true
			dgst, err := resolve(ctx, im.Ref, im.Platform)
			if err != nil {
				return nil, fmt.Errorf("resolving %s: %w", im.Ref, err)
			}
			if dgst.String() != e.Digest {
				out = append(out, Finding{Rule: LockDrift, Range: OriginRange(im.Origin),
					Msg:  fmt.Sprintf("%s now resolves to %s; %s has %s", im.Ref, dgst, lock.Name(m.File), e.Digest),
					Hint: "run `distill lock` to take the new image, or keep building the locked one"})
			}
		}
	}
	return out, nil
}

// RunLock runs a target's lock step: what it would download today.
type RunLock func(ctx context.Context, t plan.Target, l plan.Lock) (lock.Packages, error)

// PackagesDrift runs the lock steps of the plan's pinned packages again
// and reports the packages whose version or hash moved since `distill
// lock` (LockDrift findings): the build would fail on them.
func PackagesDrift(ctx context.Context, m *manifest.Manifest, p *plan.Plan, lk *lock.File, run RunLock) ([]Finding, error) {
	var out []Finding
	for _, t := range p.Targets {
		for _, l := range t.Locks {
			if !l.Pinned {
				continue
			}
			now, err := run(ctx, t, l)
			if err != nil {
				return nil, err
			}
			locked, _ := lk.Debs(t.Platform, now.Requested)
			if changed := lock.Changed(locked, now.Debs); len(changed) > 0 {
				out = append(out, Finding{Rule: LockDrift, Range: OriginRange(l.Origin),
					Msg:  fmt.Sprintf("the runtime packages for %s changed in the archive since %s: %s", t.Platform, lock.Name(m.File), strings.Join(changed, "; ")),
					Hint: "run `distill lock` to take them: the build installs only what the lock pins"})
			}
		}
	}
	return out, nil
}
