package node

import (
	"bytes"
	"encoding/json"

	"github.com/distill-build/distill/frontend/decode"
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
		return nil, decode.Explain(err, data)
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
