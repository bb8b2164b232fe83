package resolve

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/lock"
	"github.com/distill-build/distill/frontend/manifest"
)

// TestEveryError: a manifest with several mistakes, found by the decoder,
// by resolve and by the language's provider, reports every one of them
// in file order, whatever order they are found in; what follows from a
// mistake (a field that could not be read, a dependency file that is
// not there) is not reported besides it, and the same mistake on two
// platforms is reported once.
func TestEveryError(t *testing.T) {
	t.Parallel()
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	goApp := fstest.MapFS{"go.mod": f("module example.com/x\n\ngo 1.26\n"), "main.go": f("package main\nfunc main() {}\n")}
	cgoApp := fstest.MapFS{"go.mod": goApp["go.mod"], "main.go": f("package main\n\n// int f(void) { return 1; }\nimport \"C\"\nfunc main() { C.f() }\n")}
	nodeApp := fstest.MapFS{"package.json": f(`{"name": "x", "main": "server.js"}`), "server.js": f("")}
	pyApp := fstest.MapFS{"requirements.txt": f("flask\n"), "main.py": f("")}
	for _, tc := range []struct {
		name     string
		fs       fstest.MapFS
		manifest string
		want     []string // "line:col: start of the message", in order
	}{
		{"provider, resolve, decoder", goApp,
			"language: go\nversion: latest\nuser: www-data\nexpose: [99999]\n",
			[]string{`2:10: invalid Go version "latest"`, `3:7: unknown user "www-data"`, `4:10: invalid port "99999"`}},
		{"found last, reported first", nodeApp,
			"language: node\ninclude: [static/]\nbase: static\nruntime-packages: [\"lib magic\"]\n",
			[]string{`2:11: include "static/" is not in the build context`, `3:7: base "static" has no Node.js runtime`, `4:20: "lib magic" is not a Debian package name`}},
		{"independent passes of a provider", pyApp,
			"language: python\ndependencies: setup.cfg\nversion: \"3.9\"\nbuild-packages: [gcc, \"libpq dev\"]\n",
			[]string{`2:15: "setup.cfg" is not a Python dependency file`, `3:10: Python 3.9 has no official slim trixie image`, `4:23: "libpq dev" is not a Debian package name`}},
		// cgo: maybe is no boolean; that node does not read cgo: is
		// about the same value: one error.
		{"unreadable field", nodeApp,
			"language: node\ncgo: maybe\nuser: www-data\n",
			[]string{`2:6: expected a boolean`, `3:7: unknown user "www-data"`}},
		// No provider without a language: the rest is checked still.
		{"unreadable language", goApp,
			"language: [go]\nuser: www-data\ninclude: [../etc]\n",
			[]string{`1:11: expected a string`, `2:7: unknown user "www-data"`, `3:11: include "../etc" is not a path inside the build context`}},
		// Without go.mod nothing of the module is checked, the version
		// the manifest names is.
		{"dependent passes stop", fstest.MapFS{"main.go": goApp["main.go"]},
			"language: go\nmain: ./cmd/api\nversion: latest\n",
			[]string{`1:11: no go.mod at the root of the build context`, `3:10: invalid Go version "latest"`}},
		// The base is checked against each platform's build: there is
		// none to check with a wrong platform.
		{"per-platform checks need the platforms", cgoApp,
			"language: go\nplatforms: [linux/amd64, linux/arm64, windows/amd64]\nbase: static\n",
			[]string{`2:39: platform "windows/amd64" is not supported`}},
		{"once for every platform", cgoApp,
			"language: go\nplatforms: [linux/amd64, linux/arm64]\nbase: static\nuser: www-data\n",
			[]string{`3:7: base "static" cannot run this app`, `4:7: unknown user "www-data"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := manifest.Parse("distill.yaml", []byte(tc.manifest))
			if m == nil {
				t.Fatal(err)
			}
			_, err = Resolve(context.Background(), m, contextfs.FS{FS: tc.fs}, Options{BuildPlatform: amd64})
			errs := manifest.Errors(err)
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d errors, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i], "distill.yaml:"+w) {
					t.Errorf("error %d = %q\nwant distill.yaml:%s…", i+1, got[i], w)
				}
			}
		})
	}
}

// TestGarbageLockFiles: a lock file that is not what its name says fails
// planning, at the manifest line that chose it (dependencies:, else
// language:), naming the file, what is wrong and the command that
// writes it again; not later, inside the package manager's step.
func TestGarbageLockFiles(t *testing.T) {
	t.Parallel()
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	node := func(lock, data string) fstest.MapFS {
		return fstest.MapFS{"package.json": f(`{"name": "x", "main": "server.js"}`), "server.js": f(""), lock: f(data)}
	}
	python := func(lock, data string) fstest.MapFS {
		return fstest.MapFS{"pyproject.toml": f("[project]\nname = \"x\"\nversion = \"1\"\n"), "main.py": f(""), lock: f(data)}
	}
	rust := fstest.MapFS{"Cargo.toml": f("[package]\nname = \"x\"\nversion = \"0.1.0\"\n"), "src/main.rs": f("fn main() {}\n")}
	goApp := fstest.MapFS{"go.mod": f("module example.com/x\n\ngo 1.26\n\nrequire golang.org/x/text v0.3.0\n"), "main.go": f("package main\nfunc main() {}\n")}
	with := func(fs fstest.MapFS, name, data string) fstest.MapFS {
		out := fstest.MapFS{name: f(data)}
		for k, v := range fs {
			out[k] = v
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		fs       fstest.MapFS
		manifest string
		want     string
	}{
		{"npm, broken JSON", node("package-lock.json", "{\n  \"name\": \"x\",\n  \"lockfileVersion\": 3,,\n}\n"), "language: node\ndependencies: package-lock.json\n",
			"distill.yaml:2:15: package-lock.json: not valid JSON at line 3: invalid character ',' looking for beginning of object key string (regenerate it with `npm install`)"},
		{"npm, no lockfileVersion", node("package-lock.json", `{"name": "x"}`), "language: node\n",
			"distill.yaml:1:11: package-lock.json: no lockfileVersion: it is not an npm lock file (regenerate it with `npm install`)"},
		{"npm, cut short", node("package-lock.json", "{\n  \"name\": \"x\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\n"), "language: node\n",
			"package-lock.json: not valid JSON at line 5: unexpected end of JSON input"},
		{"pnpm", node("pnpm-lock.yaml", "lockfileVersion: '9.0'\nimporters:\n  .: [\n"), "language: node\n",
			"distill.yaml:1:11: pnpm-lock.yaml: not valid YAML at line 3: did not find expected node content (regenerate it with `pnpm install`)"},
		{"pnpm, no lockfileVersion", node("pnpm-lock.yaml", "packages: {}\n"), "language: node\n",
			"pnpm-lock.yaml: no lockfileVersion: it is not a pnpm lock file"},
		{"yarn classic", node("yarn.lock", "# yarn lockfile v1\n\nleft-pad@^1.3.0:\n  version \"1.3.0\"\nthis is not a lock\n"), "language: node\n",
			"distill.yaml:1:11: yarn.lock: line 5 is neither an entry (name@range:) nor indented under one (regenerate it with `yarn install`)"},
		{"yarn classic, not one", node("yarn.lock", "hello\n"), "language: node\n",
			"yarn.lock: no `# yarn lockfile v1` header and no __metadata: it is not a Yarn lock file"},
		{"yarn, merge conflict", node("yarn.lock", "# yarn lockfile v1\n\n<<<<<<< HEAD\nleft-pad@^1.3.0:\n=======\nleft-pad@^1.2.0:\n>>>>>>> main\n  version \"1.3.0\"\n"), "language: node\n",
			"yarn.lock: unresolved merge conflict at line 3 (resolve the conflict, or regenerate it with `yarn install`)"},
		{"yarn berry", node("yarn.lock", "__metadata:\n  version: 8\n\n\"left-pad@npm:^1.3.0\": {\n"), "language: node\n",
			"distill.yaml:1:11: yarn.lock: not valid YAML at line 4: did not find expected node content (regenerate it with `yarn install`)"},
		{"uv", python("uv.lock", "version = 1\n[[package]\nname = \"x\"\n"), "language: python\n",
			"distill.yaml:1:11: uv.lock: not valid TOML at line 2: "},
		{"uv, no version", python("uv.lock", "[[package]]\nname = \"x\"\n"), "language: python\ndependencies: uv.lock\n",
			"distill.yaml:2:15: uv.lock: no version number: it is not a uv lock file (regenerate it with `uv lock`)"},
		{"poetry", python("poetry.lock", "[[package]]\nname = \"x\"\nversion = \"1\"\n"), "language: python\n",
			"distill.yaml:1:11: poetry.lock: no [metadata] table: it is not a Poetry lock file (regenerate it with `poetry lock`)"},
		{"Pipfile.lock", fstest.MapFS{"Pipfile.lock": f("{\"default\": {}"), "main.py": f("")}, "language: python\n",
			"distill.yaml:1:11: Pipfile.lock: not valid JSON at line 1: unexpected end of JSON input (regenerate it with `pipenv lock`)"},
		{"Cargo.lock", with(rust, "Cargo.lock", "version = \"4\"\n"), "language: rust\n",
			"distill.yaml:1:11: Cargo.lock: its version is not a number: it is not a Cargo lock file (regenerate it with `cargo generate-lockfile`)"},
		{"go.sum", with(goApp, "go.sum", "golang.org/x/text v0.3.0 h1:abc\n"), "language: go\n",
			"distill.yaml:1:11: go.sum: line 1: the hash of golang.org/x/text v0.3.0 is not a SHA-256 in base64 (regenerate it with `go mod tidy`)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantResolveError(t, tc.fs, tc.manifest, tc.want)
		})
	}
}

// goText is what an error must not show of the Go program that read a
// file: the decoders' prefixes, "Go value"/"Go struct", Go types (package
// qualified, maps, slices, interfaces).
var goText = regexp.MustCompile(`Go value|Go struct|of type|(^|[\s(])(json|toml|yaml): |\b[a-z]\w*\.[A-Z]\w*|map\[|\[\]\w|interface \{|struct \{`)

// TestNoGoTypesInMessages: the project's files with values of the wrong
// type (JSON, TOML) fail planning in the file's words (the file, where,
// what was expected), never in the decoder's Go types.
func TestNoGoTypesInMessages(t *testing.T) {
	t.Parallel()
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	cargo := "[package]\nname = \"x\"\nversion = \"0.1.0\"\n"
	for _, tc := range []struct {
		name     string
		fs       fstest.MapFS
		manifest string
		want     string
	}{
		{"package.json", fstest.MapFS{"package.json": f("{\n  \"name\": \"x\",\n  \"dependencies\": \"left-pad\"\n}\n"), "server.js": f("")}, "language: node\n",
			`package.json: line 3: "dependencies" is a string, expected an object (fix package.json)`},
		{"package.json engines", fstest.MapFS{"package.json": f(`{"name": "x", "engines": {"node": 22}}`), "server.js": f("")}, "language: node\n",
			`package.json: line 1: "engines.node" is a number, expected a string`},
		{"Pipfile.lock", fstest.MapFS{"Pipfile.lock": f(`{"_meta": {"requires": {"python_version": 3.12}}, "default": {}}`), "main.py": f("")}, "language: python\n",
			`Pipfile.lock: line 1: "_meta.requires.python_version" is a number, expected a string`},
		{"pyproject.toml", fstest.MapFS{"pyproject.toml": f("[project]\nname = 1\n"), "uv.lock": f("version = 1\n"), "main.py": f("")}, "language: python\n",
			`pyproject.toml: line 2: "project.name" is a whole number, expected a string`},
		{"Cargo.toml", fstest.MapFS{"Cargo.toml": f("[package]\nname = 1\n"), "src/main.rs": f("")}, "language: rust\n",
			`Cargo.toml: line 2: "package.name" is a whole number, expected a string`},
		{"rust-toolchain.toml", fstest.MapFS{"Cargo.toml": f(cargo), "rust-toolchain.toml": f("[toolchain]\nchannel = 1.85\n"), "src/main.rs": f("")}, "language: rust\n",
			`rust-toolchain.toml: line 2: "toolchain.channel" is a number, expected a string`},
		{"no Cargo.toml", fstest.MapFS{"src/main.rs": f("")}, "language: rust\n",
			`distill.yaml:1:11: no Cargo.toml at the root of the build context (run`},
		{"missing workspace member", fstest.MapFS{"Cargo.toml": f("[workspace]\nmembers = [\"crates/api\"]\n")}, "language: rust\n",
			`package crates/api: crates/api/Cargo.toml is not in the build context`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := wantResolveError(t, tc.fs, tc.manifest, tc.want); goText.MatchString(err.Error()) {
				t.Errorf("%q shows %q, the program's view of the file", err, goText.FindString(err.Error()))
			}
		})
	}
	// distill.lock, read before planning.
	_, err := lock.Parse("distill.lock", []byte("{\n  \"version\": \"1\",\n  \"images\": []\n}\n"))
	if want := `distill.lock: line 2: "version" is a string, expected a whole number (regenerate it with`; err == nil || !strings.Contains(err.Error(), want) || goText.MatchString(err.Error()) {
		t.Errorf("lock.Parse: %v\nwant it to contain %q, without Go types", err, want)
	}
}

