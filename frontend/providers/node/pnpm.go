package node

import (
	"regexp"
	"strings"

	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
)

// pnpmStore is pnpm's store in the builder.
const pnpmStore = "/root/.cache/pnpm-store"

// pnpmForLockfile maps pnpm-lock.yaml's lockfileVersion to the pnpm that
// writes it, run through corepack when the project does not pin one
// (package.json packageManager): the newest release of each line.
var pnpmForLockfile = map[string]string{
	"9.0": "10.34.9",
	"6.0": "8.15.9",
	"6.1": "8.15.9",
	"5.4": "7.33.7",
	"5.3": "7.33.7",
}

var lockfileVersion = regexp.MustCompile(`(?m)^lockfileVersion: *['"]?([0-9.]+)['"]?`)

// pnpmTool is the pinned pnpm, else the one that writes the lock's
// lockfileVersion.
func (pl *planner) pnpmTool(lock []byte, pinned *toolSpec) error {
	if pinned != nil {
		pl.tool = *pinned
		return nil
	}
	v := ""
	if mm := lockfileVersion.FindSubmatch(lock); mm != nil {
		v = pnpmForLockfile[string(mm[1])]
	}
	if v == "" {
		return providers.Fail(pl.m, pl.depsRange, `pin pnpm with packageManager in package.json, e.g. "pnpm@10.34.9"`, "pnpm-lock.yaml has a lockfileVersion distill does not know")
	}
	pl.tool = toolSpec{manager: pnpm, version: v}
	return nil
}

// pnpmManager is pnpm, run by corepack.
type pnpmManager struct{ corepacked }

func (pnpmManager) install(t toolSpec, locked bool) installer {
	// Copies, not hard links into a store on another mount; package
	// executables as symlinks, which node can run (pnpm's default shims
	// are shell scripts, and the runtime has no shell).
	in := installer{
		env: []string{"npm_config_store_dir=" + pnpmStore, "npm_config_package_import_method=copy",
			"npm_config_prefer_symlinked_executables=true"},
		caches: []plan.Cache{{ID: "pnpm", Target: pnpmStore, Sharing: "shared"}},
		prod:   append(t.corepack(), "install", "--frozen-lockfile", "--prod"),
		full:   append(t.corepack(), "install", "--frozen-lockfile"),
	}
	if !locked {
		in.prod = append(t.corepack(), "install", "--prod", "--no-lockfile")
		in.full = append(t.corepack(), "install", "--no-lockfile")
	}
	return in
}

// cross: pnpm selects another platform's packages on its command line.
func (pnpmManager) cross(arch string) ([]string, []string) {
	return []string{"--cpu=" + arch, "--os=linux", "--libc=glibc"}, nil
}

func (pnpmManager) emulate(pl *planner) string {
	switch {
	case majorOf(pl.tool.version) < 10:
		return "pnpm before 10 runs every dependency's install scripts"
	case len(pl.pkg.Pnpm.OnlyBuiltDependencies) > 0:
		return "install scripts must run for it: " + strings.Join(pl.pkg.Pnpm.OnlyBuiltDependencies, ", ")
	}
	return ""
}
