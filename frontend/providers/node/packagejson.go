package node

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// packageJSON is what planning reads of package.json.
type packageJSON struct {
	Name           string            `json:"name"`
	Main           string            `json:"main"`
	Scripts        map[string]string `json:"scripts"`
	PackageManager string            `json:"packageManager"`
	// Dependencies and DevDependencies are read only to know whether
	// there is anything to lock.
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
	Engines         struct {
		Node string `json:"node"`
	} `json:"engines"`
	Pnpm struct {
		OnlyBuiltDependencies []string `json:"onlyBuiltDependencies"`
	} `json:"pnpm"`
}

func parsePackageJSON(data []byte) (*packageJSON, error) {
	var p packageJSON
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	return &p, nil
}

// installScripts are the lifecycle scripts npm, Yarn and pnpm run for the
// project itself when they install it.
var installScripts = []string{"preinstall", "install", "postinstall", "prepublish", "preprepare", "prepare", "postprepare"}

// withoutInstallScripts returns package.json without the project's own
// install lifecycle scripts, and whether it had any. The production
// install runs from it: those scripts (husky's "prepare", a build in
// "postinstall") need dev dependencies or sources that are not there, and
// the dependencies' own scripts (native addons) still run.
func withoutInstallScripts(data []byte) ([]byte, bool, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, false, err
	}
	raw, ok := doc["scripts"]
	if !ok {
		return data, false, nil
	}
	var scripts map[string]json.RawMessage
	if err := json.Unmarshal(raw, &scripts); err != nil {
		return data, false, nil
	}
	changed := false
	for _, s := range installScripts {
		if _, ok := scripts[s]; ok {
			delete(scripts, s)
			changed = true
		}
	}
	if !changed {
		return data, false, nil
	}
	b, err := json.Marshal(scripts)
	if err != nil {
		return nil, false, err
	}
	doc["scripts"] = b
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, false, err
	}
	return out.Bytes(), true, nil
}

// Package managers.
const (
	npm         = "npm"
	yarnBerry   = "yarn"
	yarnClassic = "yarn-classic"
	pnpm        = "pnpm"
)

// Versions used when the project does not pin its package manager
// (package.json packageManager): the newest release of each line, run
// through corepack.
const (
	YarnClassicVersion = "1.22.22"
	YarnBerryVersion   = "4.18.1"
	// CorepackVersion is installed when the builder has no corepack
	// (Node 25 and later ship none).
	CorepackVersion = "0.36.0"
)

// pnpmForLockfile maps pnpm-lock.yaml's lockfileVersion to the pnpm that
// writes it.
var pnpmForLockfile = map[string]string{
	"9.0": "10.34.9",
	"6.0": "8.15.9",
	"6.1": "8.15.9",
	"5.4": "7.33.7",
	"5.3": "7.33.7",
}

// lockFiles are the dependency files, in detection order.
var lockFiles = []struct{ file, manager string }{
	{"pnpm-lock.yaml", pnpm},
	{"yarn.lock", yarnBerry}, // classic or Berry: told apart by the lock's format
	{"package-lock.json", npm},
	{"npm-shrinkwrap.json", npm},
}

var (
	packageManagerRE = regexp.MustCompile(`^(npm|yarn|pnpm)@([0-9]+\.[0-9]+\.[0-9]+[0-9A-Za-z.+-]*)$`)
	lockfileVersion  = regexp.MustCompile(`(?m)^lockfileVersion: *['"]?([0-9.]+)['"]?`)
)

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

// viaCorepack reports whether corepack runs the manager: Yarn Berry and
// pnpm, which the builder does not ship.
func (t toolSpec) viaCorepack() bool { return t.manager == yarnBerry || t.manager == pnpm }

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

// yarnIsBerry tells a Berry lock (YAML with __metadata) from a classic one.
func yarnIsBerry(lock []byte) bool {
	return bytes.Contains(lock, []byte("\n__metadata:")) || bytes.HasPrefix(lock, []byte("__metadata:"))
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
