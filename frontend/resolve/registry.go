package resolve

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/frontend/providers/golang"
	"github.com/distill-build/distill/frontend/providers/java"
	"github.com/distill-build/distill/frontend/providers/node"
	"github.com/distill-build/distill/frontend/providers/python"
	"github.com/distill-build/distill/frontend/providers/rust"
)

// registry lists the providers: the one list that names the languages.
var registry = []providers.Provider{golang.Provider{}, python.Provider{}, node.Provider{}, java.Provider{}, rust.Provider{}}

// Languages lists the supported languages.
func Languages() []string {
	out := make([]string, len(registry))
	for i, p := range registry {
		out[i] = p.Language()
	}
	return out
}

// Register adds a provider for the length of a test; the returned
// function removes it.
func Register(p providers.Provider) (unregister func()) {
	registry = append(slices.Clone(registry), p)
	return func() {
		registry = slices.DeleteFunc(slices.Clone(registry), func(q providers.Provider) bool { return q == p })
	}
}

// Rules are every check rule: the language-neutral ones and each
// language's own.
func Rules() []check.Rule {
	out := slices.Clone(check.Rules)
	for _, p := range registry {
		out = append(out, p.Ecosystem().Rules...)
	}
	return out
}

// Helpers are the languages' helper subcommands, by name.
func Helpers() map[string]providers.Helper {
	out := map[string]providers.Helper{}
	for _, p := range registry {
		maps.Copy(out, p.Ecosystem().Helpers)
	}
	return out
}

// FieldDocs are what each language says of each manifest field: field →
// language → text, for the schema and the docs.
func FieldDocs() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, p := range registry {
		for f, doc := range p.Ecosystem().Fields {
			if out[f] == nil {
				out[f] = map[string]string{}
			}
			out[f][p.Language()] = doc
		}
	}
	return out
}

func provider(m *manifest.Manifest) (providers.Provider, error) {
	for _, p := range registry {
		if p.Language() == m.Language.Value {
			return p, nil
		}
	}
	return nil, &manifest.Error{
		File: m.File, Range: m.Language.Range,
		Msg:  fmt.Sprintf("unsupported language %q", m.Language.Value),
		Hint: "supported: " + strings.Join(Languages(), ", "),
	}
}

// languageFields refuses the manifest's language-specific fields that the
// provider does not read: they would be ignored without a word.
func languageFields(m *manifest.Manifest, prov providers.Provider) error {
	fields := m.LanguageFields()
	var errs manifest.Errs
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		if _, ok := prov.Ecosystem().Fields[name]; ok {
			continue
		}
		var readers []string
		for _, p := range registry {
			if _, ok := p.Ecosystem().Fields[name]; ok {
				readers = append(readers, p.Language())
			}
		}
		errs.Add(providers.Fail(m, fields[name], "remove it (languages that read it: "+strings.Join(readers, ", ")+")",
			"%s: is not read for language %s", name, prov.Language()))
	}
	return errs.Err()
}

// WorkspaceRoot is the directory above dir (the manifest's directory,
// both relative to the context read by fsys) where the manifest's
// language finds a workspace that has dir as a member, or "" (none, or
// the manifest sets root:). It sets the manifest's Member.
func WorkspaceRoot(ctx context.Context, fsys providers.FS, m *manifest.Manifest, dir string) (string, error) {
	p, err := provider(m)
	if err != nil || m.Root.Set() {
		return "", nil
	}
	root, err := providers.FindWorkspace(ctx, fsys, m, dir, p.Ecosystem().Workspace)
	if err != nil || root == "" {
		return "", err
	}
	m.Member = strings.TrimPrefix(strings.TrimPrefix(dir, root), "/")
	if root == "." {
		m.Member = dir
	}
	return root, nil
}

// DetectLanguage sets the manifest's language when it names none: the
// language whose files dir (the manifest's directory in the context fsys
// reads) holds, with the file that says so in Detected. None, or several,
// is an error at the manifest's first line naming what it looked for or
// found.
func DetectLanguage(ctx context.Context, fsys providers.FS, m *manifest.Manifest, dir string) error {
	if m.Language.Value != "" || m.Language.Set() {
		// Named or detected already; or written but not readable, which
		// is its error.
		return nil
	}
	var found []string
	var lang, why string
	for _, p := range registry {
		d, ok := p.(providers.Detector)
		if !ok {
			continue
		}
		f, err := d.Detect(ctx, fsys, dir)
		if err != nil {
			return err
		}
		if f != "" {
			found = append(found, fmt.Sprintf("%s (%s)", p.Language(), f))
			lang, why = p.Language(), f
		}
	}
	first := manifest.Range{Start: manifest.Pos{Line: 1, Column: 1}, End: manifest.Pos{Line: 1, Column: 1}}
	switch len(found) {
	case 0:
		return &manifest.Error{File: m.File, Range: first,
			Msg:  "the manifest names no language, and its directory has no file that tells one (go.mod, package.json, pyproject.toml, requirements.txt, pom.xml, build.gradle, Cargo.toml)",
			Hint: "add language: (" + strings.Join(Languages(), ", ") + ")"}
	case 1:
		m.Language.Value, m.Detected = lang, why
		return nil
	}
	return &manifest.Error{File: m.File, Range: first,
		Msg:  fmt.Sprintf("the manifest names no language, and %d match its directory: %s", len(found), strings.Join(found, ", ")),
		Hint: "add language: with the app's"}
}

// Suggest is what the manifest's language suggests for `distill init`
// of the app in dir (nothing when it suggests nothing).
func Suggest(ctx context.Context, fsys providers.FS, m *manifest.Manifest, dir string) (providers.Suggestion, error) {
	p, err := provider(m)
	if err != nil {
		return providers.Suggestion{}, err
	}
	if s, ok := p.(providers.Suggester); ok {
		return s.Suggest(ctx, fsys, dir)
	}
	return providers.Suggestion{}, nil
}
