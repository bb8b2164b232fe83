package node

import "github.com/distill-build/distill/llb/plan"

// CorepackVersion is installed when the builder has no corepack (Node 25
// and later ship none).
const CorepackVersion = "0.36.0"

// corepackHome is where corepack keeps the package managers it fetched.
const corepackHome = "/root/.cache/node/corepack"

// corepackCaches are the caches of an install run by corepack: its own,
// and npm's, which it fetches the package manager into.
var corepackCaches = []plan.Cache{{ID: "corepack", Target: corepackHome, Sharing: "locked"}, npmCacheMount}

// corepacked is what the managers corepack runs (Yarn Berry, pnpm) share.
type corepacked struct{}

func (corepacked) viaCorepack() bool { return true }

func (corepacked) setup(t toolSpec) (string, []string) {
	return "corepack for " + t.String() + " (the builder's, else corepack@" + CorepackVersion + ")",
		[]string{"sh", "-c", `command -v corepack >/dev/null 2>&1 || npm install --global --no-audit --no-fund "corepack@$0"`, CorepackVersion}
}

func (corepacked) runScript(t toolSpec, script string) []string {
	return append(t.corepack(), "run", script)
}

// corepack is the command line that runs the package manager.
func (t toolSpec) corepack() []string {
	if t.pinned {
		// corepack reads the version, and its hash, from packageManager.
		return []string{"corepack", t.name()}
	}
	return []string{"corepack", t.name() + "@" + t.version}
}

// corepackEnv is the env of an install run by corepack.
func corepackEnv(t toolSpec) []string {
	// Yarn Berry from the npm registry (@yarnpkg/cli-dist), like pnpm,
	// rather than repo.yarnpkg.com: build machines that reach one
	// registry reach that one.
	env := []string{"COREPACK_HOME=" + corepackHome, "COREPACK_ENABLE_DOWNLOAD_PROMPT=0", "COREPACK_ENABLE_AUTO_PIN=0",
		"COREPACK_NPM_REGISTRY=https://registry.npmjs.org"}
	if !t.pinned {
		env = append(env, "COREPACK_ENABLE_STRICT=0")
	}
	return env
}
