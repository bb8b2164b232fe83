// Package e2e builds the examples through a real buildkitd with the real
// clients (docker buildx build, docker build, buildctl), then unpacks and
// runs the produced images with runc and asserts on their behaviour.
//
// It needs the lab (make lab-up) and DISTILL_E2E=1; `make e2e` sets both.
// Under CI=true a missing lab is a failure, never a skip.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distill-build/distill/lab/e2e/imagetest"
)

// repoRoot is the repository root, from this package's directory.
var repoRoot = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}()

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

var (
	labOnce sync.Once
	labErr  error
)

var (
	builder  = env("BUILDX_BUILDER", "distill-lab")
	caBundle = env("DISTILL_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
	// syntax, when set, is the frontend image the builds use instead of
	// the manifests' syntax line (a branch's frontend published under its
	// own tag: DISTILL_IMAGE_TAGS=x lab/publish-frontend.sh).
	syntax = os.Getenv("DISTILL_E2E_SYNTAX")
)

// frontendPurl is the package URL provenance gives the frontend the
// builds use: the examples' syntax line's, or syntax.
func frontendPurl() string {
	ref := "ghcr.io/distill-build/distill:1"
	if syntax != "" {
		ref = syntax
	}
	i := strings.LastIndex(ref, ":")
	return "pkg:docker/" + ref[:i] + "@" + ref[i+1:]
}

// syntaxArgs are the client's arguments for syntax: buildx's
// --build-arg, or buildctl's --opt build-arg:.
func syntaxArgs(buildctl bool) []string {
	switch {
	case syntax == "":
		return nil
	case buildctl:
		return []string{"--opt", "build-arg:BUILDKIT_SYNTAX=" + syntax}
	}
	return []string{"--build-arg", "BUILDKIT_SYNTAX=" + syntax}
}

// parallelTests: the longest tests (an emulated native compile, jlink,
// Maven, a Rust cross build, init on every example) spend much of their
// time waiting on one emulated core, on the network or on a JVM, and
// assert nothing that another test's build could change (no daemon of
// their own, no prune; each container in namespaces of its own), nor
// build anything another test must not share: BuildKit runs identical
// ops of concurrent builds once, and secrets are not in an op's key, so
// a build without the ca-bundle secret (TestFaultNoCABundle) stays
// serial. They call t.Parallel, so Go runs
// them two at a time (-parallel, GOMAXPROCS) once the other tests are
// done: minutes off a fresh make test.
//
// requireLab skips the test when the lab is not meant to be used, and
// fails it when the lab should be there but does not answer.
func requireLab(t *testing.T) {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	if os.Getenv("DISTILL_E2E") != "1" && !ci {
		t.Skip("end-to-end tests need the lab: run `make e2e` (or set DISTILL_E2E=1 after `make lab-up`)")
	}
	labOnce.Do(func() { labErr = probeLab() })
	if labErr != nil {
		t.Fatalf("the lab is not usable (run `make lab-up`): %v", labErr)
	}
	requireParts(t)
}

func probeLab() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "buildctl", "debug", "workers").CombinedOutput(); err != nil {
		return fmt.Errorf("buildctl debug workers: %v: %s", err, out)
	}
	if out, err := exec.CommandContext(ctx, "docker", "buildx", "inspect", builder).CombinedOutput(); err != nil {
		return fmt.Errorf("docker buildx inspect %s: %v: %s", builder, err, out)
	}
	return nil
}

// result is the outcome of one client invocation.
type result struct {
	out string // stdout+stderr, with plain progress
	err error
	dur time.Duration
}

func run(t *testing.T, dir string, extraEnv []string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), extraEnv...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	start := time.Now()
	err := cmd.Run()
	r := result{out: buf.String(), err: err, dur: time.Since(start)}
	t.Logf("%s %s (%s, %v)", name, strings.Join(args, " "), r.dur.Round(time.Millisecond), err)
	return r
}

// buildx runs `docker buildx build` on a context dir with its distill.yaml
// and exports an OCI archive; extra args go before the context.
func buildx(t *testing.T, dir string, extra ...string) (string, result) {
	t.Helper()
	return buildxFile(t, dir, "distill.yaml", extra...)
}

// buildxFile is buildx with the manifest at file, relative to the context
// dir (an app in a directory of a repository built from its root).
func buildxFile(t *testing.T, dir, file string, extra ...string) (string, result) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "image.tar")
	args := append([]string{"buildx", "build", "--builder", builder, "--progress=plain",
		"-f", filepath.Join(dir, file),
		"--secret", "id=ca-bundle,src=" + caBundle,
		"-o", "type=oci,dest=" + out}, append(syntaxArgs(false), extra...)...)
	return out, run(t, dir, nil, "docker", append(args, dir)...)
}

// dockerBuild runs plain `docker build`, which BUILDX_BUILDER points at
// the lab's buildkitd.
func dockerBuild(t *testing.T, dir string, extra ...string) (string, result) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "image.tar")
	args := append([]string{"build", "--progress=plain", "-f", filepath.Join(dir, "distill.yaml"),
		"--secret", "id=ca-bundle,src=" + caBundle,
		"-o", "type=oci,dest=" + out}, append(syntaxArgs(false), extra...)...)
	return out, run(t, dir, []string{"BUILDX_BUILDER=" + builder}, "docker", append(args, dir)...)
}

// buildctlBuild runs buildctl with the built-in dockerfile.v0 frontend,
// which forwards to distill because of the manifest's syntax line.
func buildctlBuild(t *testing.T, dir string, extra ...string) (string, result) {
	t.Helper()
	return buildctlBuildWith(t, "buildctl", "", dir, extra...)
}

