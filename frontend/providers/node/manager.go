package node

import (
	"regexp"
	"strings"

	"github.com/distill-build/distill/llb/plan"
)

// Package managers, as toolSpec.manager names them.
const (
	npm         = "npm"
	yarnBerry   = "yarn"
	yarnClassic = "yarn-classic"
	pnpm        = "pnpm"
)

// manager is what distill knows of one package manager once the lock and
// packageManager have chosen it (npm.go, yarn.go, berry.go, pnpm.go).
type manager interface {
	// install is how t installs into a directory, from the lock when
	// locked; the env every manager shares is added by planner.installer.
	install(t toolSpec, locked bool) installer
	// setup is what readies the builder to run t, argv run with npm's
	// global install at hand, and the step's name; nil argv when the
	// builder ships it.
	setup(t toolSpec) (name string, argv []string)
	// runScript is how t runs a package.json script.
	runScript(t toolSpec, script string) []string
	// viaCorepack reports whether corepack runs it.
	viaCorepack() bool
	// cross is how it installs the packages of another platform (Node's
	// arch) from the build platform: options, and env of the production
	// install.
	cross(arch string) (args, env []string)
	// emulate says why another platform's dependencies must be installed
	// by that platform's builder; "" when the manager installs them for it.
	emulate(pl *planner) string
}

// managers are the package managers by toolSpec.manager.
var managers = map[string]manager{
	npm:         npmManager{},
	yarnClassic: classicManager{},
	yarnBerry:   berryManager{},
	pnpm:        pnpmManager{},
}

// lockFiles are the dependency files, in detection order.
var lockFiles = []struct{ file, manager string }{
	{"pnpm-lock.yaml", pnpm},
	{"yarn.lock", yarnBerry}, // classic or Berry: told apart by the lock's format
	{"package-lock.json", npm},
	{"npm-shrinkwrap.json", npm},
}

// toolFor works out the tool of a lock's manager from the lock (nil
// without one) and packageManager's pin (nil without one).
var toolFor = map[string]func(pl *planner, lock []byte, pinned *toolSpec) error{
	npm:       (*planner).npmTool,
	yarnBerry: (*planner).yarnTool, // yarn.lock: classic or Berry
	pnpm:      (*planner).pnpmTool,
}

var packageManagerRE = regexp.MustCompile(`^(npm|yarn|pnpm)@([0-9]+\.[0-9]+\.[0-9]+[0-9A-Za-z.+-]*)$`)

// toolSpec is how dependencies are installed: the manager, the version
// corepack runs (empty for npm, which the builder ships) and whether the
// version comes from package.json (corepack then reads it there, with its
// hash).
type toolSpec struct {
	manager string
	version string
	pinned  bool
}

func (t toolSpec) name() string {
	if t.manager == yarnClassic {
		return "yarn"
	}
	return t.manager
}

// of is the manager's knowledge.
func (t toolSpec) of() manager { return managers[t.manager] }

// viaCorepack reports whether corepack runs the manager: Yarn Berry and
// pnpm, which the builder does not ship.
func (t toolSpec) viaCorepack() bool { return t.of().viaCorepack() }

// String is name@version, without the hash packageManager may carry.
func (t toolSpec) String() string {
	if t.version == "" {
		return t.name()
	}
	v, _, _ := strings.Cut(t.version, "+")
	return t.name() + "@" + v
}

// major of a release, "4.18.1" → 4.
func majorOf(v string) int {
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// installer is how the package manager installs into a directory.
type installer struct {
	prod, full []string
	env        []string
	// prodEnv is added to the production install's env.
	prodEnv []string
	caches  []plan.Cache
}

// installer is the manager's installer with the env every install has.
func (pl *planner) installer() installer {
	in := pl.tool.of().install(pl.tool, pl.lock != "")
	in.env = append(in.env, "npm_config_update_notifier=false", "npm_config_fund=false", "npm_config_audit=false", "npm_config_cache="+npmCache)
	if pl.tool.viaCorepack() {
		in.env = append(in.env, corepackEnv(pl.tool)...)
		in.caches = append(in.caches, corepackCaches...)
	}
	return in
}

// runScript is how the package manager runs a package.json script.
func (pl *planner) runScript(name string) []string {
	return pl.tool.of().runScript(pl.tool, name)
}
