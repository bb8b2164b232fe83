package providers

import (
	"slices"
	"strings"

	"github.com/distill-build/distill/llb/plan"
)

// Chain is one step's run doing the work of runs, one after another in the
// builder's shell, stopping at the first that fails. Each step costs a
// container's start and a snapshot of what it wrote (0.1 to 0.2 s on the
// lab's two cores, more than many a short command): work that always runs
// together, and whose results no other step reads in between, is cheaper
// as one step. The runs must be plain (no probe, fallback, emulation or
// isolation) and agree on their environment; the step gets the union of
// their environment, caches, mounts and secrets, network if one of them
// needs it, and the first one's directory.
func Chain(runs ...plan.Run) plan.Run {
	if len(runs) == 1 {
		return runs[0]
	}
	out := plan.Run{Dir: runs[0].Dir}
	var script []string
	for _, r := range runs {
		script = append(script, "cd "+plan.ShellLine([]string{r.Dir})+" && "+plan.ShellLine(r.Args))
		out.Env = append(out.Env, r.Env...)
		out.Caches = append(out.Caches, r.Caches...)
		out.Mounts = append(out.Mounts, r.Mounts...)
		out.Secrets = append(out.Secrets, r.Secrets...)
		out.Network = out.Network || r.Network
		out.SSH = out.SSH || r.SSH
	}
	out.Args = []string{"sh", "-c", "set -e\n" + strings.Join(script, "\n")}
	slices.Sort(out.Env)
	out.Env = slices.Compact(out.Env)
	out.Caches, out.Mounts, out.Secrets = uniq(out.Caches), uniq(out.Mounts), uniq(out.Secrets)
	return out
}

// uniq is s without its repeated elements, in order.
func uniq[T comparable](s []T) []T {
	var out []T
	for _, v := range s {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Plain reports whether r can be chained with others: it runs on the
// build so far, in its builder, with no probe or fallback.
func Plain(r *plan.Run) bool {
	return r != nil && r.Probe == "" && r.Fallback == nil && r.Emulated == nil && len(r.Inputs) == 0
}
