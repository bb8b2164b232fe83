package rust

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

var (
	amd64 = ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = ocispecs.Platform{OS: "linux", Architecture: "arm64"}
)

const header = "# syntax=x\nlanguage: rust\n"

// prepare plans files (the manifest is distill.yaml) for amd64 and arm64
// from amd64.
func prepare(t *testing.T, files map[string]string) ([]providers.Build, []check.Finding, error) {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := manifest.Parse("distill.yaml", []byte(files["distill.yaml"]))
	if err != nil {
		t.Fatal(err)
	}
	return providers.Plan(context.Background(), Provider{}, providers.Request{
		Manifest: m, FS: contextfs.Dir(dir), Platforms: []ocispecs.Platform{amd64, arm64}, BuildPlatform: amd64,
	})
}

func pkgToml(name, extra string) string {
	return "[package]\nname = \"" + name + "\"\nversion = \"0.1.0\"\nedition = \"2021\"\n" + extra
}

func TestBinaryChoice(t *testing.T) {
	t.Parallel()
	workspace := map[string]string{
		"Cargo.toml":                    "[workspace]\nmembers = [\"crates/*\"]\n",
		"Cargo.lock":                    "version = 4\n",
		"crates/api/Cargo.toml":         pkgToml("api", "[dependencies]\ncommon = { path = \"../common\" }\n"),
		"crates/api/src/main.rs":        "fn main() {}",
		"crates/worker/Cargo.toml":      pkgToml("worker", ""),
		"crates/worker/src/main.rs":     "fn main() {}",
		"crates/worker/src/bin/jobs.rs": "fn main() {}",
		"crates/common/Cargo.toml":      pkgToml("common", ""),
		"crates/common/src/lib.rs":      "",
	}
	with := func(base map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string // the binary, or the error's text
	}{
		{"single", map[string]string{"distill.yaml": header, "Cargo.toml": pkgToml("hello", ""), "src/main.rs": ""}, "hello"},
		{"no binary", map[string]string{"distill.yaml": header, "Cargo.toml": pkgToml("hello", ""), "src/lib.rs": ""}, "builds no binary"},
		{"declared bin", map[string]string{"distill.yaml": header, "Cargo.toml": pkgToml("hello", "[[bin]]\nname = \"hi\"\npath = \"src/hi.rs\"\n"), "src/hi.rs": ""}, "hi"},
		{"several", map[string]string{"distill.yaml": header, "Cargo.toml": pkgToml("hello", ""), "src/main.rs": "", "src/bin/tool.rs": ""}, "builds several binaries"},
		{"default-run", map[string]string{"distill.yaml": header, "Cargo.toml": pkgToml("hello", "default-run = \"tool\"\n"), "src/main.rs": "", "src/bin/tool.rs": ""}, "tool"},
		{"workspace ambiguous", with(workspace, "distill.yaml", header), "api, jobs (package worker), worker"},
		{"workspace main package", with(workspace, "distill.yaml", header+"main: api\n"), "api"},
		{"workspace main bin", with(workspace, "distill.yaml", header+"main: jobs\n"), "jobs"},
		{"workspace package with two", with(workspace, "distill.yaml", header+"main: worker\n"), `main: "worker" has several binaries`},
		{"workspace unknown", with(workspace, "distill.yaml", header+"main: nope\n"), "name a binary or a package with one: api, jobs (package worker), worker"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			builds, _, err := prepare(t, tc.files)
			got := ""
			if err != nil {
				got = err.Error()
			} else {
				got = builds[0].Name
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestToolchain(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string // the builder's tag, or the error's text
	}{
		{"default", map[string]string{"Cargo.toml": pkgToml("a", "")}, "rust:1-trixie"},
		{"rust-version", map[string]string{"Cargo.toml": pkgToml("a", "rust-version = \"1.85\"\n")}, "rust:1.85-trixie"},
		{"toolchain file", map[string]string{"Cargo.toml": pkgToml("a", "rust-version = \"1.80\"\n"), "rust-toolchain.toml": "[toolchain]\nchannel = \"1.85.1\"\n"}, "rust:1.85.1-trixie"},
		{"legacy file", map[string]string{"Cargo.toml": pkgToml("a", ""), "rust-toolchain": "1.84\n"}, "rust:1.84-trixie"},
		{"stable", map[string]string{"Cargo.toml": pkgToml("a", "rust-version = \"1.85\"\n"), "rust-toolchain.toml": "[toolchain]\nchannel = \"stable\"\n"}, "rust:1.85-trixie"},
		{"nightly", map[string]string{"Cargo.toml": pkgToml("a", ""), "rust-toolchain.toml": "[toolchain]\nchannel = \"nightly\"\n"}, `channel "nightly"`},
		{"manifest", map[string]string{"Cargo.toml": pkgToml("a", "rust-version = \"1.80\"\n"), "distill.yaml": header + "version: \"1.85\"\n"}, "rust:1.85-trixie"},
		{"pin older than rust-version", map[string]string{"Cargo.toml": pkgToml("a", "rust-version = \"1.86\"\n"), "distill.yaml": header + "version: \"1.85\"\n"}, "needs Rust 1.86 (rust-version) but version: in distill.yaml pins 1.85"},
		{"patch under a minor pin", map[string]string{"Cargo.toml": pkgToml("a", "rust-version = \"1.85.1\"\n"), "distill.yaml": header + "version: \"1.85\"\n"}, "rust:1.85-trixie"},
		{"workspace inherited", map[string]string{"Cargo.toml": "[workspace]\nmembers = [\"app\"]\n[workspace.package]\nrust-version = \"1.83\"\n",
			"app/Cargo.toml": pkgToml("app", "rust-version.workspace = true\n"), "app/src/main.rs": ""}, "rust:1.83-trixie"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.files["distill.yaml"] == "" {
				tc.files["distill.yaml"] = header
			}
			if _, ok := tc.files["app/Cargo.toml"]; !ok {
				tc.files["src/main.rs"] = "fn main() {}"
			}
			builds, _, err := prepare(t, tc.files)
			got := ""
			if err != nil {
				got = err.Error()
			} else {
				got = builds[0].Builder.Ref
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSkeleton checks the dependency steps: manifests, lock, config and a
// placeholder for every target Cargo must find, nothing of the sources.
func TestSkeleton(t *testing.T) {
	t.Parallel()
	builds, findings, err := prepare(t, map[string]string{
		"distill.yaml":                header + "main: api\nbuild-packages: [libsqlite3-dev, protobuf-compiler]\n",
		"Cargo.toml":                  "[workspace]\nmembers = [\"crates/*\"]\n",
		".cargo/config.toml":          "[net]\nretry = 3\n",
		"crates/api/Cargo.toml":       pkgToml("api", "build = \"gen.rs\"\n[dependencies]\nshared = { path = \"../../shared\" }\n[[bench]]\nname = \"speed\"\nharness = false\n"),
		"crates/api/gen.rs":           "fn main() {}",
		"crates/api/src/main.rs":      "fn main() { println!(\"real\") }",
		"crates/api/benches/speed.rs": "fn main() {}",
		"shared/Cargo.toml":           pkgToml("shared", ""),
		"shared/src/lib.rs":           "pub fn f() {}",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) != 1 || findings[0].Rule != check.DependenciesWithoutLock {
		t.Errorf("findings = %v, want DependenciesWithoutLock", findings)
	}
	var copied []string
	var placeholders []string
	for _, s := range builds[0].Steps {
		if s.Copy != nil && len(s.Copy.Paths) > 0 {
			copied = append(copied, s.Copy.Paths...)
		}
		if s.Write != nil {
			placeholders = append(placeholders, s.Write.Path)
		}
	}
	wantCopied := []string{".cargo/config.toml", "Cargo.toml", "crates/api/Cargo.toml", "shared/Cargo.toml"}
	if !slices.Equal(copied, wantCopied) {
		t.Errorf("copied %v, want %v", copied, wantCopied)
	}
	wantPH := []string{"/src/crates/api/benches/speed.rs", "/src/crates/api/gen.rs", "/src/crates/api/src/main.rs", "/src/shared/src/lib.rs"}
	if !slices.Equal(placeholders, wantPH) {
		t.Errorf("placeholders %v, want %v", placeholders, wantPH)
	}
	// amd64 builds natively: the build packages as they are; arm64 cross:
	// the linker, the -dev package for arm64, the tool for the build.
	apt := func(b providers.Build) string {
		for _, s := range b.Steps {
			if s.Run != nil && strings.HasPrefix(s.Name, "[rust] apt-get") {
				return strings.Join(s.Run.Args, " ")
			}
		}
		return ""
	}
	if got := apt(builds[0]); !strings.HasSuffix(got, "apt-get libsqlite3-dev protobuf-compiler") || strings.Contains(got, "add-architecture") {
		t.Errorf("amd64 apt = %q", got)
	}
	if got := apt(builds[1]); !strings.HasSuffix(got, "apt-get gcc-aarch64-linux-gnu libc6-dev-arm64-cross libsqlite3-dev:arm64 protobuf-compiler") || !strings.Contains(got, "dpkg --add-architecture arm64") {
		t.Errorf("arm64 apt = %q", got)
	}
	for _, s := range builds[1].Steps {
		if s.Run != nil && s.Run.Emulated != nil {
			t.Errorf("step %q is emulated", s.Name)
		}
	}
}

func TestStatic(t *testing.T) {
	t.Parallel()
	builds, findings, err := prepare(t, map[string]string{
		"distill.yaml": header + "base: static\nbuild-packages: [libsqlite3-dev]\n",
		"Cargo.toml":   pkgToml("a", ""), "Cargo.lock": "version = 4\n", "src/main.rs": "",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) != 1 || findings[0].Rule != StaticWithSharedLibrary {
		t.Errorf("findings = %v, want StaticWithSharedLibrary", findings)
	}
	b := builds[1]
	if b.Flavour != providers.Static || b.Needs != nil || len(b.Artifacts) != 1 {
		t.Errorf("flavour %s, needs %v, artifacts %v", b.Flavour, b.Needs, b.Artifacts)
	}
	last := b.Steps[len(b.Steps)-1]
	if !slices.Contains(last.Run.Args, "rust-static") {
		t.Errorf("last step %q, want the static check", last.Name)
	}
	var env []string
	for _, s := range b.Steps {
		if s.Run != nil && strings.Contains(s.Name, "(dependencies only)") {
			env = s.Run.Env
			if !strings.Contains(strings.Join(s.Run.Args, " "), "distill: base: static: linking a static binary failed") {
				t.Errorf("the static dependency build does not explain a failed link: %q", s.Run.Args)
			}
		}
	}
	if !slices.Contains(env, "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS=-C target-feature=+crt-static") {
		t.Errorf("dependency build env %v lacks crt-static", env)
	}
}

// TestStaticHelper builds a static and a dynamic C program when a C
// compiler is at hand and checks the helper tells them apart.
func TestStaticHelper(t *testing.T) {
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "m.c")
	if err := os.WriteFile(src, []byte("int main(void){return 0;}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		flags []string
		code  int
	}{{[]string{"-static"}, 0}, {nil, 1}} {
		bin := filepath.Join(dir, "m"+strings.Join(tc.flags, ""))
		if out, err := exec.Command(cc, append(tc.flags, "-o", bin, src)...).CombinedOutput(); err != nil {
			t.Skipf("cc %v: %v\n%s", tc.flags, err, out)
		}
		var stdout, stderr bytes.Buffer
		if code := StaticHelper([]string{"rust-static", bin}, &stdout, &stderr); code != tc.code {
			t.Errorf("%v: exit %d, want %d (%s%s)", tc.flags, code, tc.code, stdout.String(), stderr.String())
		}
		if tc.code == 1 && !strings.Contains(stderr.String(), "libc.so.6") {
			t.Errorf("dynamic: %q does not name libc", stderr.String())
		}
	}
}

// FuzzCargo plans arbitrary Cargo.toml (and rust-toolchain.toml) content:
// any input gives a plan or an error at a manifest line, never a panic.
func FuzzCargo(f *testing.F) {
	f.Add(pkgToml("a", "rust-version = \"1.85\"\n[[bin]]\nname = \"x\"\npath = \"src/main.rs\"\n"), "")
	f.Add("[workspace]\nmembers = [\"crates/*\", \"../x\"]\n[workspace.package]\nrust-version = \"1.85\"\n", "[toolchain]\nchannel = \"1.85.1\"\n")
	f.Add(pkgToml("a", "build = false\nautobins = false\ndefault-run = \"a\"\n[lib]\npath = \"\"\n[dependencies]\nb = { path = \"b\" }\n"), "nightly")
	f.Fuzz(func(t *testing.T, cargo, toolchain string) {
		dir := t.TempDir()
		write := func(name, data string) {
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write("Cargo.toml", cargo)
		write("src/main.rs", "fn main() {}")
		write("crates/m/Cargo.toml", pkgToml("m", ""))
		if toolchain != "" {
			write("rust-toolchain.toml", toolchain)
		}
		m, err := manifest.Parse("distill.yaml", []byte(header))
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = providers.Plan(context.Background(), Provider{}, providers.Request{
			Manifest: m, FS: contextfs.Dir(dir), Platforms: []ocispecs.Platform{amd64, arm64}, BuildPlatform: amd64,
		})
		var me *manifest.Error
		if err != nil && !errors.As(err, &me) {
			t.Errorf("error without a manifest line: %v", err)
		}
	})
}

func TestFeatures(t *testing.T) {
	t.Parallel()
	cargo := pkgToml("srv", "[features]\ndefault = [\"tls\"]\ntls = []\nmetrics = [\"dep:prom\"]\n"+
		"[dependencies]\nprom = { version = \"1\", optional = true }\nzstd = { version = \"1\", optional = true }\n")
	for _, tc := range []struct {
		name, yaml string
		want       string // cargo build's feature flags, or the error
	}{
		{"none", "", "--bin srv"},
		{"features", "features: [metrics, zstd, prom/process]\n", "--bin srv --features metrics,zstd,prom/process"},
		{"no defaults", "default-features: false\nfeatures: [metrics]\n", "--bin srv --no-default-features --features metrics"},
		// prom is named as dep:prom, so it has no implicit feature.
		{"unknown", "features: [metrics, prom]\n", `distill.yaml:3:21: package srv has no feature "prom" (name one of default, metrics, tls, zstd)`},
		{"comma", "features: [\"tls,metrics\"]\n", `features: "tls,metrics" is not a feature name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			builds, _, err := prepare(t, map[string]string{"distill.yaml": header + tc.yaml, "Cargo.toml": cargo, "src/main.rs": ""})
			if err != nil {
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error %q, want %q", err, tc.want)
				}
				return
			}
			n := 0
			for _, s := range builds[1].Steps {
				if s.Run != nil && strings.Contains(strings.Join(s.Run.Args, " "), "cargo build") {
					n++
					if got := strings.Join(s.Run.Args, " "); !strings.Contains(got, tc.want) || (tc.want == "--bin srv" && strings.Contains(got, "features")) {
						t.Errorf("%s: %q, want %q", s.Name, got, tc.want)
					}
				}
			}
			if n != 2 {
				t.Errorf("%d cargo build steps, want the dependencies' and the binary's", n)
			}
		})
	}
}
