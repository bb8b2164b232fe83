package e2e

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distill-build/distill/lab/e2e/imagetest"
)

// writeManifest replaces the manifest of a context dir.
func writeManifest(t *testing.T, dir, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "distill.yaml"), []byte("# syntax=ghcr.io/distill-build/distill:1\n"+body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// call runs `docker buildx build --call=<what>` on a context dir.
func call(t *testing.T, dir, what string, extra ...string) result {
	t.Helper()
	args := append([]string{"buildx", "build", "--builder", builder, "--call=" + what, "-f", filepath.Join(dir, "distill.yaml")}, extra...)
	return run(t, dir, nil, "docker", append(args, dir)...)
}

// TestCheck: --call=check reports each rule's finding at its manifest
// line, as buildx prints Dockerfile checks, and exits non-zero; the same
// project locked and fixed has no finding and exits 0.
func TestCheck(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("go-cgo"))
	writeManifest(t, dir, `language: go
base: gcr.io/distroless/static-debian13:nonroot
entrypoint: [/app/server]
env:
  API_TOKEN: tok_4711
builder: golang:1.26-bookworm
`)
	r := call(t, dir, "check")
	if r.err == nil {
		t.Fatalf("check found nothing to report:\n%s", r.out)
	}
	for _, want := range []string{
		"WARNING: InlineCredentials", "distill.yaml:6",
		"WARNING: CgoOnStaticBase", "has no C library (libc.so.6) for linux/amd64", "distill.yaml:3",
		"WARNING: EntrypointNotFound", "/app/server is not in the image", "distill.yaml:4",
		"WARNING: VersionMismatch", "distill.yaml:7",
		"WARNING: UnpinnedImage", "docs/checks.md#unpinnedimage",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("check output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(r.out)
	}

	// A plan error is the check's error, with its line.
	writeManifest(t, dir, "language: go\nbase: static\n")
	r = call(t, dir, "check")
	if r.err == nil || !strings.Contains(r.out, "WARNING: CgoOnStaticBase") || !strings.Contains(r.out, "distill.yaml:3") {
		t.Errorf("cgo on base: static: err %v\n%s", r.err, r.out)
	}
	// An entrypoint script a build step makes is not looked for in the
	// context.
	if r := call(t, example("node-typescript"), "check"); strings.Contains(r.out, "EntrypointNotFound") {
		t.Errorf("node-typescript: the build's output reported missing:\n%s", r.out)
	}
	writeManifest(t, dir, "language: cobol\n")
	r = call(t, dir, "check")
	if r.err == nil || !strings.Contains(r.out, `unsupported language "cobol"`) {
		t.Errorf("unplannable manifest: err %v\n%s", r.err, r.out)
	}

	// A build prints the findings as warnings; with the check directive's
	// error=true they fail it before any step runs; skip silences a rule.
	writeManifest(t, dir, "language: go\nenv:\n  API_TOKEN: tok_4711\n")
	_, r = buildx(t, dir, "--platform", "linux/amd64")
	mustSucceed(t, r)
	if !strings.Contains(r.out, "InlineCredentials: env API_TOKEN looks like a credential") {
		t.Errorf("the build did not warn:\n%s", tail(r.out, 30))
	}
	if err := os.WriteFile(filepath.Join(dir, "distill.yaml"), []byte("# syntax=ghcr.io/distill-build/distill:1\n# check=skip=UnpinnedImage;error=true\nlanguage: go\nenv:\n  API_TOKEN: tok_4711\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, r = buildx(t, dir, "--platform", "linux/amd64")
	if r.err == nil || !strings.Contains(r.out, "check directive says error=true") || !strings.Contains(r.out, "distill.yaml:5") || strings.Contains(r.out, "UnpinnedImage") {
		t.Errorf("error=true: err %v\n%s", r.err, tail(r.out, 30))
	}
	_, r = buildx(t, dir, "--platform", "linux/amd64", "--build-arg", "BUILDKIT_DOCKERFILE_CHECK=skip=InlineCredentials,UnpinnedImage;error=true")
	mustSucceed(t, r)

	// Fixed and locked: nothing to report, exit 0.
	clean := copyDir(t, example("go-hello"))
	lockExample(t, clean, "linux/amd64")
	r = call(t, clean, "check")
	mustSucceed(t, r)
	if !strings.Contains(r.out, "Check complete, no warnings found.") {
		t.Errorf("clean check:\n%s", r.out)
	}
	r = call(t, clean, "check,format=json")
	mustSucceed(t, r)
	if !strings.Contains(r.out, `"warnings": []`) {
		t.Errorf("JSON check:\n%s", r.out)
	}
}

// distillCLI builds the distill CLI once per test binary.
var distillCLI = func() func(t *testing.T) string {
	var bin string
	return func(t *testing.T) string {
		t.Helper()
		if bin != "" {
			return bin
		}
		out := filepath.Join(os.TempDir(), fmt.Sprintf("distill-e2e-%d", os.Getpid()))
		cmd := exec.Command("go", "build", "-o", out, "./cmd/distill")
		cmd.Dir = repoRoot
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building the CLI: %v\n%s", err, b)
		}
		bin = out
		return bin
	}
}()

type lockFile struct {
	Images []struct {
		Ref       string
		Digest    string
		Platforms map[string]string
	}
	Packages []struct {
		Platform  string
		Requested []string
		Debs      []struct{ Name, Arch, Version, SHA256 string }
	}
}

// lockExample runs `distill lock` on a context dir and reads the lock.
func lockExample(t *testing.T, dir, platforms string) lockFile {
	t.Helper()
	r := run(t, dir, nil, distillCLI(t), "lock", "--platform", platforms, dir, "--", "--builder", builder)
	mustSucceed(t, r)
	data, err := os.ReadFile(filepath.Join(dir, "distill.lock"))
	if err != nil {
		t.Fatal(err)
	}
	var lf lockFile
	if err := json.Unmarshal(data, &lf); err != nil {
		t.Fatalf("%v:\n%s", err, data)
	}
	return lf
}

// TestLock: `distill lock` pins every builder and runtime for every
// target platform; the build uses the locked digests; a lock whose tag
// has moved is reported by check; a lock that does not match what the
// registry serves fails the build at the manifest line.
func TestLock(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("go-hello"))
	lf := lockExample(t, dir, "linux/amd64,linux/arm64")
	got := map[string][]string{}
	for _, im := range lf.Images {
		for p := range im.Platforms {
			got[im.Ref] = append(got[im.Ref], p)
		}
		sort.Strings(got[im.Ref])
		if !strings.HasPrefix(im.Digest, "sha256:") {
			t.Errorf("%s: digest %q", im.Ref, im.Digest)
		}
	}
	// The runtimes the build chooses from are pinned too.
	want := map[string][]string{
		"docker.io/library/golang:1.26-trixie":      {"linux/amd64"},
		"gcr.io/distroless/base-debian13:nonroot":   {"linux/amd64", "linux/arm64"},
		"gcr.io/distroless/cc-debian13:nonroot":     {"linux/amd64", "linux/arm64"},
		"gcr.io/distroless/static-debian13:nonroot": {"linux/amd64", "linux/arm64"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("locked %v, want %v (the builder runs on the build platform only)", got, want)
	}
	var runtimeDigest string
	for _, im := range lf.Images {
		if strings.Contains(im.Ref, "static") {
			runtimeDigest = im.Digest
		}
	}

	out, r := buildx(t, dir, "--platform", "linux/amd64")
	mustSucceed(t, r)
	if !strings.Contains(r.out, "gcr.io/distroless/static-debian13:nonroot@"+runtimeDigest) {
		t.Errorf("the build did not load the locked runtime %s:\n%s", runtimeDigest, tail(r.out, 30))
	}
	img := imagetest.Load(t, out, "linux/amd64")
	if d := img.Config.Config.Labels["org.opencontainers.image.base.digest"]; d != runtimeDigest {
		t.Errorf("base digest label = %q, want the locked %s", d, runtimeDigest)
	}
	checkHello(t, out, "linux/amd64", 20*time.Second)

	// The lock names another image (the base's :latest) under the tag:
	// check reports the drift, the build keeps the locked image.
	data, err := os.ReadFile(filepath.Join(dir, "distill.lock"))
	if err != nil {
		t.Fatal(err)
	}
	latest := resolveDigest(t, "gcr.io/distroless/static-debian13:latest")
	drifted := strings.ReplaceAll(string(data), runtimeDigest, latest)
	if err := os.WriteFile(filepath.Join(dir, "distill.lock"), []byte(drifted), 0o644); err != nil {
		t.Fatal(err)
	}
	r = call(t, dir, "check")
	if r.err == nil || !strings.Contains(r.out, "WARNING: LockDrift") || !strings.Contains(r.out, "now resolves to "+runtimeDigest) {
		t.Errorf("drift not reported: err %v\n%s", r.err, r.out)
	}
	// That image's config is not the one recorded for the platform: the
	// build refuses it.
	_, r = buildx(t, dir, "--platform", "linux/amd64")
	if r.err == nil || !strings.Contains(r.out, "but the lock recorded") || !strings.Contains(r.out, "distill.lock") {
		t.Errorf("mismatching lock: err %v\n%s", r.err, tail(r.out, 20))
	}
	// DISTILL_LOCK=false builds from the tags.
	_, r = buildx(t, dir, "--platform", "linux/amd64", "--build-arg", "DISTILL_LOCK=false")
	mustSucceed(t, r)
}

// resolveDigest is what a tag resolves to in the lab (through a lock of
// a throwaway manifest whose base is that image).
func resolveDigest(t *testing.T, ref string) string {
	t.Helper()
	dir := copyDir(t, example("go-hello"))
	writeManifest(t, dir, "language: go\nbase: "+ref+"\n")
	lf := lockExample(t, dir, "linux/amd64")
	for _, im := range lf.Images {
		if im.Ref == ref {
			return im.Digest
		}
	}
	t.Fatalf("%s not in the lock %+v", ref, lf)
	return ""
}

// imageDigest is the digest of the platform's image manifest in an OCI
// archive (attestations are off in the builds that compare it).
func imageDigest(t *testing.T, archive string) string {
	t.Helper()
	var idx struct {
		Manifests []struct{ Digest string }
	}
	if err := json.Unmarshal(imagetest.ArchiveFiles(t, archive)["index.json"], &idx); err != nil || len(idx.Manifests) != 1 {
		t.Fatalf("%s: index.json: %v %+v", archive, err, idx)
	}
	return idx.Manifests[0].Digest
}

// TestReproducibleDigest: two builds from the same inputs with
// SOURCE_DATE_EPOCH, the second with --no-cache (every step runs again),
// give the same image digest; the app's files, the config and the history
// carry that time, not the build's.
func TestReproducibleDigest(t *testing.T) {
	requireLab(t)
	const epoch = "1700000000"
	for _, name := range []string{"go-hello", "python-fastapi"} {
		t.Run(name, func(t *testing.T) {
			dir := example(name)
			args := []string{"--platform", "linux/amd64", "--provenance=false", "--build-arg", "SOURCE_DATE_EPOCH=" + epoch}
			out1, r := buildx(t, dir, args...)
			mustSucceed(t, r)
			out2, r := buildx(t, dir, append(args, "--no-cache")...)
			mustSucceed(t, r)
			d1, d2 := imageDigest(t, out1), imageDigest(t, out2)
			if d1 != d2 {
				t.Errorf("digests differ: %s, then %s with --no-cache", d1, d2)
			}
			img := imagetest.Load(t, out2, "linux/amd64")
			if img.Config.Created != "2023-11-14T22:13:20Z" {
				t.Errorf("created = %q", img.Config.Created)
			}
			if bytes.Contains(img.RawConfig, []byte(time.Now().UTC().Format("2006-01-02T"))) {
				t.Errorf("the config has today's date: %s", img.RawConfig)
			}
			// The layers distill adds (above the base's) have the epoch's
			// time on every file.
			nbase := len(img.Layers) - 2
			if name == "go-hello" {
				nbase = len(img.Layers) - 1
			}
			want := time.Unix(1700000000, 0)
			for _, e := range img.Entries(t) {
				if e.Layer >= nbase && !e.Header.ModTime.Equal(want) {
					t.Errorf("%s (layer %d) has mtime %s, want %s", e.Header.Name, e.Layer, e.Header.ModTime.UTC(), want.UTC())
					break
				}
			}
			t.Logf("%s: %s both times", name, d1)
		})
	}
}

// TestBuildArgs: a declared arg reaches the build steps with the
// client's value (GOFLAGS adds a build tag the app prints), an arg the
// manifest does not declare is reported and reaches nothing, and the
// outline lists the declared one at its line.
func TestBuildArgs(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("go-hello"))
	writeManifest(t, dir, "language: go\nargs:\n  GOFLAGS: -tags=plain\n  GREETING_UNUSED:\n")
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(`package main

import "fmt"

var flavour = "untagged"

func main() { fmt.Println("flavour:", flavour) }
`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fancy.go"), []byte("//go:build fancy\n\npackage main\n\nfunc init() { flavour = \"fancy\" }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, r := buildx(t, dir, "--platform", "linux/amd64", "--build-arg", "GOFLAGS=-tags=fancy", "--build-arg", "NOT_DECLARED=1")
	mustSucceed(t, r)
	img := imagetest.Load(t, out, "linux/amd64")
	runPrints(t, img, "flavour: fancy")
	if !strings.Contains(r.out, "build arg NOT_DECLARED is not declared in distill.yaml") {
		t.Errorf("no warning for the undeclared arg:\n%s", tail(r.out, 20))
	}
	for _, e := range img.Entries(t) {
		if bytes.Contains(e.Data, []byte("NOT_DECLARED")) {
			t.Errorf("%s has the undeclared arg", e.Header.Name)
		}
	}
	if slices.ContainsFunc(img.Config.Config.Env, func(e string) bool { return strings.HasPrefix(e, "GOFLAGS") }) {
		t.Errorf("build args are in the image env: %v", img.Config.Config.Env)
	}
	r = call(t, dir, "outline")
	mustSucceed(t, r)
	if !regexp.MustCompile(`GOFLAGS\s+-tags=plain`).MatchString(r.out) || !strings.Contains(r.out, "GREETING_UNUSED") {
		t.Errorf("outline:\n%s", r.out)
	}
}

// TestManifestDockerignore: distill.yaml.dockerignore is the ignore file
// of builds from that manifest (over .dockerignore), as
// Dockerfile.dockerignore is for a Dockerfile.
func TestManifestDockerignore(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("node-express"))
	for f, s := range map[string]string{
		"notes-internal.txt":        "internal\n",
		"public.txt":                "public\n",
		".dockerignore":             "node_modules\npublic.txt\n",
		"distill.yaml.dockerignore": "node_modules\nnotes-internal.txt\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, r := buildx(t, dir, "--platform", "linux/amd64")
	mustSucceed(t, r)
	img := imagetest.Load(t, out, "linux/amd64")
	rootfs := t.TempDir()
	img.Unpack(t, rootfs)
	if imagetest.Exists(rootfs, "/app/notes-internal.txt") {
		t.Error("distill.yaml.dockerignore was not applied")
	}
	if !imagetest.Exists(rootfs, "/app/public.txt") {
		t.Error(".dockerignore was applied although distill.yaml.dockerignore is there")
	}
}

// TestNamedContextImage: --build-context replaces an image the plan
// names, as it replaces a Dockerfile's FROM: here the runtime by its debug
// variant, so the image has busybox.
func TestNamedContextImage(t *testing.T) {
	requireLab(t)
	dir := example("go-hello")
	out, r := buildx(t, dir, "--platform", "linux/amd64",
		"--build-context", "gcr.io/distroless/static-debian13:nonroot=docker-image://gcr.io/distroless/static-debian13:debug-nonroot")
	mustSucceed(t, r)
	img := imagetest.Load(t, out, "linux/amd64")
	stdout, stderr, code := img.RunToCompletion(t, imagetest.RunOpts{Args: []string{"/busybox/sh", "-c", "ls /app"}}, 60*time.Second)
	if code != 0 || !strings.Contains(stdout, "go-hello") {
		t.Errorf("busybox from the named context: exit %d, %q %q", code, stdout, stderr)
	}
}

// TestGoPrivateModule: a module from a private GOPROXY that needs basic
// auth, the credentials given only as the netrc build secret, the proxy
// declared under args: and its name given with --add-host the module is fetched, the app runs, and the
// password is in no layer, not in the config, not in the build output.
func TestGoPrivateModule(t *testing.T) {
	requireLab(t)
	const user, password = "distill", "go_s3cr3t_4711"
	const mod, version = "private.example/greet", "v1.0.0"
	gomod := "module " + mod + "\n\ngo 1.21\n"
	files := map[string]string{"go.mod": gomod, "greet.go": "package greet\n\nfunc Hello() string { return \"hello from a private module\" }\n"}
	zipData, zipHash := moduleZip(t, mod+"@"+version, files)
	modHash := dirHash(map[string][]byte{"go.mod": []byte(gomod)})

	// Go sends credentials over HTTPS only: the proxy's certificate is
	// added to the CA bundle secret, as a corporate CA would be.
	var hits, denied atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != password {
			denied.Add(1)
			w.Header().Set("WWW-Authenticate", `Basic realm="private"`)
			http.Error(w, "auth required", http.StatusUnauthorized)
			return
		}
		hits.Add(1)
		base := "/" + mod + "/@v/"
		switch r.URL.Path {
		case base + "list":
			io.WriteString(w, version+"\n")
		case base + version + ".info":
			fmt.Fprintf(w, `{"Version":%q,"Time":"2024-01-01T00:00:00Z"}`, version)
		case base + version + ".mod":
			io.WriteString(w, gomod)
		case base + version + ".zip":
			w.Write(zipData)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	// The proxy by a name the build resolves through --add-host (the test
	// server's certificate is for example.com).
	host := strings.Replace(strings.TrimPrefix(srv.URL, "https://"), "127.0.0.1", "example.com", 1)
	proxyURL := "https://" + host
	hostCAs, err := os.ReadFile(caBundle)
	if err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bundle, append(hostCAs, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})...), 0o644); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	for f, s := range map[string]string{
		"distill.yaml": "# syntax=ghcr.io/distill-build/distill:1\nlanguage: go\nargs:\n  GOPROXY: " + proxyURL + "\n  GONOSUMDB: private.example\n",
		"go.mod":       "module example.com/app\n\ngo 1.26\n\nrequire " + mod + " " + version + "\n",
		"go.sum":       fmt.Sprintf("%s %s %s\n%s %s/go.mod %s\n", mod, version, zipHash, mod, version, modHash),
		"main.go":      "package main\n\nimport (\n\t\"fmt\"\n\n\t\"" + mod + "\"\n)\n\nfunc main() { fmt.Println(greet.Hello()) }\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	netrc := filepath.Join(t.TempDir(), "netrc")
	if err := os.WriteFile(netrc, []byte("machine "+host+" login "+user+" password "+password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "image.tar")
	r := run(t, dir, nil, "docker", "buildx", "build", "--builder", builder, "--progress=plain", "-f", filepath.Join(dir, "distill.yaml"),
		"--platform", "linux/amd64", "--no-cache", "--provenance=mode=max", "--add-host", "example.com=127.0.0.1", "--secret", "id=ca-bundle,src="+bundle, "--secret", "id=netrc,src="+netrc,
		"-o", "type=oci,dest="+out, dir)
	mustSucceed(t, r)
	if hits.Load() == 0 {
		t.Fatalf("the private proxy was never asked with the credentials (denied %d)", denied.Load())
	}
	img := imagetest.Load(t, out, "linux/amd64")
	checkDistroless(t, img)
	runPrints(t, img, "hello from a private module")
	checkNoSecret(t, out, img, r, password)
}

// checkNoSecret scans every layer file, the image config, every other
// blob of the OCI archive (the provenance, which with mode=max holds the
// build's whole LLB definition) and the build output for a secret value.
func checkNoSecret(t *testing.T, archive string, img *imagetest.Image, r result, secret string) {
	t.Helper()
	for _, e := range img.Entries(t) {
		if bytes.Contains(e.Data, []byte(secret)) {
			t.Errorf("the secret is in %s (layer %d)", e.Header.Name, e.Layer)
		}
	}
	if bytes.Contains(img.RawConfig, []byte(secret)) {
		t.Error("the secret is in the image config")
	}
	llb := false
	for name, data := range imagetest.ArchiveFiles(t, archive) {
		// Layers are compressed: their files were scanned above.
		if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			continue
		}
		llb = llb || bytes.Contains(data, []byte(`"llbDefinition"`))
		if bytes.Contains(data, []byte(secret)) || bytes.Contains(data, []byte(base64.StdEncoding.EncodeToString([]byte(secret)))) {
			t.Errorf("the secret is in %s of the archive", name)
		}
	}
	if !llb {
		t.Error("the archive has no provenance with the LLB definition to scan (build with --provenance=mode=max)")
	}
	if strings.Contains(r.out, secret) {
		t.Error("the secret was printed in the build output")
	}
}

// moduleZip makes a module zip as the module proxy protocol serves it,
// and its go.sum hash.
func moduleZip(t *testing.T, prefix string, files map[string]string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	contents := map[string][]byte{}
	for name, s := range files {
		w, err := zw.Create(prefix + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, s)
		contents[prefix+"/"+name] = []byte(s)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), dirHash(contents)
}

// dirHash is Go's "h1:" hash of a file tree (golang.org/x/mod's
// dirhash.Hash1): the SHA-256 of the sorted "sha256  name" lines.
func dirHash(files map[string][]byte) string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%x  %s\n", sha256.Sum256(files[n]), n)
	}
	return "h1:" + base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// freshDaemon starts a buildkitd of the lab's release with an empty state
