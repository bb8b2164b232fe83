package node

import (
	"bytes"
	"strings"

	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
)

// YarnClassicVersion is the Yarn classic used when the project does not
// pin one (package.json packageManager): the newest release of the line.
const YarnClassicVersion = "1.22.22"

// yarnCache is Yarn classic's cache in the builder.
const yarnCache = "/root/.cache/yarn"

// yarnNative is why neither Yarn installs for another platform.
const yarnNative = "Yarn installs for the platform it runs on"

// yarnTool tells Yarn classic from Yarn Berry by the lock's format and
// packageManager's pin, and rejects a pin the lock was not written by.
func (pl *planner) yarnTool(lock []byte, pinned *toolSpec) error {
	berry := lock != nil && yarnIsBerry(lock)
	if pinned != nil {
		if majorOf(pinned.version) >= 2 != berry && lock != nil {
			return providers.Fail(pl.m, pl.depsRange, "run `yarn install` with the pinned Yarn to rewrite yarn.lock",
				"package.json asks for %s, but yarn.lock was written by Yarn %s", pinned, map[bool]string{true: "2 or later", false: "1"}[berry])
		}
		pl.tool = *pinned
		berry = majorOf(pinned.version) >= 2
	} else if berry {
		pl.tool = toolSpec{manager: yarnBerry, version: YarnBerryVersion}
	} else {
		pl.tool = toolSpec{manager: yarnBerry, version: YarnClassicVersion}
	}
	if !berry {
		pl.tool.manager = yarnClassic
		return nil
	}
	return pl.berrySupported()
}

// yarnIsBerry tells a Berry lock (YAML with __metadata) from a classic one.
func yarnIsBerry(lock []byte) bool {
	return bytes.Contains(lock, []byte("\n__metadata:")) || bytes.HasPrefix(lock, []byte("__metadata:"))
}

// classicManager is Yarn classic (1.x), from the builder or npm.
type classicManager struct{}

func (classicManager) install(_ toolSpec, locked bool) installer {
	in := installer{
		env:    []string{"YARN_CACHE_FOLDER=" + yarnCache},
		caches: []plan.Cache{{ID: "yarn", Target: yarnCache, Sharing: "locked"}},
		prod:   []string{"yarn", "install", "--frozen-lockfile", "--production", "--non-interactive"},
		full:   []string{"yarn", "install", "--frozen-lockfile", "--non-interactive"},
	}
	if !locked {
		in.prod = []string{"yarn", "install", "--production", "--non-interactive", "--no-lockfile"}
		in.full = []string{"yarn", "install", "--non-interactive", "--no-lockfile"}
	}
	return in
}

// setup: the builder's Yarn when it is the version asked for (the official
// images up to Node 24 ship 1.22.22), else that version from npm.
func (classicManager) setup(t toolSpec) (string, []string) {
	v, _, _ := strings.Cut(t.version, "+")
	return t.String() + " (the builder's, else from the npm registry)",
		[]string{"sh", "-c", `[ "$(yarn --version 2>/dev/null)" = "$0" ] || npm install --global --force --no-audit --no-fund "yarn@$0"`, v}
}

func (classicManager) runScript(_ toolSpec, script string) []string {
	return []string{"yarn", "run", script}
}

func (classicManager) viaCorepack() bool { return false }

func (classicManager) cross(string) ([]string, []string) { return nil, nil }

func (classicManager) emulate(*planner) string { return yarnNative }