// buildctlBuildWith is buildctlBuild with the buildctl binary bin against
// the buildkitd at addr (BUILDKIT_HOST when empty).
func buildctlBuildWith(t *testing.T, bin, addr, dir string, extra ...string) (string, result) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "image.tar")
	var args []string
	if addr != "" {
		args = []string{"--addr", addr}
	}
	args = append(args, "build", "--progress=plain", "--frontend", "dockerfile.v0",
		"--local", "context="+dir, "--local", "dockerfile="+dir, "--opt", "filename=distill.yaml",
		"--secret", "id=ca-bundle,src="+caBundle,
		"--output", "type=oci,dest="+out)
	args = append(args, syntaxArgs(true)...)
	return out, run(t, dir, nil, bin, append(args, extra...)...)
}

func mustSucceed(t *testing.T, r result) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("build failed: %v\n%s", r.err, tail(r.out, 80))
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// editFile replaces the first old in dir's file f with new.
func editFile(t *testing.T, dir, f, old, new string) {
	t.Helper()
	p := filepath.Join(dir, f)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s has no %q", f, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// rootManifestFails writes a manifest of the language at dir's root (a
// workspace's) and builds it: the build must fail, its output carrying
// every wanted line.
func rootManifestFails(t *testing.T, dir, language string, want []string) {
	t.Helper()
	writeManifest(t, dir, "language: "+language+"\n")
	_, r := buildxFile(t, dir, "distill.yaml", "--platform", "linux/amd64")
	for _, w := range want {
		if r.err == nil || !strings.Contains(r.out, w) {
			t.Errorf("a manifest at the workspace's root: output lacks %q:\n%s", w, tail(r.out, 20))
		}
	}
}

// copyDir copies an example to a temp dir, so tests can change it.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v: %s", err, out)
	}
	return dst
}

func example(name string) string { return filepath.Join(repoRoot, "examples", name) }

// buildError is a manifest written over an example's and what its failed
// build must print.
type buildError struct {
	name, manifest string
	want           []string
}

// checkBuildErrors builds each broken manifest in a copy of the example:
// the build must fail and its output carry every wanted line.
func checkBuildErrors(t *testing.T, exampleName string, cases []buildError) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, example(exampleName))
			if err := os.WriteFile(filepath.Join(dir, "distill.yaml"), []byte("# syntax=ghcr.io/distill-build/distill:1\n"+tc.manifest), 0o644); err != nil {
				t.Fatal(err)
			}
			_, r := buildx(t, dir, "--platform", "linux/amd64")
			if r.err == nil {
				t.Fatal("the build succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(r.out, w) {
					t.Errorf("output lacks %q:\n%s", w, tail(r.out, 40))
				}
			}
		})
	}
}

// sourceChange is an edit of an example's source: text in file is
// replaced; the dependency install step must then be CACHED, the copy of
// the sources re-run, and the app on port serve the new text.
type sourceChange struct {
	example, file, text string
	install             string
	port                int
}

// checkSourceOnlyChange builds a copy of the example, edits its source
// and rebuilds it: the dependencies are reused and the new code served.
func checkSourceOnlyChange(t *testing.T, sc sourceChange) {
	t.Helper()
	dir := copyDir(t, example(sc.example))
	_, first := buildx(t, dir, "--platform", "linux/amd64")
	mustSucceed(t, first)
	src := filepath.Join(dir, sc.file)
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	greeting := fmt.Sprintf("Hello-%d", time.Now().UnixNano())
	if !bytes.Contains(data, []byte(sc.text)) {
		t.Fatalf("%s has no %q", sc.file, sc.text)
	}
	data = bytes.Replace(data, []byte(sc.text), []byte(greeting), 1)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, second := buildx(t, dir, "--platform", "linux/amd64")
	mustSucceed(t, second)
	if found, cached := stepStatus(second.out, sc.install); !found || !cached {
		t.Errorf("%s after a source-only change: found=%v cached=%v\n%s", sc.install, found, cached, tail(second.out, 60))
	}
	copyStep := sc.install[:strings.Index(sc.install, "]")+1] + " copy sources"
	if found, cached := stepStatus(second.out, copyStep); !found || cached {
		t.Errorf("%s after a source change: found=%v cached=%v", copyStep, found, cached)
	}
	t.Logf("first build %s, rebuild after a source change %s", first.dur.Round(time.Millisecond), second.dur.Round(time.Millisecond))
	img := imagetest.Load(t, out, "linux/amd64")
	c := img.Run(t, imagetest.RunOpts{})
	if body := c.HTTPGet(t, sc.port, "/", 30*time.Second); !strings.Contains(body, greeting) {
		t.Errorf("the rebuilt image serves the old code: %s", body)
	}
}

// buildArm64Cross builds an example for linux/arm64, which must be done
// from the build platform: the named step is there and nothing ran
// emulated. It returns the arm64 image, checked to be arm64 (v8).
func buildArm64Cross(t *testing.T, exampleName, step string) *imagetest.Image {
	t.Helper()
	out, r := buildx(t, example(exampleName), "--platform", "linux/arm64")
	mustSucceed(t, r)
	if found, _ := stepStatus(r.out, step); !found {
		t.Errorf("no step %q:\n%s", step, tail(r.out, 40))
	}
	if strings.Contains(r.out, "(emulated: ") {
		t.Errorf("a step ran emulated:\n%s", tail(r.out, 40))
	}
	img := imagetest.Load(t, out, "linux/arm64")
	if img.Config.Architecture != "arm64" || img.Config.Variant != "v8" {
		t.Errorf("platform = %s/%s", img.Config.Architecture, img.Config.Variant)
	}
	return img
}
