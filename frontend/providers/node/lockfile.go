package node

import (
	"fmt"
	"strings"

	"github.com/distill-build/distill/frontend/providers"
	"gopkg.in/yaml.v3"
)

// The lock files, as far as planning checks them (providers.LockFile):
// what makes each the file its name says.
var (
	npmLock = providers.LockFile{Syntax: providers.JSON, Fix: "npm install", Check: func(doc any) string {
		lock := doc.(map[string]any)
		v, ok := lock["lockfileVersion"].(float64)
		switch {
		case !ok:
			return "no lockfileVersion: it is not an npm lock file"
		case v != 1 && v != 2 && v != 3:
			return fmt.Sprintf("lockfileVersion %v is not one npm writes (1, 2 or 3)", v)
		}
		if _, ok := lock["packages"].(map[string]any); v >= 2 && !ok {
			return fmt.Sprintf("lockfileVersion %v without its packages: the file is cut short", v)
		}
		return ""
	}}
	pnpmLock = providers.LockFile{Syntax: providers.YAML, Fix: "pnpm install", Check: func(doc any) string {
		if v := providers.YAMLKey(doc.(*yaml.Node), "lockfileVersion"); v == nil || v.Kind != yaml.ScalarNode {
			return "no lockfileVersion: it is not a pnpm lock file"
		}
		return ""
	}}
	berryLock = providers.LockFile{Syntax: providers.YAML, Fix: "yarn install", Check: func(doc any) string {
		meta := providers.YAMLKey(doc.(*yaml.Node), "__metadata")
		if v := providers.YAMLKey(meta, "version"); v == nil || v.Kind != yaml.ScalarNode {
			return "__metadata has no version: it is not a Yarn lock file"
		}
		return ""
	}}
	// Yarn 1's format is its own: a header, then entries (`name@range:`
	// unindented) with their fields indented below.
	classicLock = providers.LockFile{Syntax: providers.Text, Fix: "yarn install", Check: func(doc any) string {
		text := doc.(string)
		if strings.TrimSpace(text) == "" {
			return "" // Yarn writes no entry for no dependency
		}
		if !strings.Contains(text, "# yarn lockfile v1") {
			return "no `# yarn lockfile v1` header and no __metadata: it is not a Yarn lock file"
		}
		for i, line := range strings.Split(text, "\n") {
			line = strings.TrimRight(line, "\r")
			if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, " ") {
				continue
			}
			if !strings.HasSuffix(line, ":") {
				return fmt.Sprintf("line %d is neither an entry (name@range:) nor indented under one", i+1)
			}
		}
		return ""
	}}
)

// lockFormat is the format of the lock file f, whose content is data.
func lockFormat(f string, data []byte) providers.LockFile {
	switch {
	case f == "pnpm-lock.yaml":
		return pnpmLock
	case f == "yarn.lock" && yarnIsBerry(data):
		return berryLock
	case f == "yarn.lock":
		return classicLock
	}
	return npmLock
}
