package scaffold

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/resolve"
	"github.com/distill-build/distill/llb/plan"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

var amd64 = ocispecs.Platform{OS: "linux", Architecture: "amd64"}

// planOf plans a manifest in dir, a directory of the repository top
// (a member of a workspace above it planned from the workspace's root,
// as the CLI and the frontend plan it).
func planOf(t *testing.T, top, dir string, data []byte) (*plan.Plan, error) {
	t.Helper()
	ctx := context.Background()
	m, err := manifest.Parse(manifest.DefaultFilename, data)
	if err != nil {
		t.Fatal(err)
	}
	fsys := contextfs.Dir(top)
	if err := resolve.DetectLanguage(ctx, fsys, m, dir); err != nil {
		return nil, err
	}
	root := dir
	if m.Root.Set() {
		root = path.Join(dir, m.Root.Value)
		if rel, err := filepath.Rel(root, path.Join(dir, manifest.DefaultFilename)); err == nil {
			m.InRoot = filepath.ToSlash(rel)
		}
	} else if ws, err := resolve.WorkspaceRoot(ctx, fsys, m, dir); err != nil {
		return nil, err
	} else if ws != "" {
		root, m.InRoot = ws, path.Join(m.Member, manifest.DefaultFilename)
	}
	return resolve.Resolve(ctx, m, contextfs.Sub(fsys, root), resolve.Options{BuildPlatform: amd64})
}

// image is what the e2e tests of an example look at in its image: the
// command, the exposed ports, the runtime (for messages).
func image(t *testing.T, top, dir string, data []byte) string {
	t.Helper()
	p, err := planOf(t, top, dir, data)
	if err != nil {
		return "error: " + err.Error()
	}
	c := p.Targets[0].Config
	var layers []string
	for _, a := range p.Targets[0].Artifacts {
		layers = append(layers, a.Src+">"+a.Dest)
	}
	return strings.Join(append(append([]string{p.Targets[0].Runtime.Ref}, c.Entrypoint...), c.Cmd...), " ") + " | ports " + strings.Join(c.ExposedPorts, ",") +
		" | " + strings.Join(layers, " ")
}

// fullPlan is the whole plan of a manifest for dir, without what names the
// manifest's lines (origins) and the check-only fact of the script the
// entrypoint names: equal plans compile to the same LLB, so the build of
// one is the build of the other.
func fullPlan(t *testing.T, top, dir string, data []byte) string {
	t.Helper()
	p, err := planOf(t, top, dir, data)
	if err != nil {
		return "error: " + err.Error()
	}
	js, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(js, &v); err != nil {
		t.Fatal(err)
	}
	var strip func(any)
	strip = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			delete(v, "origin")
			delete(v, "script")
			delete(v, "manifest")
			for _, e := range v {
				strip(e)
			}
		case []any:
			for _, e := range v {
				strip(e)
			}
		}
	}
	strip(v)
	out, _ := json.MarshalIndent(v, "", " ")
	return string(out)
}

// TestExamples: for every example whose app is its directory, the
// manifest init writes (the hand-written one set aside) plans the image
// the hand-written one plans, step for step (fullPlan), so its build is
// the example's, which its e2e test runs; except where the example writes
// what no file tells (listed, with why).
func TestExamples(t *testing.T) {
	t.Parallel()
	differ := map[string]string{
		"java-multimodule": "two modules build jars: which one runs is the user's choice (init's manifest says so, with both)",
		"rust-workspace":   "two binaries: which one the image runs is the user's choice (init's manifest says so, with both)",
		"python-312":       "the example pins Python 3.12, which no file of it states",
		// What an app opens or runs at run time is in no dependency file:
		// init writes runtime-packages as a commented choice.
		"python-libmagic": "runtime-packages: libmagic, opened with ctypes",
		"go-jq":           "runtime-packages: jq and awk, run with execve",
		"node-fonts":      "runtime-packages: a font the app reads",
		"go-server":       "include: static/, files the app reads at run time",
		"rust-axum":       "the example sets PORT=8080, the app's own default",
	}
	var files []string
	err := filepath.WalkDir("../../examples", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == manifest.DefaultFilename {
			files = append(files, p)
		}
		return err
	})
	if err != nil || len(files) == 0 {
		t.Fatal("no examples", err)
	}
	var same []string
	for _, f := range files {
		// The example's directory is the repository, the manifest's
		// directory (an app in it, a workspace's member) the app.
		rel, _ := filepath.Rel("../../examples", filepath.Dir(f))
		example, dir, _ := strings.Cut(filepath.ToSlash(rel), "/")
		top, name := filepath.Join("../../examples", example), filepath.ToSlash(rel)
		if dir == "" {
			dir = "."
		}
		hand, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := Manifest(context.Background(), contextfs.Dir(top), dir, "", amd64)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		want, have := image(t, top, dir, hand), image(t, top, dir, got)
		if fullPlan(t, top, dir, hand) == fullPlan(t, top, dir, got) {
			same = append(same, name)
			continue
		}
		if why, ok := differ[name]; ok {
			t.Logf("%s differs (%s):\n  hand: %s\n  init: %s", name, why, want, have)
			continue
		}
		t.Errorf("%s: the plan of init's manifest differs:\n  hand: %s\n  init: %s\n%s", name, want, have, got)
	}
	slices.Sort(same)
	t.Logf("init plans the same image for %d of %d example apps: %s", len(same), len(files), strings.Join(same, " "))
}

