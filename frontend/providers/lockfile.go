package providers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

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
	doc, line, err := parseLock(l.Syntax, data)
	if err != nil {
		at := ""
		if line > 0 {
			at = fmt.Sprintf(" at line %d", line)
		}
		return Fail(m, r, hint, "%s: not valid %s%s: %s", name, l.Syntax, at, err)
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
// its line when the parser tells it.
func parseLock(s Syntax, data []byte) (doc any, line int, err error) {
	switch s {
	case JSON:
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				return nil, bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n")) + 1, errors.New(se.Error())
			}
			return nil, 0, errors.New("not a JSON document")
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, 0, errors.New("not a JSON object")
		}
		return obj, 0, nil
	case YAML:
		var n yaml.Node
		if err := yaml.Unmarshal(data, &n); err != nil {
			line, msg := YAMLErrorLine(err)
			return nil, line, errors.New(msg)
		}
		if len(n.Content) == 0 || n.Content[0].Kind != yaml.MappingNode {
			return nil, 0, errors.New("not a YAML mapping")
		}
		return n.Content[0], 0, nil
	case TOML:
		var v map[string]any
		if err := toml.Unmarshal(data, &v); err != nil {
			line, msg := TOMLErrorLine(err)
			return nil, line, errors.New(msg)
		}
		return v, 0, nil
	}
	return string(data), 0, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): `)

// YAMLErrorLine is a yaml.v3 syntax error's line and its message without
// the library's prefix.
func YAMLErrorLine(err error) (int, string) {
	msg := err.Error()
	if mm := yamlLineRE.FindStringSubmatch(msg); mm != nil {
		var line int
		fmt.Sscan(mm[1], &line)
		return line, strings.TrimPrefix(msg, mm[0])
	}
	return 0, strings.TrimPrefix(msg, "yaml: ")
}

// TOMLErrorLine is a go-toml decoding error's line and its message
// without the library's prefix.
func TOMLErrorLine(err error) (int, string) {
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, _ := de.Position()
		return line, strings.TrimPrefix(de.Error(), "toml: ")
	}
	return 0, strings.TrimPrefix(err.Error(), "toml: ")
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
