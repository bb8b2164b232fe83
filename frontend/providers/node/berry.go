package node

import (
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
)

// YarnBerryVersion is the Yarn Berry corepack runs when the project does
// not pin one (package.json packageManager): the newest release of the
// line.
const YarnBerryVersion = "4.18.1"

// berryCache is Yarn Berry's global cache in the builder.
const berryCache = "/root/.cache/yarn-berry"

// berrySupported rejects a Yarn Berry before 4, whose "workspaces focus"
// is a plugin.
func (pl *planner) berrySupported() error {
	if majorOf(pl.tool.version) < 4 {
		return providers.Fail(pl.m, pl.depsRange, `move to Yarn 4 (yarn set version 4), whose "workspaces focus --production" installs production dependencies alone`,
			"Yarn %s cannot install production dependencies without a plugin from GitHub", pl.tool.version)
	}
	return nil
}

// berryManager is Yarn Berry (2 and later), run by corepack.
type berryManager struct{ corepacked }

func (berryManager) install(t toolSpec, locked bool) installer {
	// node_modules, not Plug'n'Play: the runtime has no .pnp.cjs loader
	// wired in, and the global cache keeps archives out of the project.
	in := installer{
		env: []string{"YARN_NODE_LINKER=node-modules", "YARN_ENABLE_GLOBAL_CACHE=true", "YARN_GLOBAL_FOLDER=" + berryCache,
			"YARN_ENABLE_TELEMETRY=false", "YARN_ENABLE_PROGRESS_BARS=false", "YARN_ENABLE_INLINE_BUILDS=true"},
		caches: []plan.Cache{{ID: "yarn-berry", Target: berryCache, Sharing: "locked"}},
		prod:   append(t.corepack(), "workspaces", "focus", "--all", "--production"),
		full:   append(t.corepack(), "install", "--immutable"),
	}
	if !locked {
		in.full = append(t.corepack(), "install")
	}
	return in
}

func (berryManager) cross(string) ([]string, []string) { return nil, nil }

func (berryManager) emulate(*planner) string { return yarnNative }
