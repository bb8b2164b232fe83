package manifest

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// DefaultFilename is the manifest name docker build looks for with -f.
const DefaultFilename = "distill.yaml"

// AppPath is the manifest's path relative to the app's root: what the
// app's files leave out.
func (m *Manifest) AppPath() string {
	if m.InRoot != "" {
		return m.InRoot
	}
	return m.File
}

// Path is a path the manifest names, relative to the app's root: the
// manifest's paths are relative to the member's directory in a workspace
// (Member), else to the root.
func (m *Manifest) Path(p string) string {
	if m.Member == "" || m.Member == "." {
		return p
	}
	return path.Join(m.Member, p)
}

// Manifest is a parsed distill.yaml. Every field keeps the range it was
// written at, so later stages can point errors and build steps at it.
// The struct tags drive decoding and the JSON Schema alike.
type Manifest struct {
	// File is the manifest's name as the client gave it, or its path in
	// the build context once the frontend has found it there.
	File string `yaml:"-" json:"file"`
	// InRoot is the manifest's path under the app's root, when the
	// frontend has found it in the build context (see AppPath).
	InRoot string `yaml:"-" json:"-"`
	// Detected, when the manifest names no language, is why the frontend
	// chose Language (the file it found), for the progress output and
	// the outline.
	Detected string `yaml:"-" json:"-"`
	// Member is the manifest's directory under the app's root when the
	// root is a workspace the frontend found above it (a go.work, a
	// pnpm-workspace.yaml): the app is that member of the workspace, and
	// the manifest's paths are relative to it (see Path).
	Member string `yaml:"-" json:"-"`
	// Syntax is the value of the "# syntax=" directive on line 1, if any.
	Syntax string `yaml:"-" json:"syntax,omitempty"`
	// Check is the "# check=" directive of the leading comments, if any:
	// which `--call=check` rules to skip and whether findings fail the
	// build, as the Dockerfile directive of that name.
	Check CheckDirective `yaml:"-" json:"check,omitempty"`

	Language        String  `yaml:"language" doc:"Language of the app (one of the enum). Selects the builder image, the dependency steps and the runtime base. Default: detected from the files in the manifest's directory (go.mod, package.json, pyproject.toml or requirements.txt, pom.xml or build.gradle, Cargo.toml); two languages that match are an error naming both."`
	Version         String  `yaml:"version" doc:"Toolchain version. Default: read from the project, else the language's default (below)."`
	Dependencies    String  `yaml:"dependencies" doc:"Dependency file, relative to the build context. Detected when omitted."`
	Entrypoint      Strings `yaml:"entrypoint" nonempty:"name the command, e.g. [\"./server\"], or leave entrypoint out for the default" doc:"Command the image runs, as an argv list (there is no shell in the image)."`
	Main            String  `yaml:"main" scope:"language" doc:"What to build or run, for the languages that read it."`
	Build           Strings `yaml:"build" scope:"language" doc:"Build command (argv) run before the app is copied onto the runtime, for the languages that read it."`
	Root            String  `yaml:"root" doc:"The app's root directory, relative to the manifest's directory (default: the manifest's directory, so an app in services/api/ builds from the repository root with -f services/api/distill.yaml). Paths in the manifest are relative to it, and only its files are sent to the builder. Must stay inside the build context."`
	Include         Strings `yaml:"include" doc:"Extra runtime files or directories copied from the build context into the app directory (/app), e.g. templates/ or static/."`
	Env             Env     `yaml:"env" doc:"Environment variables of the image, added to the base image's (PATH, SSL_CERT_FILE)."`
	Expose          Ports   `yaml:"expose" doc:"Ports the app listens on, e.g. [8080] or [\"53/udp\"]."`
	User            String  `yaml:"user" doc:"User the app runs as: nonroot (65532, the default), root, or uid[:gid]."`
	Base            String  `yaml:"base" doc:"Runtime base: static, base or cc (distroless, Debian 13), or an image reference. Default: the least distroless image the app needs."`
	Builder         String  `yaml:"builder" doc:"Builder image override. Default: the official language image of the same Debian release as the runtime."`
	Platforms       Strings `yaml:"platforms" doc:"Target platforms when the client names none, e.g. [linux/amd64, linux/arm64]."`
	RuntimePackages Strings `yaml:"runtime-packages" doc:"Debian 13 packages added to the runtime image, for each target architecture, e.g. [libmagic1] for a library opened at run time or [jq] for a program the app runs: their dependencies the base lacks come with them, no dpkg or apt reaches the image, and each is recorded in /var/lib/dpkg/status.d. Packages that need a shell at run time are refused."`
	BuildPackages   Strings `yaml:"build-packages" doc:"Debian packages installed in the builder only, e.g. [libpq-dev]. The shared libraries the built code links are carried into the runtime."`
	Args            Args    `yaml:"args" doc:"Build arguments, with their defaults, that every build step sees as environment variables (not the image), e.g. {HTTP_TIMEOUT: \"30\"}. --build-arg NAME=value overrides a default; one not declared here is not used (a warning says so)."`
	CGO             Bool    `yaml:"cgo" scope:"language" doc:"Link C code into the binary, for the languages that read it."`
	LDFlags         String  `yaml:"ldflags" scope:"language" doc:"Flags for the linker, for the languages that read it."`
	Runtime         String  `yaml:"runtime" scope:"language" doc:"How the language runtime in the image is made, for the languages that read it."`
	Modules         Strings `yaml:"modules" scope:"language" doc:"Runtime modules added to the ones distill finds the app needs, for the languages that read it."`
	Features        Strings `yaml:"features" scope:"language" doc:"Features of the package built, turned on in addition to its defaults, for the languages that read it."`
	DefaultFeatures Bool    `yaml:"default-features" scope:"language" doc:"Whether the package's default features are on (default true), for the languages that read it."`

	// errs are the problems Parse found, unread the values it could not
	// read, parsedAs the name it was given (see Err).
	errs     []*Error
	unread   []Range
	parsedAs string
}