// TestBuildPackages: init names the Debian packages a dependency known
// to compile against a system library needs, and none for its wheel or
// its bundling feature.
func TestBuildPackages(t *testing.T) {
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	cargo := f("[package]\nname = \"a\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nrusqlite = \"0.40\"\n")
	bundled := f("[package]\nname = \"a\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nrusqlite = { version = \"0.40\", features = [\"bundled\"] }\n")
	cargoLock := f("version = 4\n\n[[package]]\nname = \"libsqlite3-sys\"\nversion = \"0.36.0\"\n")
	// simple-http-server 0.6.13: openssl with ["vendored"] only for a
	// feature the default build leaves off; native-tls (on by default)
	// links the system OpenSSL.
	sslLock := f("version = 3\n\n[[package]]\nname = \"openssl-sys\"\nversion = \"0.9.101\"\n")
	ssl := func(features, deps string) *fstest.MapFile {
		return f("[package]\nname = \"a\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[features]\n" + features + "\n[dependencies]\n" + deps)
	}
	optionalVendored := "openssl = { version = \"0.10\", features = [\"vendored\"], optional = true }\nnative-tls = { version = \"0.2\", optional = true }\n"
	for _, tc := range []struct {
		name string
		fs   fstest.MapFS
		want string
	}{
		{"psycopg2", fstest.MapFS{"requirements.txt": f("psycopg2==2.9.10\n"), "app.py": f("")}, "build-packages: [gcc, libc6-dev, libpq-dev]"},
		{"psycopg2-binary", fstest.MapFS{"requirements.txt": f("psycopg2-binary==2.9.10\n"), "app.py": f("")}, ""},
		{"mysqlclient in poetry.lock", fstest.MapFS{"pyproject.toml": f("[project]\nname = \"a\"\nversion = \"1\"\n"), "poetry.lock": f("[[package]]\nname = \"mysqlclient\"\nversion = \"2.2.7\"\n"), "app.py": f("")},
			"build-packages: [gcc, libc6-dev, pkg-config, default-libmysqlclient-dev]"},
		{"libpq addon", fstest.MapFS{"package.json": f(`{"name":"a","dependencies":{"libpq":"^1.11.0"}}`), "index.js": f("")}, "build-packages: [libpq-dev]"},
		{"sqlite crate", fstest.MapFS{"Cargo.toml": cargo, "Cargo.lock": cargoLock, "src/main.rs": f("fn main() {}\n")}, "build-packages: [libsqlite3-dev]"},
		{"bundled sqlite crate", fstest.MapFS{"Cargo.toml": bundled, "Cargo.lock": cargoLock, "src/main.rs": f("fn main() {}\n")}, ""},
		{"vendored openssl of a feature left off", fstest.MapFS{"Cargo.toml": ssl("default = [\"tls\"]\ntls = [\"native-tls\"]\nonly-openssl = [\"tls\", \"openssl\"]\n", optionalVendored),
			"Cargo.lock": sslLock, "src/main.rs": f("fn main() {}\n")}, "build-packages: [libssl-dev]"},
		{"vendored openssl a default feature turns on", fstest.MapFS{"Cargo.toml": ssl("default = [\"only-openssl\"]\nonly-openssl = [\"dep:openssl\"]\n", optionalVendored),
			"Cargo.lock": sslLock, "src/main.rs": f("fn main() {}\n")}, ""},
		{"openssl-sys/vendored in a feature left off", fstest.MapFS{"Cargo.toml": ssl("default = [\"ssl\"]\nssl = [\"openssl-sys\"]\nvendored_openssl = [\"openssl-sys/vendored\"]\n", "openssl-sys = { version = \"0.9\", optional = true }\n"),
			"Cargo.lock": sslLock, "src/main.rs": f("fn main() {}\n")}, "build-packages: [libssl-dev]"},
		{"openssl-sys?/vendored by default", fstest.MapFS{"Cargo.toml": ssl("default = [\"ssl\", \"vendored\"]\nssl = [\"openssl-sys\"]\nvendored = [\"openssl-sys?/vendored\"]\n", "openssl-sys = { version = \"0.9\", optional = true }\n"),
			"Cargo.lock": sslLock, "src/main.rs": f("fn main() {}\n")}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := Manifest(context.Background(), contextfs.FS{FS: tc.fs}, ".", "", amd64)
			if err != nil {
				t.Fatal(err)
			}
			has := strings.Contains(string(got), "\nbuild-packages:")
			if tc.want == "" && has || tc.want != "" && !strings.Contains(string(got), "\n"+tc.want+"\n") {
				t.Errorf("want %q:\n%s", tc.want, got)
			}
		})
	}
}

