package decode

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
	"gopkg.in/yaml.v3"
)

// goText is what a message must not show of the Go program that read the
// file: the decoders' prefixes, "Go value"/"Go struct", Go types (package
// qualified, maps, slices, interfaces).
var goText = regexp.MustCompile(`Go value|Go struct|of type|(^|[\s(])(json|toml|yaml): |\b[a-z]\w*\.[A-Z]\w*|map\[|\[\]\w|interface \{|struct \{`)

// NoGoText fails t when msg shows Go's view of the file.
func NoGoText(t *testing.T, msg string) {
	t.Helper()
	if m := goText.FindString(msg); m != "" {
		t.Errorf("%q shows %q, the program's view of the file", msg, m)
	}
}

type target struct {
	Name    string            `json:"name" toml:"name" yaml:"name"`
	Deps    map[string]string `json:"dependencies" toml:"dependencies" yaml:"dependencies"`
	Members []string          `json:"members" toml:"members" yaml:"members"`
	Version int               `json:"version" toml:"version" yaml:"version"`
	Tool    struct {
		Channel string `json:"channel" toml:"channel" yaml:"channel"`
	} `json:"tool" toml:"tool" yaml:"tool"`
}

// TestExplain: wrong-typed and malformed JSON, TOML and YAML are told in
// the file's words: where, what is there, what was expected.
func TestExplain(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, data string
		decode     func([]byte, any) error
		want       string
	}{
		{"JSON string for an object", "{\n  \"name\": \"x\",\n  \"dependencies\": \"left-pad\"\n}", json.Unmarshal, `line 3: "dependencies" is a string, expected an object`},
		{"JSON number for a string", `{"tool": {"channel": 1}}`, json.Unmarshal, `line 1: "tool.channel" is a number, expected a string`},
		{"JSON fraction for a whole number", `{"version": 1.5}`, json.Unmarshal, `line 1: "version" is a number, expected a whole number`},
		{"JSON list for the document", `[1]`, json.Unmarshal, `line 1: the document is a list, expected an object`},
		{"JSON syntax", "{\n  \"name\": \"x\",,\n}", json.Unmarshal, `not valid JSON at line 2: invalid character ','`},
		{"TOML integer for a string", "name = 1\n", toml.Unmarshal, `line 1: "name" is a whole number, expected a string`},
		{"TOML string for a list", "name = \"x\"\nmembers = \"a\"\n", toml.Unmarshal, `line 2: "members" is a string, expected a list`},
		{"TOML string for a table", "dependencies = \"x\"\n", toml.Unmarshal, `line 1: "dependencies" is a string, expected a table`},
		{"TOML nested", "[tool]\nchannel = 1.5\n", toml.Unmarshal, `line 2: "tool.channel" is a number, expected a string`},
		{"TOML syntax", "[[package]\nname = \"x\"\n", toml.Unmarshal, `not valid TOML at line 1: `},
		{"YAML list for a string", "name: [a]\nmembers: x\n", yaml.Unmarshal, "line 1: a list where a string is expected; line 2: a string (x) where a list is expected"},
		{"YAML syntax", "name: [a\n", yaml.Unmarshal, "not valid YAML at line 1: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var v target
			err := Explain(tc.decode([]byte(tc.data), &v), []byte(tc.data))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("got  %q\nwant %q…", err, tc.want)
			}
			NoGoText(t, err.Error())
		})
	}
}
