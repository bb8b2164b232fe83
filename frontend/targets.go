package frontend

import (
	"fmt"

	"github.com/distill-build/distill/llb/plan"
	"github.com/moby/buildkit/frontend/subrequests/targets"
)

// Targets a build can stop at.
const (
	TargetRuntime = "runtime"
	// TargetDebug is the same app on the base's :debug variant, which has
	// a busybox shell, for looking inside.
	TargetDebug = "debug"
	// TargetBuild is the builder after every build step, with the builder
	// image's config: what the runtime's artifacts are collected from.
	TargetBuild = "build"
)

// listTargets answers `--call=targets`.
func listTargets() *targets.List {
	return &targets.List{Targets: []targets.Target{
		{Name: TargetRuntime, Default: true, Description: "the app on its distroless runtime"},
		{Name: TargetDebug, Description: "the same app on the runtime's :debug variant (busybox shell in /busybox)"},
		{Name: TargetBuild, Description: "the builder after every build step, for inspecting what the image is collected from"},
	}}
}

// knownTarget reports whether a build can stop at target ("": the
// default).
func knownTarget(target string) bool {
	switch target {
	case "", TargetRuntime, TargetDebug, TargetBuild:
		return true
	}
	return false
}

// targetFor is the plan's target for a platform ("os/arch[/variant]").
func targetFor(p *plan.Plan, platform string) (plan.Target, error) {
	for _, t := range p.Targets {
		if t.Platform == platform {
			return t, nil
		}
	}
	return plan.Target{}, fmt.Errorf("no plan for platform %s", platform)
}