// TestLanguageFlag: a directory two languages match (an sdist shipping
// package.json beside pyproject.toml, as isso's does) is an error that
// names no manifest position and says to pass --language; with it, the
// manifest names that language; an unknown one is refused.
func TestLanguageFlag(t *testing.T) {
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	fsys := contextfs.FS{FS: fstest.MapFS{
		"pyproject.toml": f("[project]\nname = \"a\"\nversion = \"1\"\n"),
		"package.json":   f(`{"name":"a"}`),
		"app.py":         f(""),
	}}
	_, _, err := Manifest(context.Background(), fsys, ".", "", amd64)
	if err == nil || !strings.Contains(err.Error(), "2 match its directory") || !strings.Contains(err.Error(), "name it with --language") || strings.Contains(err.Error(), "distill.yaml:") {
		t.Errorf("err = %v, want the two languages, --language and no manifest position", err)
	}
	got, _, err := Manifest(context.Background(), fsys, ".", "python", amd64)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), "\nlanguage: python\n") || !strings.Contains(string(got), "as --language named it") {
		t.Errorf("want language: python:\n%s", got)
	}
	if _, _, err := Manifest(context.Background(), fsys, ".", "cobol", amd64); err == nil || !strings.Contains(err.Error(), `--language cobol: unsupported language "cobol"`) {
		t.Errorf("err = %v, want cobol refused", err)
	}
}

// TestGoListenPort: init exposes the port of a listen address, not of an
// address with a host (a loopback admin API, a client's server).
func TestGoListenPort(t *testing.T) {
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	gomod := f("module example.com/app\n\ngo 1.26\n")
	for _, tc := range []struct{ src, want string }{
		{`const admin = "localhost:2019"; const addr = ":8080"`, "expose: [8080]"},
		{`const addr = "0.0.0.0:9100"`, "expose: [9100]"},
		{`const admin = "localhost:2019"; const db = "db:5432"`, ""},
	} {
		fsys := contextfs.FS{FS: fstest.MapFS{"go.mod": gomod, "main.go": f("package main\n\n" + tc.src + "\n\nfunc main() {}\n")}}
		got, _, err := Manifest(context.Background(), fsys, ".", "", amd64)
		if err != nil {
			t.Fatal(err)
		}
		if has := strings.Contains(string(got), "\nexpose:"); tc.want == "" && has || tc.want != "" && !strings.Contains(string(got), "\n"+tc.want+"\n") {
			t.Errorf("%s: want %q:\n%s", tc.src, tc.want, got)
		}
	}
}
