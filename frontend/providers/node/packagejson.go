package node

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/distill-build/distill/frontend/decode"
)

// packageJSON is what planning reads of package.json.
type packageJSON struct {
	Name string `json:"name"`
	Main string `json:"main"`
	// Bin is the package's command: a file, or a map of command names to
	// files (read by binFile, never an error: a value of another type is
	// no command).
	Bin            json.RawMessage   `json:"bin"`
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

// binFile is the file of the package's command, as npm installs it: bin
// when it is a file, else the one command of a bin map, else the command
// named as the package (its name without the scope); "" for none.
func (p *packageJSON) binFile() string {
	var file string
	if json.Unmarshal(p.Bin, &file) == nil {
		return file
	}
	var cmds map[string]string
	if json.Unmarshal(p.Bin, &cmds) != nil {
		return ""
	}
	if len(cmds) == 1 {
		for _, f := range cmds {
			return f
		}
	}
	name := p.Name[strings.LastIndex(p.Name, "/")+1:]
	return cmds[name]
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
