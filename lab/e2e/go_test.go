package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distill-build/distill/lab/e2e/imagetest"
)

// checkDistroless asserts what every distill image promises: non-root,
// no shell, no package manager, no toolchain, no source, no CA secret.
func checkDistroless(t *testing.T, img *imagetest.Image) string {
	t.Helper()
	if u := img.Config.Config.User; u != "65532:65532" {
		t.Errorf("image user = %q, want 65532:65532", u)
	}
	rootfs := filepath.Join(t.TempDir(), "rootfs")
	img.Unpack(t, rootfs)
	for _, p := range []string{"/bin/sh", "/usr/bin/sh", "/bin/bash", "/busybox", "/usr/bin/apt", "/usr/bin/dpkg", "/usr/local/go", "/usr/bin/gcc", "/go", "/src"} {
		if imagetest.Exists(rootfs, p) {
			t.Errorf("%s is in the image", p)
		}
	}
	ca, err := os.ReadFile(caBundle)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range img.Entries(t) {
		name := e.Header.Name
		if strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "/go.mod") || name == "go.mod" {
			t.Errorf("source file %s (layer %d) is in the image", name, e.Layer)
		}
		if regexp.MustCompile(`(^|/)bin/go$`).MatchString(name) {
			t.Errorf("Go toolchain %s is in the image", name)
		}
		if len(e.Data) > 0 && bytes.Equal(e.Data, ca) {
			t.Errorf("the ca-bundle secret was written to %s (layer %d)", name, e.Layer)
		}
	}
	return rootfs
}

// checkHello runs the go-hello image and talks to it.
func checkHello(t *testing.T, archive, platform string, deadline time.Duration) {
	t.Helper()
	img := imagetest.Load(t, archive, platform)
	checkDistroless(t, img)
	if got := strings.Join(img.Config.Config.Entrypoint, " "); got != "/app/go-hello" {
		t.Errorf("entrypoint = %q", got)
	}
	if _, ok := img.Config.Config.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("8080/tcp not exposed: %v", img.Config.Config.ExposedPorts)
	}
	if !containsEnv(img.Config.Config.Env, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt") {
		t.Errorf("the base's SSL_CERT_FILE was lost: %v", img.Config.Config.Env)
	}
	if img.Config.Config.Labels["org.opencontainers.image.base.name"] != "gcr.io/distroless/static-debian13:nonroot" ||
		!strings.HasPrefix(img.Config.Config.Labels["org.opencontainers.image.base.digest"], "sha256:") {
		t.Errorf("base labels = %v", img.Config.Config.Labels)
	}
	c := img.Run(t, imagetest.RunOpts{})
	body := c.HTTPGet(t, 8080, "/", deadline)
	if body != "Hello, Distroless" {
		t.Errorf("GET / = %q", body)
	}
	uid := c.ProcessUID(t)
	if uid != 65532 {
		t.Errorf("process uid = %d, want 65532", uid)
	}
	t.Logf("%s image: %d layers, %d bytes; running as uid %d, GET http://127.0.0.1:8080/ -> %q",
		platform, len(img.Layers), img.Size, uid, body)
}

func containsEnv(env []string, kv string) bool {
	for _, e := range env {
		if e == kv {
			return true
		}
	}
	return false
}

func TestGoHelloBuildx(t *testing.T) {
	requireLab(t)
	out, r := buildx(t, example("go-hello"), "--platform", "linux/amd64")
	mustSucceed(t, r)
	checkHello(t, out, "linux/amd64", 20*time.Second)
}

func TestGoHelloDockerBuild(t *testing.T) {
	requireLab(t)
	out, r := dockerBuild(t, example("go-hello"), "--platform", "linux/amd64")
	mustSucceed(t, r)
	checkHello(t, out, "linux/amd64", 20*time.Second)
}

func TestGoHelloBuildctl(t *testing.T) {
	requireLab(t)
	out, r := buildctlBuild(t, example("go-hello"), "--opt", "platform=linux/amd64")
	mustSucceed(t, r)
	checkHello(t, out, "linux/amd64", 20*time.Second)
}

