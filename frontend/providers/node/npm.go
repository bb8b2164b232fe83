package node

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/distill-build/distill/llb/plan"
)

// npmCache is npm's cache in the builder.
const npmCache = "/root/.npm"

// npmCacheMount is npm's cache, locked: two npm installs writing one
// cache at once (the platforms of a multi-platform build) slow each
// other down several times over; one after the other, each takes a
// fraction of a second once the cache has the packages.
var npmCacheMount = plan.Cache{ID: "npm", Target: npmCache, Sharing: "locked"}

// npmManager is npm, which the builder ships.
type npmManager struct{}

// npmTool is npm, and what its lock says of native code.
func (pl *planner) npmTool(lock []byte, _ *toolSpec) error {
	pl.tool = toolSpec{manager: npm}
	if pl.lock != "" {
		pl.native = npmLockNeedsBuild(lock)
		pl.jsOnly = len(pl.native) == 0 && len(npmLockPrebuilt(lock)) == 0
	}
	return nil
}

func (npmManager) install(_ toolSpec, locked bool) installer {
	in := installer{caches: []plan.Cache{npmCacheMount}}
	if locked {
		in.prod = []string{"npm", "ci", "--omit=dev"}
		in.full = []string{"npm", "ci"}
	} else {
		in.prod = []string{"npm", "install", "--omit=dev", "--no-package-lock"}
		in.full = []string{"npm", "install", "--no-package-lock"}
	}
	return in
}

func (npmManager) setup(toolSpec) (string, []string) { return "", nil }

func (npmManager) runScript(_ toolSpec, script string) []string {
	return []string{"npm", "run", script}
}

func (npmManager) viaCorepack() bool { return false }

// cross: npm takes another platform's cpu, os and libc from its env.
func (npmManager) cross(arch string) ([]string, []string) {
	return nil, []string{"npm_config_cpu=" + arch, "npm_config_os=linux", "npm_config_libc=glibc"}
}

func (npmManager) emulate(pl *planner) string {
	if pl.lock == "" {
		return "without a lock, which packages have install scripts is unknown"
	}
	return ""
}

// npmLockPrebuilt lists the production packages of an npm lock that are
// built for particular platforms (a cpu or os field that Linux may
// match): prebuilt binaries, whose shared libraries the runtime may lack.
func npmLockPrebuilt(lock []byte) []string {
	var l struct {
		Packages map[string]struct {
			Dev bool     `json:"dev"`
			OS  []string `json:"os"`
			CPU []string `json:"cpu"`
		} `json:"packages"`
	}
	if json.Unmarshal(lock, &l) != nil {
		return nil
	}
	var out []string
	for k, p := range l.Packages {
		if p.Dev || k == "" || (len(p.OS) == 0 && len(p.CPU) == 0) {
			continue
		}
		if len(p.OS) > 0 && !slices.Contains(p.OS, "linux") && !slices.ContainsFunc(p.OS, func(o string) bool { return strings.HasPrefix(o, "!") && o != "!linux" }) {
			continue
		}
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// npmLockNeedsBuild reports whether an npm lock lists a package with an
// install script (native addons compiled by node-gyp are among them).
func npmLockNeedsBuild(lock []byte) []string {
	var l struct {
		Packages map[string]struct {
			HasInstallScript bool `json:"hasInstallScript"`
			Dev              bool `json:"dev"`
		} `json:"packages"`
	}
	if json.Unmarshal(lock, &l) != nil {
		return nil
	}
	var out []string
	for k, p := range l.Packages {
		if p.HasInstallScript && !p.Dev && k != "" {
			const nm = "node_modules/"
			if i := strings.LastIndex(k, nm); i >= 0 {
				k = k[i+len(nm):]
			}
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
