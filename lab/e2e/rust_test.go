package e2e

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/distill-build/distill/lab/e2e/imagetest"
)

// checkRustImage asserts the distroless promises and, beyond them, that no
// Rust toolchain, Cargo file or source reached the image, and that the
// image runs the one binary on the expected base.
func checkRustImage(t *testing.T, img *imagetest.Image, bin, base string) string {
	t.Helper()
	rootfs := checkDistroless(t, img)
	for _, e := range img.Entries(t) {
		name := e.Header.Name
		if strings.HasSuffix(name, ".rs") || strings.HasSuffix(name, "Cargo.toml") || strings.HasSuffix(name, "Cargo.lock") ||
			regexp.MustCompile(`(^|/)(cargo|rustc|rustup|cc|gcc|ld|pkg-config)$`).MatchString(name) || strings.Contains(name, "/rustlib/") ||
			(strings.HasPrefix(name, "usr/include/") && !e.Header.FileInfo().IsDir()) {
			t.Errorf("%s (layer %d) is in the image", name, e.Layer)
		}
	}
	if got := strings.Join(img.Config.Config.Entrypoint, " "); got != "/app/"+bin {
		t.Errorf("entrypoint = %q, want /app/%s", got, bin)
	}
	if got := img.Config.Config.Labels["org.opencontainers.image.base.name"]; got != "gcr.io/distroless/"+base+"-debian13:nonroot" {
		t.Errorf("base = %q, want %s-debian13", got, base)
	}
	return rootfs
}

// checkRustServer runs an image whose app answers on 8080 with JSON
// naming its uid.
func checkRustServer(t *testing.T, img *imagetest.Image, want string) {
	t.Helper()
	c := img.Run(t, imagetest.RunOpts{})
	body := c.HTTPGet(t, 8080, "/", 90*time.Second)
	if !strings.Contains(body, want) {
		t.Errorf("GET / = %q, want %q in it", body, want)
	}
	if uid := c.ProcessUID(t); uid != 65532 {
		t.Errorf("process uid = %d, want 65532", uid)
	}
	t.Logf("%s/%s image: %d layers, %d bytes; GET / -> %s", img.Config.OS, img.Config.Architecture, len(img.Layers), img.Size, body)
}

// TestRustAxum builds the axum server for amd64 and arm64 in one index:
// both cross-compiled from the build platform (nothing emulated), both
// run (arm64 under qemu), on cc.
func TestRustAxum(t *testing.T) {
	requireLab(t)
	t.Parallel() // see parallelTests
	out, r := buildx(t, example("rust-axum"), "--platform", "linux/amd64,linux/arm64")
	mustSucceed(t, r)
	if strings.Contains(r.out, "(emulated: ") {
		t.Errorf("a step ran emulated:\n%s", tail(r.out, 40))
	}
	if found, _ := stepStatus(r.out, "(cross-compiled for linux/arm64)"); !found {
		t.Errorf("no cross-compiled arm64 step:\n%s", tail(r.out, 40))
	}
	if got := imagetest.IndexPlatforms(t, out); strings.Join(got, ",") != "linux/amd64,linux/arm64" {
		t.Errorf("index platforms = %v", got)
	}
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		t.Run(p, func(t *testing.T) {
			img := imagetest.Load(t, out, p)
			checkRustImage(t, img, "hello-axum", "cc")
			checkRustServer(t, img, `"uid":65532`)
		})
	}
}

// TestRustCLI runs the command-line app to completion, on cc by default
// and, with base: static, on static-debian13 as a static binary.
func TestRustCLI(t *testing.T) {
	requireLab(t)
	for _, tc := range []struct{ name, manifest, base string }{
		{"cc", "", "cc"},
		{"static", "base: static\n", "static"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, example("rust-cli"))
			if tc.manifest != "" {
				writeManifest(t, dir, "language: rust\n"+tc.manifest)
			}
			out, r := buildx(t, dir, "--platform", "linux/amd64")
			mustSucceed(t, r)
			img := imagetest.Load(t, out, "linux/amd64")
			rootfs := checkRustImage(t, img, "wordcount", tc.base)
			if tc.base == "static" && imagetest.Exists(rootfs, "/usr/lib/x86_64-linux-gnu/libc.so.6") {
				t.Error("libc is in the static image")
			}
			stdout, stderr, code := img.RunToCompletion(t, imagetest.RunOpts{Args: []string{"/app/wordcount", "one two", "three"}}, 30*time.Second)
			if code != 0 || !strings.Contains(stdout, "3 words") {
				t.Errorf("wordcount exited %d: %q %q", code, stdout, stderr)
			}
			t.Logf("%s: %d bytes; %s", tc.name, img.Size, strings.TrimSpace(stdout))
		})
	}
}