// TestGoHelloArm64 builds for arm64 (cross-compiled, no emulation) and
// runs the image under qemu.
func TestGoHelloArm64(t *testing.T) {
	requireLab(t)
	out, r := buildx(t, example("go-hello"), "--platform", "linux/arm64")
	mustSucceed(t, r)
	img := imagetest.Load(t, out, "linux/arm64")
	if img.Config.Architecture != "arm64" || img.Config.Variant != "v8" {
		t.Errorf("platform = %s/%s", img.Config.Architecture, img.Config.Variant)
	}
	if strings.Contains(r.out, "emulated") {
		t.Errorf("a pure Go build ran emulated:\n%s", tail(r.out, 40))
	}
	checkHello(t, out, "linux/arm64", 60*time.Second)
}

// TestGoHelloMultiPlatform returns an index with both platforms.
func TestGoHelloMultiPlatform(t *testing.T) {
	requireLab(t)
	out, r := buildx(t, example("go-hello"), "--platform", "linux/amd64,linux/arm64")
	mustSucceed(t, r)
	img := imagetest.Load(t, out, "linux/amd64")
	if got := strings.Join(img.Platforms, ","); !strings.Contains(got, "linux/amd64") {
		t.Errorf("platforms = %s", got)
	}
	imagetest.Load(t, out, "linux/arm64")
	checkHello(t, out, "linux/amd64", 20*time.Second)
}

func TestGoServer(t *testing.T) {
	requireLab(t)
	out, r := buildx(t, example("go-server"), "--platform", "linux/amd64")
	mustSucceed(t, r)
	img := imagetest.Load(t, out, "linux/amd64")
	rootfs := checkDistroless(t, img)
	if !imagetest.Exists(rootfs, "/app/static/index.html") || !imagetest.Exists(rootfs, "/app/server") {
		t.Fatal("app files missing under /app")
	}
	c := img.Run(t, imagetest.RunOpts{})
	body := c.HTTPGet(t, 8081, "/api/hello?name=distill", 20*time.Second)
	if !strings.Contains(body, `"message":"hello, distill"`) || !regexp.MustCompile(`"request_id":"[0-9a-f-]{36}"`).MatchString(body) {
		t.Errorf("GET /api/hello = %s", body)
	}
	if body := c.HTTPGet(t, 8081, "/", 5*time.Second); !strings.Contains(body, "static files served by go-server") {
		t.Errorf("GET / = %s", body)
	}
}

