// Package decode puts the errors of the JSON, YAML and TOML decoders in
// plain words: where in the file, what is there and what was expected,
// without the decoders' prefixes nor the Go types they decode into, which
// say nothing to whoever wrote the file.
package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"gopkg.in/yaml.v3"
)

// Problem is what a decoder found wrong in a document.
type Problem struct {
	// Syntax names the syntax the document is not valid in ("JSON",
	// "YAML", "TOML"); "" when it is valid but a value is not what is
	// expected there.
	Syntax string
	// Line is 1-based, 0 when not known.
	Line int
	Msg  string
}

func (p *Problem) Error() string {
	at := ""
	if p.Line > 0 {
		at = fmt.Sprintf(" at line %d", p.Line)
	}
	if p.Syntax != "" {
		return fmt.Sprintf("not valid %s%s: %s", p.Syntax, at, p.Msg)
	}
	if at != "" {
		return fmt.Sprintf("line %d: %s", p.Line, p.Msg)
	}
	return p.Msg
}

// Explain is err, an error of encoding/json, yaml.v3 or go-toml decoding
// data, as a *Problem; data, when given, places a JSON error on its line.
// An error of none of them is returned as it is.
func Explain(err error, data []byte) error {
	if err == nil {
		return nil
	}
	if p := explainJSON(err, data); p != nil {
		return p
	}
	if p := explainTOML(err); p != nil {
		return p
	}
	if p := explainYAML(err); p != nil {
		return p
	}
	return err
}

func lineAt(data []byte, offset int64) int {
	if data == nil {
		return 0
	}
	return bytes.Count(data[:min(max(int(offset), 0), len(data))], []byte("\n")) + 1
}

func explainJSON(err error, data []byte) *Problem {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return &Problem{Syntax: "JSON", Line: lineAt(data, se.Offset), Msg: se.Error()}
	case errors.As(err, &te):
		what := "the document"
		if te.Field != "" {
			what = strconv.Quote(strings.TrimPrefix(te.Field, "."))
		}
		value, _, _ := strings.Cut(te.Value, " ")
		return &Problem{Line: lineAt(data, te.Offset), Msg: fmt.Sprintf("%s is %s, expected %s", what, jsonKinds[value], kindOf(te.Type))}
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "json: "); ok {
		// Unknown fields (DisallowUnknownFields), and the like.
		return &Problem{Msg: rest}
	}
	if msg == "unexpected EOF" {
		return &Problem{Syntax: "JSON", Line: lineAt(data, int64(len(data))), Msg: "the document ends too early"}
	}
	return nil
}

// jsonKinds are encoding/json's names of JSON values, in words.
var jsonKinds = map[string]string{"string": "a string", "number": "a number", "bool": "true or false", "array": "a list", "object": "an object", "null": "null"}

// kindOf is what a Go type holds, in the words of the file.
func kindOf(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return kindOf(t.Elem())
	}
	return "another value"
}

// kindOfName is kindOf for a type as a decoder printed it.
func kindOfName(name string) string {
	name = strings.TrimLeft(name, "*")
	switch {
	case strings.HasPrefix(name, "[]"), strings.HasPrefix(name, "["):
		return "a list"
	case strings.HasPrefix(name, "map["), strings.HasPrefix(name, "struct"), strings.Contains(name, "."):
		return "a table"
	case name == "string":
		return "a string"
	case name == "bool":
		return "true or false"
	case strings.HasPrefix(name, "int"), strings.HasPrefix(name, "uint"):
		return "a whole number"
	case strings.HasPrefix(name, "float"):
		return "a number"
	}
	return "another value"
}

// tomlKinds are go-toml's names of TOML values, in words.
var tomlKinds = map[string]string{
	"integer": "a whole number", "float": "a number", "string": "a string", "boolean": "true or false",
	"array": "a list", "table": "a table", "inline": "a table",
	"datetime": "a date", "date": "a date", "time": "a time",
}

var tomlMismatch = regexp.MustCompile(`^cannot decode TOML (\w+)(?: table)? into (?:struct field .* of type )?(.+)$`)

func explainTOML(err error) *Problem {
	var de *toml.DecodeError
	var sm *toml.StrictMissingError
	switch {
	case errors.As(err, &sm):
		var keys []string
		line := 0
		for _, e := range sm.Errors {
			keys = append(keys, strings.Join(e.Key(), "."))
			if l, _ := e.Position(); line == 0 {
				line = l
			}
		}
		return &Problem{Line: line, Msg: "unknown keys: " + strings.Join(keys, ", ")}
	case !errors.As(err, &de):
		return nil
	}
	line, _ := de.Position()
	msg := strings.TrimPrefix(de.Error(), "toml: ")
	mm := tomlMismatch.FindStringSubmatch(msg)
	if mm == nil {
		return &Problem{Syntax: "TOML", Line: line, Msg: msg}
	}
	what := "the value"
	if k := de.Key(); len(k) > 0 {
		what = strconv.Quote(strings.Join(k, "."))
	}
	have := tomlKinds[mm[1]]
	if have == "" {
		have = "a " + mm[1]
	}
	return &Problem{Line: line, Msg: fmt.Sprintf("%s is %s, expected %s", what, have, kindOfName(mm[2]))}
}

var (
	yamlLine     = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	yamlMismatch = regexp.MustCompile("^line (\\d+): cannot unmarshal !!(\\w+)(?: `(.*)`)? into (.+)$")
)

// yamlKinds are YAML's tags, in words.
var yamlKinds = map[string]string{
	"str": "a string", "int": "a whole number", "float": "a number", "bool": "true or false",
	"seq": "a list", "map": "a mapping", "null": "nothing", "timestamp": "a date", "binary": "binary data",
}

func explainYAML(err error) *Problem {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		// One line per value of the wrong type: the first with its
		// line, the others after it.
		p := &Problem{}
		var msgs []string
		for _, e := range te.Errors {
			mm := yamlMismatch.FindStringSubmatch(e)
			if mm == nil {
				msgs = append(msgs, e)
				continue
			}
			line, _ := strconv.Atoi(mm[1])
			if p.Line == 0 {
				p.Line = line
			}
			value := yamlKinds[mm[2]]
			if mm[3] != "" {
				value += " (" + mm[3] + ")"
			}
			want := kindOfName(mm[4])
			if want == "a table" {
				want = "a mapping"
			}
			msg := fmt.Sprintf("%s where %s is expected", value, want)
			if line != p.Line {
				msg = fmt.Sprintf("line %d: %s", line, msg)
			}
			msgs = append(msgs, msg)
		}
		p.Msg = strings.Join(msgs, "; ")
		return p
	}
	msg := err.Error()
	if mm := yamlLine.FindStringSubmatch(msg); mm != nil {
		line, _ := strconv.Atoi(mm[1])
		return &Problem{Syntax: "YAML", Line: line, Msg: mm[2]}
	}
	if rest, ok := strings.CutPrefix(msg, "yaml: "); ok {
		return &Problem{Syntax: "YAML", Msg: rest}
	}
	return nil
}