// Parse decodes a manifest. The error, when not nil, joins one *Error per
// problem found, each with a position and a hint, in file order.
//
// With an error, the manifest is returned too when the file is a mapping
// of fields: the fields that could be read are set, a value that could
// not be read is empty with its range set. Later stages may read it to
// find the rest of the manifest's mistakes, and report all of them with
// Err, which holds this error: a manifest with errors never plans.
func Parse(file string, data []byte) (*Manifest, error) {
	m := &Manifest{File: file, Syntax: syntaxDirective(data), parsedAs: file}
	d := &decoder{file: file}
	m.Check = checkDirective(d, data)

	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err == io.EOF {
		// Only the syntax line (and comments): every field has its
		// default, the language detected from the app's files.
		return d.done(m)
	} else if err != nil {
		d.errs = append(d.errs, yamlError(file, err))
		return nil, d.err()
	}
	if len(doc.Content) == 0 {
		return d.done(m)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.add(d.rangeOf(&extra), "keep one YAML document per manifest", "the manifest holds more than one YAML document")
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		d.errorf(root, "start with `language:` and the app's language", "the manifest must be a mapping of fields, found %s", kindName(root))
		return nil, d.err()
	}
	d.decodeStruct(root, reflect.ValueOf(m).Elem())
	return d.done(m)
}

// done is the manifest decoded and the decoder's errors, which it keeps
// for Err.
func (d *decoder) done(m *Manifest) (*Manifest, error) {
	err := d.err()
	m.errs, m.unread = Errors(err), d.unread
	return m, err
}

// CheckDirective is "# check=skip=Rule1,Rule2;error=true".
type CheckDirective struct {
	// Skip lists rule names, or "all".
	Skip  []string `json:"skip,omitempty"`
	Error bool     `json:"error,omitempty"`
	Range Range    `json:"range"`
}

// Set reports whether the manifest has the directive.
func (c CheckDirective) Set() bool { return c.Range.Known() }

// ParseCheck reads a check directive's value (also the
// BUILDKIT_DOCKERFILE_CHECK build arg's).
func ParseCheck(v string) (CheckDirective, error) {
	var c CheckDirective
	for _, part := range strings.Split(v, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, val, ok := strings.Cut(part, "=")
		switch strings.TrimSpace(k) {
		case "skip":
			for _, r := range strings.Split(val, ",") {
				if r = strings.TrimSpace(r); r != "" {
					c.Skip = append(c.Skip, r)
				}
			}
		case "error":
			switch strings.TrimSpace(val) {
			case "true":
				c.Error = true
			case "false":
			default:
				return c, fmt.Errorf("check error=%q: want true or false", val)
			}
		default:
			if !ok {
				return c, fmt.Errorf("check option %q: want skip=Rule,… or error=true", part)
			}
			return c, fmt.Errorf("unknown check option %q: want skip or error", k)
		}
	}
	return c, nil
}

// checkDirective finds "# check=" among the comment lines the manifest
// starts with.
func checkDirective(d *decoder, data []byte) CheckDirective {
	for i, line := range strings.Split(string(data), "\n") {
		s := strings.TrimSpace(line)
		if !strings.HasPrefix(s, "#") {
			break
		}
		k, v, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(s, "#")), "=")
		if !ok || strings.ToLower(strings.TrimSpace(k)) != "check" {
			continue
		}
		r := Range{Start: Pos{i + 1, 1}, End: Pos{i + 1, len(line) + 1}}
		c, err := ParseCheck(v)
		if err != nil {
			d.add(r, "write e.g. # check=skip=UnpinnedImage;error=true", "%v", err)
		}
		c.Range = r
		return c
	}
	return CheckDirective{}
}