// TestGoCgo builds a cgo program: detected, put on the base image (libc),
// and it runs.
func TestGoCgo(t *testing.T) {
	requireLab(t)
	out, r := buildx(t, example("go-cgo"), "--platform", "linux/amd64")
	mustSucceed(t, r)
	img := imagetest.Load(t, out, "linux/amd64")
	checkDistroless(t, img)
	if got := img.Config.Config.Labels["org.opencontainers.image.base.name"]; got != "gcr.io/distroless/base-debian13:nonroot" {
		t.Errorf("base = %s", got)
	}
	stdout, stderr, code := img.RunToCompletion(t, imagetest.RunOpts{}, 30*time.Second)
	if code != 0 || strings.TrimSpace(stdout) != "hello from cgo, uid 65532" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestGoCgoArm64: cgo for arm64 is cross-compiled from the build platform
// with Debian's cross compiler (nothing emulated), and the binary runs.
func TestGoCgoArm64(t *testing.T) {
	requireLab(t)
	img := buildArm64Cross(t, "go-cgo", "[go] go build . (cgo, cross-compiled for linux/arm64)")
	checkDistroless(t, img)
	stdout, stderr, code := img.RunToCompletion(t, imagetest.RunOpts{}, 60*time.Second)
	if code != 0 || strings.TrimSpace(stdout) != "hello from cgo, uid 65532" {
		t.Errorf("arm64 under qemu: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestBrokenManifest: a typo fails the build before anything runs, and
// buildx shows the manifest line.
func TestBrokenManifest(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("go-hello"))
	mf := filepath.Join(dir, "distill.yaml")
	data, err := os.ReadFile(mf)
	if err != nil {
		t.Fatal(err)
	}
	line := bytes.Count(data, []byte("\n")) + 1 // the typo's line
	data = append(data, []byte("entrypiont: [\"/app/go-hello\"]\n")...)
	if err := os.WriteFile(mf, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, r := buildx(t, dir)
	if r.err == nil {
		t.Fatal("a broken manifest built")
	}
	for _, want := range []string{
		fmt.Sprintf(`distill.yaml:%d:1: unknown field "entrypiont" (did you mean "entrypoint"?)`, line),
		fmt.Sprintf("distill.yaml:%d", line), // the source snippet header
		`>>> entrypiont: ["/app/go-hello"]`,
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, tail(r.out, 30))
		}
	}
}

// TestSourceOnlyChange: changing a source file rebuilds the binary without
// downloading modules again.
func TestSourceOnlyChange(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("go-server"))
	_, first := buildx(t, dir, "--platform", "linux/amd64")
	mustSucceed(t, first)
	src := filepath.Join(dir, "internal", "greet", "greet.go")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	// A greeting no earlier run used, so the build cannot come from the
	// daemon's cache of a previous test run.
	greeting := fmt.Sprintf("hi-%d", time.Now().UnixNano())
	data = bytes.Replace(data, []byte(`"hello, "`), []byte(`"`+greeting+`, "`), 1)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, second := buildx(t, dir, "--platform", "linux/amd64")
	mustSucceed(t, second)
	if found, cached := stepStatus(second.out, "[go] go mod download"); !found || !cached {
		t.Errorf("go mod download after a source-only change: found=%v cached=%v\n%s", found, cached, tail(second.out, 60))
	}
	if found, cached := stepStatus(second.out, "[go] go build"); !found || cached {
		t.Errorf("go build after a source change: found=%v cached=%v", found, cached)
	}
	t.Logf("first build %s, rebuild after a source change %s", first.dur.Round(time.Millisecond), second.dur.Round(time.Millisecond))
	img := imagetest.Load(t, out, "linux/amd64")
	c := img.Run(t, imagetest.RunOpts{})
	if body := c.HTTPGet(t, 8081, "/api/hello", 20*time.Second); !strings.Contains(body, `"message":"`+greeting+`, world"`) {
		t.Errorf("the rebuilt image serves the old code: %s", body)
	}
}

// TestSizeAgainstSeed builds the seed article's hand-written distroless
// Dockerfile in the same lab: distill's image must not be larger.
func TestSizeAgainstSeed(t *testing.T) {
	requireLab(t)
	ours, r := buildx(t, example("go-hello"), "--platform", "linux/amd64")
	mustSucceed(t, r)
	seedOut := filepath.Join(t.TempDir(), "seed.tar")
	seed := run(t, example("go-hello"), nil, "docker", "buildx", "build", "--builder", builder, "--progress=plain",
		"--platform", "linux/amd64", "-f", filepath.Join(example("go-hello"), "Dockerfile.seed"),
		"-o", "type=oci,dest="+seedOut, example("go-hello"))
	mustSucceed(t, seed)
	a, b := imagetest.Load(t, ours, "linux/amd64"), imagetest.Load(t, seedOut, "linux/amd64")
	t.Logf("go-hello image: distill %d bytes, seed Dockerfile %d bytes (ratio %.3f)", a.Size, b.Size, float64(a.Size)/float64(b.Size))
	if a.Size > b.Size {
		t.Errorf("distill's image (%d bytes) is larger than the hand-written one (%d bytes)", a.Size, b.Size)
	}
}

// TestImageMetadata: labels from --label and from buildx's git info, and
// the creation time from SOURCE_DATE_EPOCH.
func TestImageMetadata(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("go-hello"))
	git := func(args ...string) string {
		r := run(t, dir, nil, "git", append([]string{"-c", "user.name=distill", "-c", "user.email=e2e@distill.invalid"}, args...)...)
		if r.err != nil {
			t.Fatalf("git %v: %s", args, r.out)
		}
		return strings.TrimSpace(r.out)
	}
	git("init", "-q")
	git("remote", "add", "origin", "https://example.com/acme/hello.git")
	git("add", ".")
	git("commit", "-qm", "hello")
	rev := git("rev-parse", "HEAD")
	out, r := buildx(t, dir, "--platform", "linux/amd64", "--label", "team=payments",
		"--build-arg", "SOURCE_DATE_EPOCH=1700000000")
	mustSucceed(t, r)
	img := imagetest.Load(t, out, "linux/amd64")
	labels := img.Config.Config.Labels
	for k, want := range map[string]string{
		"team":                              "payments",
		"org.opencontainers.image.revision": rev,
		"org.opencontainers.image.source":   "https://example.com/acme/hello.git",
	} {
		if labels[k] != want {
			t.Errorf("label %s = %q, want %q (labels: %v)", k, labels[k], want, labels)
		}
	}
	if img.Config.Created != "2023-11-14T22:13:20Z" {
		t.Errorf("created = %q, want the SOURCE_DATE_EPOCH time", img.Config.Created)
	}
}