// of its own (the lab's mirrors), for tests that need a cache that has
// nothing yet; it is stopped when the test ends. It returns its address.
func freshDaemon(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "distill-fresh-buildkitd-")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "buildkitd.sock")
	cfg := exec.Command("bash", "-c", `source lab/env.sh && source lab/lib.sh && buildkitd_toml "$1" "$2" '"5GB"'`, "bash", filepath.Join(dir, "root"), sock)
	cfg.Dir = repoRoot
	toml, err := cfg.Output()
	if err != nil {
		t.Fatalf("buildkitd configuration: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "buildkitd.toml"), toml, 0o644); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "buildkitd.log"))
	if err != nil {
		t.Fatal(err)
	}
	d := exec.Command("buildkitd", "--config", filepath.Join(dir, "buildkitd.toml"))
	d.Stdout, d.Stderr = logf, logf
	if err := d.Start(); err != nil {
		t.Fatalf("starting buildkitd: %v", err)
	}
	t.Cleanup(func() {
		d.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- d.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			d.Process.Kill()
			<-done
		}
		logf.Close()
		os.RemoveAll(dir)
	})
	addr := "unix://" + sock
	for i := 0; ; i++ {
		if exec.Command("buildctl", "--addr", addr, "debug", "workers").Run() == nil {
			return addr
		}
		if i == 120 {
			b, _ := os.ReadFile(filepath.Join(dir, "buildkitd.log"))
			t.Fatalf("the fresh buildkitd did not start:\n%s", tail(string(b), 20))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// TestCacheExportImport: --cache-to exports the build's cache (local and
// registry, mode=max), and a buildkitd that has never built the app
// imports it with --cache-from: every build step is cached there.
func TestCacheExportImport(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("go-hello"))
	// A source of its own, so the registry's cache is this run's.
	stamp := fmt.Sprintf("// run %d\n", time.Now().UnixNano())
	if err := os.WriteFile(filepath.Join(dir, "stamp.go"), []byte(stamp+"package main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(t.TempDir(), "cache")
	remote := env("DISTILL_REGISTRY", "127.0.0.1:5000") + "/distill-e2e/cache:go-hello"
	_, r := buildx(t, dir, "--platform", "linux/amd64",
		"--cache-to", "type=local,mode=max,dest="+local, "--cache-to", "type=registry,mode=max,ref="+remote)
	mustSucceed(t, r)

	addr := freshDaemon(t)
	for _, from := range []string{"type=local,src=" + local, "type=registry,ref=" + remote} {
		t.Run(strings.Split(from, ",")[0], func(t *testing.T) {
			out, r := buildctlBuildWith(t, "buildctl", addr, dir, "--opt", "platform=linux/amd64", "--import-cache", from)
			mustSucceed(t, r)
			for _, step := range []string{"[go] copy sources", "[go] go build ."} {
				if found, cached := stepStatus(r.out, step); !found || !cached {
					t.Errorf("%s: found %v, cached %v (want it from the imported cache)", step, found, cached)
				}
			}
			checkHello(t, out, "linux/amd64", 20*time.Second)
			// The next import must not find this one's cache.
			mustSucceed(t, run(t, dir, nil, "buildctl", "--addr", addr, "prune", "--all"))
		})
	}
}

// TestGoGitSSH: a private module fetched with git over ssh, the
// client's SSH agent forwarded with --ssh default: GOPRIVATE and the git
// settings that send the module's https URL to the ssh server are
// declared under args:, as a company's are. The key is in no layer, not
// in the config, the provenance or the output.
func TestGoGitSSH(t *testing.T) {
	requireLab(t)
	if _, err := os.Stat("/usr/sbin/sshd"); err != nil {
		t.Fatalf("the lab has no sshd (openssh-server, installed by make lab-up): %v", err)
	}
	tmp, err := os.MkdirTemp("", "distill-ssh-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	sh := func(dir string, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=distill", "GIT_AUTHOR_EMAIL=e2e@distill.invalid", "GIT_COMMITTER_NAME=distill", "GIT_COMMITTER_EMAIL=e2e@distill.invalid",
			"GIT_AUTHOR_DATE=2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2024-01-01T00:00:00Z")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}

	// The module's repository, tagged v1.0.0.
	const mod, version = "git.distill.test/greet.git", "v1.0.0"
	files := map[string]string{"go.mod": "module " + mod + "\n\ngo 1.21\n", "greet.go": "package greet\n\nfunc Hello() string { return \"hello over ssh\" }\n"}
	work := filepath.Join(tmp, "work")
	os.MkdirAll(work, 0o755)
	for f, s := range files {
		if err := os.WriteFile(filepath.Join(work, f), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sh(work, "git", "init", "-q", "-b", "main")
	sh(work, "git", "add", ".")
	sh(work, "git", "commit", "-qm", "greet")
	sh(work, "git", "tag", version)
	repos := filepath.Join(tmp, "srv")
	sh(tmp, "git", "clone", "-q", "--bare", work, filepath.Join(repos, "greet.git"))
	contents := map[string][]byte{}
	for f, s := range files {
		contents[mod+"@"+version+"/"+f] = []byte(s)
	}

	// An sshd on a free port that lets the agent's key in.
	sh(tmp, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(tmp, "hostkey"))
	sh(tmp, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "distill-e2e", "-f", filepath.Join(tmp, "id"))
	pub, err := os.ReadFile(filepath.Join(tmp, "id.pub"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(tmp, "id"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(tmp, "authorized_keys"), pub, 0o600)
	port := freePort(t)
	cfg := fmt.Sprintf("Port %d\nListenAddress 127.0.0.1\nHostKey %s\nAuthorizedKeysFile %s\nStrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nPermitRootLogin prohibit-password\nPidFile %s\n",
		port, filepath.Join(tmp, "hostkey"), filepath.Join(tmp, "authorized_keys"), filepath.Join(tmp, "sshd.pid"))
	os.WriteFile(filepath.Join(tmp, "sshd_config"), []byte(cfg), 0o600)
	os.MkdirAll("/run/sshd", 0o755)
	sshd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", filepath.Join(tmp, "sshd_config"))
	var sshdLog bytes.Buffer
	sshd.Stdout, sshd.Stderr = &sshdLog, &sshdLog
	if err := sshd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sshd.Process.Kill(); sshd.Wait() })

	// The client's agent, holding the key.
	agentSock := filepath.Join(tmp, "agent.sock")
	agent := exec.Command("ssh-agent", "-D", "-a", agentSock)
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agent.Process.Kill(); agent.Wait() })
	for i := 0; i < 40; i++ {
		if _, err := os.Stat(agentSock); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	add := exec.Command("ssh-add", filepath.Join(tmp, "id"))
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+agentSock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v\n%s", err, out)
	}

	dir := t.TempDir()
	for f, s := range map[string]string{
		"distill.yaml": "# syntax=ghcr.io/distill-build/distill:1\nlanguage: go\nargs:\n" +
			"  GOPRIVATE: git.distill.test\n" +
			"  GIT_SSH_COMMAND: ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null\n" +
			"  GIT_CONFIG_COUNT: \"1\"\n" +
			fmt.Sprintf("  GIT_CONFIG_KEY_0: url.ssh://root@127.0.0.1:%d%s/.insteadOf\n", port, repos) +
			"  GIT_CONFIG_VALUE_0: https://git.distill.test/\n",
		"go.mod":  "module example.com/app\n\ngo 1.26\n\nrequire " + mod + " " + version + "\n",
		"go.sum":  fmt.Sprintf("%s %s %s\n%s %s/go.mod %s\n", mod, version, dirHash(contents), mod, version, dirHash(map[string][]byte{"go.mod": []byte(files["go.mod"])})),
		"main.go": "package main\n\nimport (\n\t\"fmt\"\n\n\tgreet \"" + mod + "\"\n)\n\nfunc main() { fmt.Println(greet.Hello()) }\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, r := buildx(t, dir, "--platform", "linux/amd64", "--no-cache", "--provenance=mode=max", "--ssh", "default="+agentSock)
	if r.err != nil {
		t.Logf("sshd:\n%s", tail(sshdLog.String(), 20))
	}
	mustSucceed(t, r)
	if !strings.Contains(sshdLog.String(), "Accepted publickey for root") {
		t.Errorf("the module was not fetched over ssh with the agent's key:\n%s", tail(sshdLog.String(), 20))
	}
	img := imagetest.Load(t, out, "linux/amd64")
	checkDistroless(t, img)
	runPrints(t, img, "hello over ssh")
	keyLines := strings.Split(strings.TrimSpace(string(key)), "\n")
	checkNoSecret(t, out, img, r, keyLines[len(keyLines)/2])
}

// freePort is a TCP port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestNoCacheFilter: --no-cache-filter=runtime re-runs the image's
// assembly on its base and keeps the builder's steps cached.
func TestNoCacheFilter(t *testing.T) {
	requireLab(t)
	dir := example("go-hello")
	_, r := buildx(t, dir, "--platform", "linux/amd64")
	mustSucceed(t, r)
	out, r := buildx(t, dir, "--platform", "linux/amd64", "--no-cache-filter", "runtime")
	mustSucceed(t, r)
	if found, cached := stepStatus(r.out, "[go] go build ."); !found || !cached {
		t.Errorf("go build: found %v, cached %v, want it cached", found, cached)
	}
	if found, cached := stepStatus(r.out, "[distill] add app to"); !found || cached {
		t.Errorf("the image's assembly: found %v, cached %v, want it run again", found, cached)
	}
	checkHello(t, out, "linux/amd64", 20*time.Second)
}

// TestInit: distill init writes a manifest for an example whose own is
// set aside; built through buildx, its image does the example's job (the
// Go server answers, FastAPI under uvicorn answers, psycopg2 built from
// source prints libpq's version, a pnpm workspace's member answers with
// its shared package), and init refuses to replace the manifest it wrote.
func TestInit(t *testing.T) {
	requireLab(t)
	t.Parallel() // see parallelTests
	for _, tc := range []struct {
		example, app, want string
		port               int
	}{
		{"go-hello", ".", "Hello, Distroless", 8080},
		{"python-fastapi", ".", `"message":"Hello, World!"`, 8000},
		// psycopg2 from source: init finds the build packages it needs.
		{"python-sdist", ".", "libpq ", 0},
		// A member of a pnpm workspace, init run at the repository's root:
		// the manifest says to build from there, and that build answers
		// with the shared package.
		{"node-pnpm-monorepo", "apps/api", "hello, init (from @mono/shared", 8080},
	} {
		t.Run(tc.example, func(t *testing.T) {
			dir := copyDir(t, example(tc.example))
			mf := filepath.Join(tc.app, "distill.yaml")
			if err := os.Remove(filepath.Join(dir, mf)); err != nil {
				t.Fatal(err)
			}
			r := run(t, dir, nil, distillCLI(t), "init", tc.app)
			mustSucceed(t, r)
			if want := "docker buildx build -f " + mf + " .\n"; !strings.HasSuffix(r.out, want) {
				t.Errorf("init says %q, want the build command %q", r.out, want)
			}
			if r := run(t, dir, nil, distillCLI(t), "init", tc.app); r.err == nil || !strings.Contains(r.out, "never replaces a manifest") {
				t.Errorf("a second init: %v\n%s", r.err, r.out)
			}
			out, r := buildxFile(t, dir, mf, "--platform", "linux/amd64")
			mustSucceed(t, r)
			img := imagetest.Load(t, out, "linux/amd64")
			checkDistroless(t, img)
			if tc.port == 0 {
				runPrints(t, img, tc.want)
			} else if body := img.Run(t, imagetest.RunOpts{}).HTTPGet(t, tc.port, "/?who=init", 60*time.Second); !strings.Contains(body, tc.want) {
				t.Errorf("GET / = %q, want %q", body, tc.want)
			}
		})
	}
}

// TestEveryError: a manifest with three mistakes (a provider's, the
// resolver's, the parser's) fails the build with all three, each a
// source snippet of its own line in file order, --call=check reports the
// three and --call=targets the parser's; a garbage package-lock.json fails
// before any step runs, naming the file and how to regenerate it.
func TestEveryError(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("node-express"))
	writeManifest(t, dir, "language: node\nversion: \"17\"\nuser: www-data\nexpose: [99999]\n")
	_, r := buildx(t, dir, "--platform", "linux/amd64")
	if r.err == nil {
		t.Fatal("the build succeeded")
	}
	var at []int
	for _, w := range []string{">>> version: \"17\"", ">>> user: www-data", ">>> expose: [99999]"} {
		i := strings.Index(r.out, w)
		if i < 0 {
			t.Errorf("no snippet marks %q:\n%s", w, tail(r.out, 60))
		}
		at = append(at, i)
	}
	if !slices.IsSorted(at) {
		t.Errorf("the snippets are not in file order (%v):\n%s", at, tail(r.out, 60))
	}
	for _, w := range []string{"Node.js 17 has no distroless runtime", `unknown user "www-data"`, `invalid port "99999"`} {
		if !strings.Contains(r.out, w) {
			t.Errorf("output lacks %q:\n%s", w, tail(r.out, 60))
		}
	}
	r = call(t, dir, "check")
	if r.err == nil || !strings.Contains(r.out, "Node.js 17") || !strings.Contains(r.out, "www-data") || !strings.Contains(r.out, "99999") {
		t.Errorf("--call=check: err %v\n%s", r.err, tail(r.out, 40))
	}
	// targets plans nothing: the manifest's own mistake is enough to fail.
	if r := call(t, dir, "targets"); r.err == nil || !strings.Contains(r.out, `invalid port "99999"`) {
		t.Errorf("--call=targets: err %v\n%s", r.err, tail(r.out, 40))
	}

	dir = copyDir(t, example("node-express"))
	if err := os.WriteFile(filepath.Join(dir, "package-lock.json"), []byte("{\n  \"name\": \"x\",,\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, r = buildx(t, dir, "--platform", "linux/amd64")
	if r.err == nil || !strings.Contains(r.out, "package-lock.json: not valid JSON at line 2") || !strings.Contains(r.out, "npm install") || strings.Contains(r.out, "[node] npm ci") {
		t.Errorf("garbage package-lock.json: err %v\n%s", r.err, tail(r.out, 30))
	}
}