// syntaxDirective returns the value of a "# syntax=" line at the top.
func syntaxDirective(data []byte) string {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	s := strings.TrimSpace(string(line))
	if !strings.HasPrefix(s, "#") {
		return ""
	}
	s = strings.TrimSpace(strings.TrimPrefix(s, "#"))
	k, v, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(strings.ToLower(k)) != "syntax" {
		return ""
	}
	return strings.TrimSpace(v)
}

type decoder struct {
	file string
	errs []error
	// unread are the ranges of the values that could not be read.
	unread []Range
}

func (d *decoder) err() error { return Join(d.errs...) }

func (d *decoder) add(r Range, hint, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Range: r, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

func (d *decoder) errorf(n *yaml.Node, hint, format string, args ...any) {
	d.add(d.rangeOf(n), hint, format, args...)
}

// invalid is an error in a value: the field reads as empty (or without
// that item), and what later stages find wrong inside it follows from
// this error (Manifest.Err).
func (d *decoder) invalid(n *yaml.Node, hint, format string, args ...any) {
	d.unread = append(d.unread, d.rangeOf(n))
	d.errorf(n, hint, format, args...)
}

// rangeOf spans a node from its start to the end of its last descendant.
func (d *decoder) rangeOf(n *yaml.Node) Range {
	r := Range{Start: Pos{n.Line, n.Column}, End: Pos{n.Line, n.Column}}
	var last func(*yaml.Node)
	last = func(n *yaml.Node) {
		if n.Line > r.End.Line || (n.Line == r.End.Line && n.Column > r.End.Column) {
			r.End = Pos{n.Line, n.Column + len(n.Value)}
		}
		for _, c := range n.Content {
			last(c)
		}
	}
	last(n)
	return r
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value) {
	fields := fieldsOf(v.Type())
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, "use a plain field name", "field names must be strings, found %s", kindName(k))
			continue
		}
		f, ok := fields[k.Value]
		if !ok {
			d.errorf(k, didYouMean(k.Value, fieldNames(v.Type())), "unknown field %q", k.Value)
			continue
		}
		if prev := seen[k.Value]; prev != nil {
			d.errorf(k, fmt.Sprintf("it is already set on line %d: remove one", prev.Line), "field %q is set twice", k.Value)
			continue
		}
		seen[k.Value] = k
		if val.Kind == yaml.AliasNode {
			val = val.Alias
		}
		v.FieldByIndex(f.Index).Addr().Interface().(value).decode(d, val)
		if hint := f.Tag.Get("nonempty"); hint != "" && val.Kind == yaml.SequenceNode && len(val.Content) == 0 {
			d.invalid(val, hint, "%s: is an empty list", k.Value)
		}
	}
	for _, name := range fieldNames(v.Type()) {
		f := fields[name]
		if f.Tag.Get("required") == "true" && seen[name] == nil {
			d.add(d.rangeOf(n), fmt.Sprintf("add `%s:` to the manifest", name), "missing required field %q", name)
		}
	}
}

// fieldsOf maps YAML names to the positioned fields of a manifest struct.
func fieldsOf(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("yaml")
		if name == "" || name == "-" {
			continue
		}
		out[name] = f
	}
	return out
}

// fieldNames lists the YAML names in declaration order.
func fieldNames(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		if name := t.Field(i).Tag.Get("yaml"); name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

func didYouMean(got string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if dist := levenshtein(strings.ToLower(got), n); dist < bestD {
			best, bestD = n, dist
		}
	}
	if best != "" {
		return fmt.Sprintf("did you mean %q?", best)
	}
	return "known fields: " + strings.Join(names, ", ")
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// yamlError turns a yaml.v3 syntax error ("yaml: line 3: …") into an *Error.
func yamlError(file string, err error) error {
	msg := err.Error()
	line := 0
	if rest, ok := strings.CutPrefix(msg, "yaml: line "); ok {
		if n, after, ok := strings.Cut(rest, ":"); ok {
			fmt.Sscanf(n, "%d", &line)
			msg = strings.TrimSpace(after)
		}
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	e := &Error{File: file, Msg: "invalid YAML: " + msg, Hint: "fix the YAML syntax"}
	if line > 0 {
		e.Range = Range{Start: Pos{line, 1}, End: Pos{line, 1}}
	}
	return e
}

// LanguageFields are the fields set in the manifest that only some
// languages read (scope:"language"), by name, with where they are.
func (m *Manifest) LanguageFields() map[string]Range {
	out := map[string]Range{}
	v := reflect.ValueOf(m).Elem()
	for name, f := range fieldsOf(v.Type()) {
		if f.Tag.Get("scope") != "language" {
			continue
		}
		if r, ok := v.FieldByIndex(f.Index).FieldByName("Range").Interface().(Range); ok && r.Known() {
			out[name] = r
		}
	}
	return out
}