// TestTargets: --call=targets lists the runtime target; an unknown
// --target fails and names the targets there are.
// TestOutline: --call=outline answers, from the plan, which build secrets
// the steps may use and which cache mounts they keep, each pointing at the
// manifest line that causes it (the FastAPI example: the CA bundle and the
// pip index secrets, at its dependencies line).
func TestOutline(t *testing.T) {
	requireLab(t)
	dir := example("python-fastapi")
	r := run(t, dir, nil, "docker", "buildx", "build", "--builder", builder, "--call=outline,format=json",
		"-f", filepath.Join(dir, "distill.yaml"), dir)
	mustSucceed(t, r)
	var o struct {
		Name    string
		Secrets []struct {
			Name     string
			Location struct {
				Ranges []struct{ Start struct{ Line int } }
			}
		}
		Cache []struct{ ID string }
	}
	start := strings.Index(r.out, "{\n")
	if start < 0 {
		t.Fatalf("no JSON in the output:\n%s", r.out)
	}
	if err := json.NewDecoder(strings.NewReader(r.out[start:])).Decode(&o); err != nil {
		t.Fatalf("%v:\n%s", err, r.out)
	}
	var names []string
	for _, s := range o.Secrets {
		names = append(names, s.Name)
		if len(s.Location.Ranges) == 0 || s.Location.Ranges[0].Start.Line < 1 {
			t.Errorf("secret %s has no manifest location", s.Name)
		}
	}
	if got := strings.Join(names, ","); got != "ca-bundle,netrc,pip-extra-index-url,pip-index-url" {
		t.Errorf("outline secrets = %s\n%s", got, r.out)
	}
	if o.Name != "runtime" || len(o.Cache) != 1 || o.Cache[0].ID != "distill-pip" {
		t.Errorf("outline name %q, cache %+v", o.Name, o.Cache)
	}
}

