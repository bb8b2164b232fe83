package check

import (
	"context"
	"errors"
	"testing"

	"github.com/distill-build/distill/frontend/lock"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/llb/plan"
	"github.com/opencontainers/go-digest"
)

// TestDrift: a locked tag that resolves elsewhere today is one finding at
// the line that chose the image (its origin), however many platforms use it; a tag
// that did not move, or that the lock does not have, is none; no lock, no
// resolving.
func TestDrift(t *testing.T) {
	t.Parallel()
	m, err := manifest.Parse("app/distill.yaml", []byte("language: go\nbase: static\n"))
	if err != nil {
		t.Fatal(err)
	}
	const runtime, builder, other = "gcr.io/distroless/static-debian12", "golang:1.24", "busybox:1"
	target := func(platform string) plan.Target {
		return plan.Target{Platform: platform,
			Runtime: plan.Image{Ref: runtime, Platform: platform, Origin: plan.Origin{Field: "base", Line: 2, EndLine: 2}},
			Builder: plan.Image{Ref: builder, Platform: platform, Origin: plan.Origin{Field: "language", Line: 1, EndLine: 1}}}
	}
	p := &plan.Plan{Targets: []plan.Target{target("linux/amd64"), target("linux/arm64")}}
	lk := &lock.File{Version: lock.Version, Images: []lock.Image{
		{Ref: runtime, Digest: digest.FromString("old").String()},
		{Ref: builder, Digest: digest.FromString(builder).String()},
		{Ref: other, Digest: digest.FromString("old").String()},
	}}
	var calls []string
	resolve := func(_ context.Context, ref, platform string) (digest.Digest, error) {
		calls = append(calls, ref+" "+platform)
		return digest.FromString(ref), nil
	}
	got, err := Drift(context.Background(), m, p, lk, resolve)
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 {
		t.Errorf("resolved %v, want each locked tag once", calls)
	}
	want := Finding{Rule: LockDrift, Range: OriginRange(p.Targets[0].Runtime.Origin),
		Msg:  runtime + " now resolves to " + digest.FromString(runtime).String() + "; app/distill.lock has " + digest.FromString("old").String(),
		Hint: "run `distill lock` to take the new image, or keep building the locked one"}
	if len(got) != 1 || got[0] != want {
		t.Errorf("findings = %+v, want %+v", got, want)
	}

	if got, err := Drift(context.Background(), m, p, nil, nil); got != nil || err != nil {
		t.Errorf("without a lock: %v, %v", got, err)
	}
	failing := func(context.Context, string, string) (digest.Digest, error) { return "", errors.New("offline") }
	if _, err := Drift(context.Background(), m, p, lk, failing); err == nil || err.Error() != "resolving "+runtime+": offline" {
		t.Errorf("err = %v", err)
	}
}