// TestUnreadableFields: a field of the wrong type in the manifest of an
// app of each language is reported by the decoder, and planning goes on
// with the rest of the manifest (that field reads as empty) without a
// panic, the decoder's errors among its own.
func TestUnreadableFields(t *testing.T) {
	t.Parallel()
	fields := []string{"language", "version", "dependencies", "entrypoint", "main", "build", "root", "include", "env", "expose",
		"user", "base", "builder", "platforms", "runtime-packages", "build-packages", "args", "cgo", "runtime", "modules"}
	for _, example := range []string{"go-server", "node-express", "python-uv", "java-maven", "rust-cli"} {
		dir := filepath.Join("..", "..", "examples", example)
		data, err := os.ReadFile(filepath.Join(dir, manifest.DefaultFilename))
		if err != nil {
			t.Fatal(err)
		}
		for _, field := range fields {
			// The field, last, instead of the example's (and the lines
			// indented below it).
			var lines []string
			skip := false
			for _, l := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
				if skip = strings.HasPrefix(l, field+":") || (skip && strings.HasPrefix(l, " ")); !skip {
					lines = append(lines, l)
				}
			}
			for _, value := range []string{"[x, {a: b}]", "{a: [b]}", "~", "[]"} {
				text := strings.Join(append(slices.Clone(lines), field+": "+value), "\n") + "\n"
				m, perr := manifest.Parse(manifest.DefaultFilename, []byte(text))
				if m == nil {
					t.Fatalf("%s, %s: %s: no manifest: %v", example, field, value, perr)
				}
				if perr == nil {
					continue // a value the field takes ([] for a list)
				}
				_, err := Resolve(context.Background(), m, contextfs.Dir(dir), Options{BuildPlatform: amd64})
				got := manifest.Errors(err)
				for _, e := range manifest.Errors(perr) {
					if !slices.ContainsFunc(got, func(g *manifest.Error) bool { return *g == *e }) {
						t.Errorf("%s, %s: %s: planning does not report %v: %v", example, field, value, e, err)
					}
				}
			}
		}
	}
}