// TestDebugTarget: --target debug puts the same app on the base's
// debug-nonroot variant: the busybox shell is there, the app still runs as
// 65532 and answers, and the runtime target stays shell-less.
func TestDebugTarget(t *testing.T) {
	requireLab(t)
	for _, tc := range []struct{ example, base string }{
		{"go-hello", "gcr.io/distroless/static-debian13:debug-nonroot"},
		{"python-emoji", "gcr.io/distroless/python3-debian13:debug-nonroot"},
	} {
		t.Run(tc.example, func(t *testing.T) {
			out, r := buildx(t, example(tc.example), "--platform", "linux/amd64", "--target", "debug")
			mustSucceed(t, r)
			img := imagetest.Load(t, out, "linux/amd64")
			if got := img.Config.Config.Labels["org.opencontainers.image.base.name"]; got != tc.base {
				t.Errorf("base = %q, want %q", got, tc.base)
			}
			if img.Config.Config.User != "65532:65532" {
				t.Errorf("user = %q", img.Config.Config.User)
			}
			stdout, stderr, code := img.RunToCompletion(t, imagetest.RunOpts{Args: []string{"/busybox/sh", "-c", "id -u; ls /app"}}, 60*time.Second)
			if code != 0 || !strings.HasPrefix(stdout, "65532\n") {
				t.Errorf("shell in the debug image: exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			if tc.example == "go-hello" {
				c := img.Run(t, imagetest.RunOpts{})
				if body := c.HTTPGet(t, 8080, "/", 30*time.Second); !strings.Contains(body, "Hello, Distroless") {
					t.Errorf("GET / = %q", body)
				}
			} else {
				runPrints(t, img, "")
			}
		})
	}
}

// TestBuildTarget: --target build exports the builder after every step,
// with the builder image's config: the toolchain and the built binary the
// runtime image collects.
func TestBuildTarget(t *testing.T) {
	requireLab(t)
	out, r := buildx(t, example("go-hello"), "--platform", "linux/amd64", "--target", "build")
	mustSucceed(t, r)
	img := imagetest.Load(t, out, "linux/amd64")
	rootfs := t.TempDir()
	img.Unpack(t, rootfs)
	for _, p := range []string{"/out/go-hello", "/usr/local/go/bin/go", "/src/main.go"} {
		if !imagetest.Exists(rootfs, p) {
			t.Errorf("%s is not in the build target", p)
		}
	}
	if !slices.Contains(img.Config.Config.Env, "GOTOOLCHAIN=local") {
		t.Errorf("env %q is not the builder image's", img.Config.Config.Env)
	}
}

func TestTargets(t *testing.T) {
	requireLab(t)
	dir := example("go-hello")
	r := run(t, dir, nil, "docker", "buildx", "build", "--builder", builder, "--call=targets",
		"-f", filepath.Join(dir, "distill.yaml"), dir)
	mustSucceed(t, r)
	if !regexp.MustCompile(`runtime \(default\)`).MatchString(r.out) || !strings.Contains(r.out, "debug") || !strings.Contains(r.out, "build") {
		t.Errorf("targets output:\n%s", r.out)
	}
	_, r = buildx(t, dir, "--target", "debugger")
	if r.err == nil || !strings.Contains(r.out, `unknown target "debugger"`) || !strings.Contains(r.out, `"runtime"`) {
		t.Errorf("unknown target: err=%v\n%s", r.err, tail(r.out, 10))
	}
}

// TestGoSQLite builds a server whose SQLite driver is C code in a
// dependency (the module has no cgo of its own) for two platforms: the
// build finds the package that needs cgo, builds with it (arm64 with
// Debian's cross compiler, nothing emulated), the binary chooses the base
// image (glibc), and the server stores and reads rows at run time.
func TestGoSQLite(t *testing.T) {
	requireLab(t)
	t.Parallel() // see parallelTests
	out, r := buildx(t, example("go-sqlite"), "--platform", "linux/amd64,linux/arm64")
	mustSucceed(t, r)
	// What the helpers decided, when they ran (a warm cache has the steps;
	// the images' base is checked below either way).
	for step, w := range map[string]string{"[go] go build": "cgo: on, github.com/mattn/go-sqlite3", "[distill] choose the runtime": "runtime: base"} {
		if found, cached := stepStatus(r.out, step); found && !cached && !strings.Contains(r.out, w) {
			t.Errorf("build output lacks %q:\n%s", w, tail(r.out, 60))
		}
	}
	if strings.Contains(r.out, "(emulated: ") {
		t.Errorf("a step ran emulated:\n%s", tail(r.out, 40))
	}
	for _, platform := range []string{"linux/amd64", "linux/arm64"} {
		t.Run(platform, func(t *testing.T) {
			img := imagetest.Load(t, out, platform)
			checkDistroless(t, img)
			if got := img.Config.Config.Labels["org.opencontainers.image.base.name"]; got != "gcr.io/distroless/base-debian13:nonroot" {
				t.Errorf("base = %s, want base-debian13 (the binary links glibc)", got)
			}
			c := img.Run(t, imagetest.RunOpts{})
			c.HTTPGet(t, 8080, "/?note=first", 60*time.Second)
			body := c.HTTPGet(t, 8080, "/?note=second", 10*time.Second)
			if !strings.Contains(body, `"notes":["first","second"]`) || !strings.Contains(body, `"sqlite":"3.`) || !strings.Contains(body, `"uid":65532`) {
				t.Errorf("GET / = %s", body)
			}
			t.Logf("%s: %d layers, %d bytes; GET / -> %s", platform, len(img.Layers), img.Size, strings.TrimSpace(body))
		})
	}
}

// TestGoCgoOff: with cgo: false, a package the server imports that has
// no Go files without cgo fails the build at the cgo: line, naming the
// package; and a pure-Go module still lands on the static base with no
// libraries layer (TestGoHello).
func TestGoCgoOff(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("go-sqlite"))
	writeManifest(t, dir, "language: go\ncgo: false\n")
	if err := os.MkdirAll(filepath.Join(dir, "cnative"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cnative", "c.go"), []byte("package cnative\n\n// int answer(void) { return 42; }\nimport \"C\"\n\nfunc Answer() int { return int(C.answer()) }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(dir, "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	src = bytes.Replace(src, []byte("\t_ \"github.com/mattn/go-sqlite3\"\n"), []byte("\t_ \"github.com/mattn/go-sqlite3\"\n\n\t\"example.com/go-sqlite/cnative\"\n"), 1)
	src = bytes.Replace(src, []byte("\tdir := os.Getenv"), []byte("\tlog.Println(cnative.Answer())\n\tdir := os.Getenv"), 1)
	if err := os.WriteFile(filepath.Join(dir, "main.go"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	archive, r := buildx(t, dir, "--platform", "linux/amd64")
	if r.err == nil {
		t.Fatal("the build succeeded")
	}
	for _, w := range []string{"distill: cgo: false, but example.com/go-sqlite/cnative (c.go imports \"C\") needs cgo", "distill.yaml:3", "cgo: false"} {
		if !strings.Contains(r.out, w) {
			t.Errorf("output lacks %q:\n%s", w, tail(r.out, 40))
		}
	}
	if _, err := os.Stat(archive); err == nil {
		t.Errorf("an image was written to %s", archive)
	}
}

// TestGoCgoSystemLibrary: the module's own cgo code links a Debian
// library (build-packages: libsqlite3-dev, the arm64 one for arm64): the
// binary chooses base, and libsqlite3 is carried into the image with its
// status.d record for each platform; the program runs.
func TestGoCgoSystemLibrary(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("go-cgo"))
	writeManifest(t, dir, "language: go\nbuild-packages: [libsqlite3-dev]\n")
	src := "package main\n\n/*\n#cgo LDFLAGS: -lsqlite3\n#include <sqlite3.h>\n*/\nimport \"C\"\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Printf(\"sqlite %s\\n\", C.GoString(C.sqlite3_libversion()))\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, r := buildx(t, dir, "--platform", "linux/amd64,linux/arm64")
	mustSucceed(t, r)
	if strings.Contains(r.out, "(emulated: ") {
		t.Errorf("a step ran emulated:\n%s", tail(r.out, 40))
	}
	for _, tc := range []struct{ platform, triplet string }{{"linux/amd64", "x86_64-linux-gnu"}, {"linux/arm64", "aarch64-linux-gnu"}} {
		t.Run(tc.platform, func(t *testing.T) {
			img := imagetest.Load(t, out, tc.platform)
			rootfs := checkDistroless(t, img)
			if got := img.Config.Config.Labels["org.opencontainers.image.base.name"]; got != "gcr.io/distroless/base-debian13:nonroot" {
				t.Errorf("base = %s", got)
			}
			for _, p := range []string{"/usr/lib/" + tc.triplet + "/libsqlite3.so.0", "/var/lib/dpkg/status.d/libsqlite3-0"} {
				if !imagetest.Exists(rootfs, p) {
					t.Errorf("%s is not in the image", p)
				}
			}
			stdout, stderr, code := img.RunToCompletion(t, imagetest.RunOpts{}, 60*time.Second)
			if code != 0 || !strings.HasPrefix(stdout, "sqlite 3.") {
				t.Errorf("exit %d: %q %q", code, stdout, stderr)
			}
			t.Logf("%s: %s", tc.platform, strings.TrimSpace(stdout))
		})
	}
}

// TestGoWorkspace builds two services of a Go workspace (go.work at the
// repository root, a shared library with a module of its own, a library
// only the worker uses) from the root with each service's manifest: the
// images run, an edit to what only the worker builds with re-runs no
// step of the API's build, and an edit to the shared library rebuilds it
// with the change. A manifest at the root that does not say which module
// is the app is an error listing the workspace's modules.
func TestGoWorkspace(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("go-workspace"))
	api, r := buildxFile(t, dir, "services/api/distill.yaml", "--platform", "linux/amd64")
	mustSucceed(t, r)
	img := imagetest.Load(t, api, "linux/amd64")
	checkDistroless(t, img)
	if body := img.Run(t, imagetest.RunOpts{}).HTTPGet(t, 8080, "/", 30*time.Second); !strings.HasPrefix(body, "hello, api (greeting ") {
		t.Errorf("GET / = %q", body)
	}
	worker, r := buildxFile(t, dir, "services/worker/distill.yaml", "--platform", "linux/amd64")
	mustSucceed(t, r)
	runPrints(t, imagetest.Load(t, worker, "linux/amd64"), "ran job 1: resize images")

	editFile(t, dir, "libs/jobs/jobs.go", "resize images", "send mail")
	editFile(t, dir, "services/worker/main.go", `"ran"`, `"done:"`)
	_, again := buildxFile(t, dir, "services/api/distill.yaml", "--platform", "linux/amd64")
	mustSucceed(t, again)
	if ran := stepsRun(again.out); len(ran) > 0 {
		t.Errorf("an edit to the worker's modules re-ran %q of the API's build:\n%s", ran, tail(again.out, 60))
	}
	// A greeting no earlier run built: the rebuild cannot come from the cache.
	hi := fmt.Sprintf("hi-%d", time.Now().UnixNano())
	editFile(t, dir, "libs/greet/greet.go", `"hello, %s`, `"`+hi+`, %s`)
	api, r = buildxFile(t, dir, "services/api/distill.yaml", "--platform", "linux/amd64")
	mustSucceed(t, r)
	if ran := strings.Join(stepsRun(r.out), "\n"); !strings.Contains(ran, "[go] go build") {
		t.Errorf("an edit to the shared library did not rebuild the API: ran %q", ran)
	}
	if body := imagetest.Load(t, api, "linux/amd64").Run(t, imagetest.RunOpts{}).HTTPGet(t, 8080, "/", 30*time.Second); !strings.HasPrefix(body, hi+", api") {
		t.Errorf("after the shared library's edit, GET / = %q", body)
	}

	rootManifestFails(t, dir, "go", []string{"go.work uses 4 modules (libs/greet, libs/jobs, services/api, services/worker)", "distill.yaml:2", "main: ./libs/greet"})
	// main: at the root picks the package, and its module.
	writeManifest(t, dir, "language: go\nmain: ./services/worker\n")
	worker, r = buildxFile(t, dir, "distill.yaml", "--platform", "linux/amd64")
	mustSucceed(t, r)
	runPrints(t, imagetest.Load(t, worker, "linux/amd64"), "job 1: send mail")
}

// TestDetectedLanguage: a manifest without language: builds the Go
// example (the language detected from go.mod, said in the progress
// output and the outline), and the image answers; with a package.json
// beside go.mod the build fails naming both languages.
func TestDetectedLanguage(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("go-hello"))
	writeManifest(t, dir, "expose: [8080]\n")
	out, r := buildx(t, dir, "--platform", "linux/amd64")
	mustSucceed(t, r)
	if !strings.Contains(r.out, "[distill] language: go, from go.mod (the manifest names none)") {
		t.Errorf("the progress output does not say the language:\n%s", tail(r.out, 40))
	}
	checkHello(t, out, "linux/amd64", 20*time.Second)
	o := run(t, dir, nil, "docker", "buildx", "build", "--builder", builder, "--call=outline", "-f", filepath.Join(dir, "distill.yaml"), dir)
	mustSucceed(t, o)
	if !strings.Contains(o.out, "language detected from go.mod") {
		t.Errorf("the outline does not say the language:\n%s", tail(o.out, 20))
	}

	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name": "tools"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, r = buildx(t, dir, "--platform", "linux/amd64")
	if w := "2 match its directory: go (go.mod), node (package.json)"; r.err == nil || !strings.Contains(r.out, w) {
		t.Errorf("two languages: output lacks %q:\n%s", w, tail(r.out, 20))
	}
}
