package manifest

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
)

// SchemaID is the $id of the generated JSON Schema: where it is
// published, an asset of every release (make release), this URL the
// newest release's.
const SchemaID = "https://github.com/distill-build/distill/releases/latest/download/distill.schema.json"

// Schema returns the JSON Schema of the manifest, generated from the
// Manifest type's tags. languages is the enum of the language field and
// docs what each language says of a field (field → language → text): the
// provider registry owns both.
func Schema(languages []string, docs map[string]map[string]string) ([]byte, error) {
	t := reflect.TypeFor[Manifest]()
	props := map[string]any{}
	var required []string
	for _, name := range fieldNames(t) {
		f := fieldsOf(t)[name]
		s := reflect.New(f.Type).Interface().(value).schema()
		desc := f.Tag.Get("doc")
		for _, lang := range slices.Sorted(maps.Keys(docs[name])) {
			desc += " " + lang + ": " + docs[name][lang] + "."
		}
		s["description"] = desc
		if name == "language" {
			s["enum"] = languages
		}
		if f.Tag.Get("nonempty") != "" {
			s["minItems"] = 1
		}
		props[name] = s
		if f.Tag.Get("required") == "true" {
			required = append(required, name)
		}
	}
	return json.MarshalIndent(map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  SchemaID,
		"title":                "distill manifest",
		"type":                 "object",
		"properties":           props,
		"required":             required,
		"additionalProperties": false,
	}, "", "  ")
}
