package providers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/distill-build/distill/frontend/decode"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/pelletier/go-toml/v2"
	"gopkg.in/yaml.v3"
)

// LockFile is a lock file format checked at plan time: a corrupt lock
// fails at the manifest line that chose it, naming the file and how to
// write it again, not later inside the package manager's step. It is
// parsed with its syntax's library, and checked only deep enough to know
// the file is what its name claims (its version, its top-level keys).
type LockFile struct {
	// Syntax is how the file is written: JSON, YAML, TOML, or Text (a
	// format of its own, which Check reads line by line).
	Syntax Syntax
	// Check says what the parsed document lacks to be the lock ("" when
	// nothing): the document is JSON's or TOML's top-level object
	// (map[string]any), YAML's top-level mapping (a *yaml.Node), or
	// the text.
	Check func(doc any) string
	// Fix is the command that writes the lock again, e.g. `npm install`.
	Fix string
}

// Syntax is a lock file's syntax.
type Syntax string

// Syntaxes of lock files.
const (
	JSON Syntax = "JSON"
	YAML Syntax = "YAML"
	TOML Syntax = "TOML"
	Text Syntax = "text"
)

// Verify checks a lock file's content: name is its path in the context,
// r the manifest range that chose it (`dependencies:`, else `language:`).
func (l LockFile) Verify(m *manifest.Manifest, r manifest.Range, name string, data []byte) error {
	hint := fmt.Sprintf("regenerate it with `%s`", l.Fix)
	if line := conflictMarker(data); line > 0 {
		return Fail(m, r, "resolve the conflict, or "+hint, "%s: unresolved merge conflict at line %d", name, line)
	}
	doc, err := parseLock(l.Syntax, data)
	if err != nil {
		return Fail(m, r, hint, "%s: %v", name, err)
	}
	if l.Check != nil {
		if what := l.Check(doc); what != "" {
			return Fail(m, r, hint, "%s: %s", name, what)
		}
	}
	return nil
}

// conflictMarker is the line of the first merge conflict marker git left
// in data, 0 for none.
func conflictMarker(data []byte) int {
	for i, line := range bytes.Split(data, []byte("\n")) {
		for _, mark := range []string{"<<<<<<< ", ">>>>>>> "} {
			if bytes.HasPrefix(line, []byte(mark)) {
				return i + 1
			}
		}
	}
	return 0
}

// parseLock parses data in its syntax; the error is in plain words, with
// its line when the parser tells it (decode.Explain).
func parseLock(s Syntax, data []byte) (doc any, err error) {
	switch s {
	case JSON:
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, decode.Explain(err, data)
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, errors.New("not a JSON object")
		}
		return obj, nil
	case YAML:
		var n yaml.Node
		if err := yaml.Unmarshal(data, &n); err != nil {
			return nil, decode.Explain(err, data)
		}
		if len(n.Content) == 0 || n.Content[0].Kind != yaml.MappingNode {
			return nil, errors.New("not a YAML mapping")
		}
		return n.Content[0], nil
	case TOML:
		var v map[string]any
		if err := toml.Unmarshal(data, &v); err != nil {
			return nil, decode.Explain(err, data)
		}
		return v, nil
	}
	return string(data), nil
}

// YAMLKey is the value of key in a YAML mapping, nil when it has none.
func YAMLKey(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