// TestRustWorkspace builds the api binary of a three-member workspace:
// the worker's binary is not in the image.
func TestRustWorkspace(t *testing.T) {
	requireLab(t)
	out, r := buildx(t, example("rust-workspace"), "--platform", "linux/amd64")
	mustSucceed(t, r)
	img := imagetest.Load(t, out, "linux/amd64")
	rootfs := checkRustImage(t, img, "api", "cc")
	if imagetest.Exists(rootfs, "/app/worker") {
		t.Error("the worker binary is in the image")
	}
	checkRustServer(t, img, `"from":"api"`)
}

// TestRustSQLite links Debian's libsqlite3 from build-packages, for amd64
// and, cross-compiled with the arm64 -dev package, for arm64: the library
// and its status.d record are in the image, the headers and pkg-config
// are not, and the app runs.
func TestRustSQLite(t *testing.T) {
	requireLab(t)
	t.Parallel() // see parallelTests
	out, r := buildx(t, example("rust-sqlite"), "--platform", "linux/amd64,linux/arm64")
	mustSucceed(t, r)
	if strings.Contains(r.out, "(emulated: ") {
		t.Errorf("a step ran emulated:\n%s", tail(r.out, 40))
	}
	for _, tc := range []struct{ platform, triplet string }{{"linux/amd64", "x86_64-linux-gnu"}, {"linux/arm64", "aarch64-linux-gnu"}} {
		t.Run(tc.platform, func(t *testing.T) {
			img := imagetest.Load(t, out, tc.platform)
			rootfs := checkRustImage(t, img, "notes", "cc")
			for _, p := range []string{"/usr/lib/" + tc.triplet + "/libsqlite3.so.0", "/var/lib/dpkg/status.d/libsqlite3-0"} {
				if !imagetest.Exists(rootfs, p) {
					t.Errorf("%s is not in the image", p)
				}
			}
			status, err := os.ReadFile(filepath.Join(rootfs, "var/lib/dpkg/status.d/libsqlite3-0"))
			if err == nil && !strings.Contains(string(status), "Architecture: "+strings.TrimPrefix(tc.platform, "linux/")) {
				t.Errorf("libsqlite3-0's record is not for %s:\n%s", tc.platform, status)
			}
			stdout, stderr, code := img.RunToCompletion(t, imagetest.RunOpts{}, 60*time.Second)
			if code != 0 || !strings.Contains(stdout, "2 rows, sqlite 3.") {
				t.Errorf("notes exited %d: %q %q", code, stdout, stderr)
			}
			t.Logf("%s: %s", tc.platform, strings.TrimSpace(stdout))
		})
	}
}

// TestRustStaticSQLite builds the SQLite app with base: static: the
// check warns (StaticWithSharedLibrary), libsqlite3's static archive goes
// into a static binary, and it runs on static-debian13.
func TestRustStaticSQLite(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("rust-sqlite"))
	writeManifest(t, dir, "language: rust\nbase: static\nbuild-packages: [libsqlite3-dev]\n")
	out, r := buildx(t, dir, "--platform", "linux/amd64")
	mustSucceed(t, r)
	if !strings.Contains(r.out, "StaticWithSharedLibrary") {
		t.Errorf("no StaticWithSharedLibrary warning:\n%s", tail(r.out, 20))
	}
	img := imagetest.Load(t, out, "linux/amd64")
	rootfs := checkRustImage(t, img, "notes", "static")
	if imagetest.Exists(rootfs, "/usr/lib/x86_64-linux-gnu/libsqlite3.so.0") {
		t.Error("libsqlite3.so.0 is in the static image")
	}
	stdout, stderr, code := img.RunToCompletion(t, imagetest.RunOpts{}, 60*time.Second)
	if code != 0 || !strings.Contains(stdout, "2 rows, sqlite 3.") {
		t.Errorf("notes exited %d: %q %q", code, stdout, stderr)
	}
	t.Logf("static: %d bytes; %s", img.Size, strings.TrimSpace(stdout))
}

// TestRustStaticSharedOnly asks for base: static with a crate whose build
// script links a library that exists only as a shared object (libgcc_s):
// the build fails saying why and what to do, and no image is written.
func TestRustStaticSharedOnly(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("rust-cli"))
	writeManifest(t, dir, "language: rust\nbase: static\n")
	if err := os.WriteFile(filepath.Join(dir, "build.rs"), []byte("fn main() {\n    println!(\"cargo:rustc-link-lib=dylib=gcc_s\");\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	archive, r := buildx(t, dir, "--platform", "linux/amd64")
	if r.err == nil {
		t.Fatal("the build succeeded")
	}
	for _, w := range []string{"distill: base: static: linking a static binary failed", "Use base: cc"} {
		if !strings.Contains(r.out, w) {
			t.Errorf("output lacks %q:\n%s", w, tail(r.out, 40))
		}
	}
	if _, err := os.Stat(archive); err == nil {
		t.Errorf("an image was written to %s", archive)
	}
}

// TestRustSourceOnlyChange edits the axum server's code: the dependency
// build is CACHED, the progress output shows only the app's crate
// compiled, and the new code answers.
func TestRustSourceOnlyChange(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("rust-axum"))
	_, first := buildx(t, dir, "--platform", "linux/amd64")
	mustSucceed(t, first)
	src := filepath.Join(dir, "src/main.rs")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	greeting := fmt.Sprintf("hello-%d", time.Now().UnixNano())
	if !bytes.Contains(data, []byte("hello from distill")) {
		t.Fatal("src/main.rs has no greeting")
	}
	if err := os.WriteFile(src, bytes.Replace(data, []byte("hello from distill"), []byte(greeting), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	out, second := buildx(t, dir, "--platform", "linux/amd64")
	mustSucceed(t, second)
	if found, cached := stepStatus(second.out, "[rust] cargo build --release (dependencies only)"); !found || !cached {
		t.Errorf("the dependency build after a source-only change: found=%v cached=%v", found, cached)
	}
	var crates []string
	for _, m := range regexp.MustCompile(`Compiling (\S+) v`).FindAllStringSubmatch(second.out, -1) {
		crates = append(crates, m[1])
	}
	if strings.Join(crates, ",") != "hello-axum" {
		t.Errorf("the rebuild compiled %v, want only hello-axum", crates)
	}
	t.Logf("first build %s, rebuild after a source change %s (compiled %v)", first.dur.Round(time.Millisecond), second.dur.Round(time.Millisecond), crates)
	img := imagetest.Load(t, out, "linux/amd64")
	checkRustServer(t, img, greeting)
}

// TestRustErrors are manifests that must fail at their line with a hint.
func TestRustErrors(t *testing.T) {
	requireLab(t)
	checkBuildErrors(t, "rust-workspace", []buildError{
		{"ambiguous binary", "language: rust\n", []string{"distill.yaml:2", "builds several binaries", "set main: to one of them: api, worker"}},
		{"unknown main", "language: rust\nmain: nope\n", []string{"distill.yaml:3", `no binary or package with a binary is named "nope"`}},
		{"old pin", "language: rust\nmain: api\nversion: \"1.80\"\n", []string{"distill.yaml:4", "needs Rust 1.85 (rust-version) but version: in distill.yaml pins 1.80"}},
	})
}

// TestRustPrivateRegistry resolves a crate from a sparse registry that
// needs a token, given only as the cargo-credentials secret: the fetch
// step uses it, and it is in no layer, config, provenance or output.
func TestRustPrivateRegistry(t *testing.T) {
	requireLab(t)
	const token = "cargo_distill_s3cr3t_4711"
	crate := npmTarball(t, map[string]string{
		"private-greeting-0.1.0/Cargo.toml": "[package]\nname = \"private-greeting\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
		"private-greeting-0.1.0/src/lib.rs": "pub fn greeting() -> &'static str { \"hello from a private registry\" }\n",
	})
	sum := sha256.Sum256(crate)
	var base string
	registry := startPrivate(t, func(r *http.Request) bool { return r.Header.Get("Authorization") == token },
		func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/index/config.json":
				fmt.Fprintf(w, `{"dl":%q,"auth-required":true}`, base+"/dl")
			case "/index/pr/iv/private-greeting":
				fmt.Fprintf(w, `{"name":"private-greeting","vers":"0.1.0","deps":[],"cksum":"%x","features":{},"yanked":false}`+"\n", sum)
			case "/dl/private-greeting/0.1.0/download":
				w.Write(crate)
			default:
				http.NotFound(w, r)
			}
		})
	base = registry.URL
	dir := t.TempDir()
	for f, s := range map[string]string{
		"distill.yaml":       "# syntax=ghcr.io/distill-build/distill:1\nlanguage: rust\n",
		"Cargo.toml":         "[package]\nname = \"private-app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nprivate-greeting = { version = \"0.1\", registry = \"private\" }\n",
		".cargo/config.toml": "[registries.private]\nindex = \"sparse+" + base + "/index/\"\n",
		"src/main.rs":        "fn main() { println!(\"{}\", private_greeting::greeting()); }\n",
	} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	secret := filepath.Join(t.TempDir(), "credentials.toml")
	if err := os.WriteFile(secret, []byte("[registries.private]\ntoken = \""+token+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, r := buildx(t, dir, "--platform", "linux/amd64", "--no-cache", "--provenance=mode=max", "--secret", "id=cargo-credentials,src="+secret)
	mustSucceed(t, r)
	registry.mustHaveBeenAsked(t)
	img := imagetest.Load(t, out, "linux/amd64")
	checkRustImage(t, img, "private-app", "cc")
	runPrints(t, img, "hello from a private registry")
	checkNoSecret(t, out, img, r, token)
}
