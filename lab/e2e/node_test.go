package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distill-build/distill/lab/e2e/imagetest"
)

// nodeTools are what must never reach a Node image: package managers,
// their global installs, headers and node-gyp's toolchain.
var nodeTools = []string{"/usr/local/bin/node", "/usr/local/bin/npm", "/usr/local/bin/npx", "/usr/local/bin/corepack", "/usr/local/bin/yarn",
	"/usr/local/lib/node_modules", "/usr/local/include/node", "/opt/yarn-v1.22.22", "/usr/bin/python3", "/usr/bin/make", "/usr/bin/g++", "/usr/bin/cc",
	"/usr/include/stdio.h", "/root/.npm", "/root/.cache"}

// checkNode asserts what every Node.js image promises on top of
// checkDistroless: the runtime's node runs the app, no package manager or
// toolchain, none of the example's dev dependencies, and node_modules
// without the files distill prunes.
func checkNode(t *testing.T, img *imagetest.Image, example string) string {
	t.Helper()
	rootfs := checkDistroless(t, img)
	for _, p := range nodeTools {
		if imagetest.Exists(rootfs, p) {
			t.Errorf("%s is in the image", p)
		}
	}
	if ep := img.Config.Config.Entrypoint; len(ep) == 0 || ep[0] != "/nodejs/bin/node" {
		t.Errorf("entrypoint = %q, want the runtime's /nodejs/bin/node first", ep)
	}
	if !imagetest.Exists(rootfs, "/nodejs/bin/node") {
		t.Error("/nodejs/bin/node is not in the image (not on distroless nodejs?)")
	}
	if !slices.Contains(img.Config.Config.Env, "NODE_ENV=production") {
		t.Errorf("env = %q, want NODE_ENV=production", img.Config.Config.Env)
	}
	var pkg struct {
		DevDependencies map[string]string `json:"devDependencies"`
	}
	data, err := os.ReadFile(filepath.Join(example, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &pkg); err != nil {
		t.Fatal(err)
	}
	for dev := range pkg.DevDependencies {
		if imagetest.Exists(rootfs, "/app/node_modules/"+dev) {
			t.Errorf("dev dependency %s is in the image", dev)
		}
	}
	pruned := regexp.MustCompile(`^app/node_modules/(.*(\.md|\.d\.ts|\.js\.map|\.ts)|([^@./][^/]*|@[^/]+/[^/]+)/tests?/.*)$`)
	tool := regexp.MustCompile(`(^|/)node_modules/(npm|corepack|pnpm|yarn|node-gyp)/package\.json$`)
	for _, e := range img.Entries(t) {
		name := strings.TrimPrefix(e.Header.Name, "./")
		base := filepath.Base(name)
		if pruned.MatchString(name) && !strings.HasPrefix(strings.ToLower(base), "licen") {
			t.Errorf("%s (layer %d) is in the image: distill prunes it", name, e.Layer)
		}
		if tool.MatchString(name) {
			t.Errorf("package manager %s (layer %d) is in the image", name, e.Layer)
		}
	}
	return rootfs
}

func buildNode(t *testing.T, name string, extra ...string) *imagetest.Image {
	t.Helper()
	out, r := buildx(t, example(name), append([]string{"--platform", "linux/amd64"}, extra...)...)
	mustSucceed(t, r)
	return imagetest.Load(t, out, "linux/amd64")
}

func TestNodeExpress(t *testing.T) {
	requireLab(t)
	img := buildNode(t, "node-express")
	checkNode(t, img, example("node-express"))
	if got := strings.Join(img.Config.Config.Entrypoint, " "); got != "/nodejs/bin/node server.js" {
		t.Errorf("entrypoint = %q", got)
	}
	c := img.Run(t, imagetest.RunOpts{})
	if body := c.HTTPGet(t, 3000, "/", 30*time.Second); !strings.Contains(body, `"message":"Hello from Express"`) {
		t.Errorf("GET / = %q", body)
	}
	if body := c.HTTPGet(t, 3000, "/healthz", 10*time.Second); !strings.Contains(body, `"status":"ok"`) {
		t.Errorf("GET /healthz = %q", body)
	}
	if uid := c.ProcessUID(t); uid != 65532 {
		t.Errorf("process uid = %d", uid)
	}
}

func TestNodeExpressArm64(t *testing.T) {
	requireLab(t)
	// Express is JavaScript only: installed for arm64 from the build
	// platform, nothing emulated.
	img := buildArm64Cross(t, "node-express", "npm ci --omit=dev (production dependencies) (for linux/arm64, from linux/amd64)")
	checkNode(t, img, example("node-express"))
	c := img.Run(t, imagetest.RunOpts{})
	if body := c.HTTPGet(t, 3000, "/", 90*time.Second); !strings.Contains(body, `"message":"Hello from Express"`) {
		t.Errorf("GET / (arm64 under qemu) = %q", body)
	}
}

// TestNodeTypeScript: the build step compiles with the dev dependencies,
// which the image does not get, nor the TypeScript sources and maps.
func TestNodeTypeScript(t *testing.T) {
	requireLab(t)
	img := buildNode(t, "node-typescript")
	rootfs := checkNode(t, img, example("node-typescript"))
	if !imagetest.Exists(rootfs, "/app/dist/server.js") || !imagetest.Exists(rootfs, "/app/node_modules/ms") {
		t.Error("the build output or the runtime dependency is missing")
	}
	for _, e := range img.Entries(t) {
		name := strings.TrimPrefix(e.Header.Name, "./")
		if strings.HasPrefix(name, "app/") && regexp.MustCompile(`\.(ts|map)$`).MatchString(name) {
			t.Errorf("%s is in the image", name)
		}
	}
	c := img.Run(t, imagetest.RunOpts{})
	if body := c.HTTPGet(t, 8080, "/", 30*time.Second); !strings.Contains(body, "hello from typescript: 2h is 7200000 ms") {
		t.Errorf("GET / = %q", body)
	}
}

func TestNodePackageManagers(t *testing.T) {
	requireLab(t)
	for _, tc := range []struct{ example, step, want string }{
		{"node-yarn", "yarn workspaces focus --all --production", "yarn app: "},
		{"node-yarn-classic", "[node] yarn install --frozen-lockfile --production", "yarn classic app: "},
		{"node-pnpm", "pnpm install --frozen-lockfile --prod", "pnpm app: "},
	} {
		t.Run(tc.example, func(t *testing.T) {
			out, r := buildx(t, example(tc.example), "--platform", "linux/amd64")
			mustSucceed(t, r)
			if found, _ := stepStatus(r.out, tc.step); !found {
				t.Errorf("no step %q:\n%s", tc.step, tail(r.out, 40))
			}
			img := imagetest.Load(t, out, "linux/amd64")
			checkNode(t, img, example(tc.example))
			runPrints(t, img, tc.want)
		})
	}
}

// TestNodeNativeAddon: libpq's addon is compiled from source by node-gyp in
// the builder; the image gets the addon and the system libraries it links
// (libpq5 and what it needs), recorded for scanners, and no toolchain. For
// arm64 only that install and the libraries' closure run in the target's
// builder (the addon is compiled for the target); the rest of the build
// stays native, and the image runs under qemu.
func TestNodeNativeAddon(t *testing.T) {
	requireLab(t)
	t.Parallel() // see parallelTests
	for _, tc := range []struct{ platform, triplet string }{
		{"linux/amd64", "x86_64-linux-gnu"},
		{"linux/arm64", "aarch64-linux-gnu"},
	} {
		t.Run(tc.platform, func(t *testing.T) {
			out, r := buildx(t, example("node-native"), "--platform", tc.platform)
			mustSucceed(t, r)
			if tc.platform == "linux/arm64" {
				// The install, and the closure of the libraries it linked
				// (the target builder's libpq5), in the target's builder;
				// the sources' copy stays native. No step checks the
				// entrypoint: the plan saw main.js in the build context.
				checkEmulatedOnly(t, r.out, []string{
					"[node] npm ci --omit=dev (production dependencies) (emulated: linux/arm64: install scripts must run for it: libpq)",
					"[node] apt-get install python3 make g++ libpq-dev (node-gyp for libpq) (emulated: linux/arm64: install scripts must run for it: libpq)",
					"[node] carry the shared libraries native addons need (emulated: linux/arm64: install scripts must run for it: libpq)",
				})
				if found, _ := stepStatus(r.out, "[node] check that the entrypoint's main.js is in the image"); found {
					t.Errorf("an entrypoint check for a file the build context has:\n%s", tail(r.out, 40))
				}
			}
			img := imagetest.Load(t, out, tc.platform)
			rootfs := checkNode(t, img, example("node-native"))
			for _, p := range []string{"/usr/lib/" + tc.triplet + "/libpq.so.5", "/var/lib/dpkg/status.d/libpq5"} {
				if !imagetest.Exists(rootfs, p) {
					t.Errorf("%s is not in the image", p)
				}
			}
			for _, p := range []string{"/usr/bin/pg_config", "/usr/include/postgresql", "/usr/lib/" + tc.triplet + "/libpq.a"} {
				if imagetest.Exists(rootfs, p) {
					t.Errorf("%s is in the image", p)
				}
			}
			addon := false
			for _, e := range img.Entries(t) {
				if strings.HasSuffix(e.Header.Name, ".node") && strings.Contains(e.Header.Name, "node_modules/libpq/") {
					addon = true
				}
			}
			if !addon {
				t.Error("the compiled addon (node_modules/libpq/**/*.node) is not in the image")
			}
			runPrints(t, img, "native addon loaded")
		})
	}
}

// TestNodeErrors: mistakes are reported with the manifest line before
// anything is built, or by the step that finds them.
func TestNodeErrors(t *testing.T) {
	requireLab(t)
	checkBuildErrors(t, "node-express", []buildError{
		{"major mismatch", "language: node\nversion: \"22\"\nbuilder: node:24-trixie-slim\nentrypoint: [node, server.js]\n",
			[]string{"distill.yaml:4:10: builder node:24-trixie-slim has Node.js 24, but the runtime is Node.js 22", ">>> builder: node:24-trixie-slim"}},
		{"missing entrypoint file", "language: node\nentrypoint: [node, serve.js]\n",
			[]string{"the entrypoint runs serve.js, which the image would not have"}},
	})
}

// TestNodePrivateRegistry installs a package from a registry that needs a
// token, given only as the npmrc build secret: the token is in no layer,
// not in the config, not in the build output.
func TestNodePrivateRegistry(t *testing.T) {
	requireLab(t)
	const token = "npm_distill_s3cr3t_4711"
	tgz := npmTarball(t, map[string]string{
		"package/package.json": `{"name":"@distill/private-demo","version":"1.0.0","main":"index.js"}`,
		"package/index.js":     "module.exports = () => 'hello from a private registry';\n",
	})
	sum := sha512.Sum512(tgz)
	integrity := "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
	var tarURL string
	registry := startPrivate(t, func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer "+token },
		func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/@distill/private-demo/-/private-demo-1.0.0.tgz":
				w.Write(tgz)
			case "/@distill%2fprivate-demo", "/@distill/private-demo":
				fmt.Fprintf(w, `{"name":"@distill/private-demo","dist-tags":{"latest":"1.0.0"},"versions":{"1.0.0":{"name":"@distill/private-demo","version":"1.0.0","dist":{"tarball":%q,"integrity":%q}}}}`, tarURL, integrity)
			default:
				http.NotFound(w, r)
			}
		})
	base := registry.URL
	tarURL = base + "/@distill/private-demo/-/private-demo-1.0.0.tgz"

	lock := fmt.Sprintf(`{
  "name": "private-app",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {"name": "private-app", "version": "1.0.0", "dependencies": {"@distill/private-demo": "1.0.0"}},
    "node_modules/@distill/private-demo": {"version": "1.0.0", "resolved": %q, "integrity": %q}
  }
}
`, tarURL, integrity)
	dir := t.TempDir()
	files := map[string]string{
		"distill.yaml":      "# syntax=ghcr.io/distill-build/distill:1\nlanguage: node\nentrypoint: [node, main.js]\n",
		"package.json":      `{"name":"private-app","version":"1.0.0","dependencies":{"@distill/private-demo":"1.0.0"}}` + "\n",
		"package-lock.json": lock,
		"main.js":           "console.log(require('@distill/private-demo')());\n",
	}
	for f, s := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	secret := filepath.Join(t.TempDir(), "npmrc")
	host := strings.TrimPrefix(base, "http:")
	if err := os.WriteFile(secret, []byte("@distill:registry="+base+"/\n"+host+"/:_authToken="+token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, r := buildx(t, dir, "--platform", "linux/amd64", "--no-cache", "--provenance=mode=max", "--secret", "id=npmrc,src="+secret)
	mustSucceed(t, r)
	registry.mustHaveBeenAsked(t)
	img := imagetest.Load(t, out, "linux/amd64")
	checkNode(t, img, dir)
	runPrints(t, img, "hello from a private registry")
	checkNoSecret(t, out, img, r, token)
}

// npmTarball makes a package tarball as npm pack does (gzip'd tar with a
// package/ prefix).
func npmTarball(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		body := files[n]
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg, ModTime: time.Unix(499162500, 0)}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// nodePackageCount counts npm packages as SBOM tools do: every
// node_modules/<name>/package.json (scoped names included).
func nodePackageCount(t *testing.T, img *imagetest.Image) int {
	t.Helper()
	re := regexp.MustCompile(`(^|/)node_modules/(@[^/]+/)?[^/@.][^/]*/package\.json$`)
	seen := map[string]bool{}
	for _, e := range img.Entries(t) {
		name := strings.TrimPrefix(e.Header.Name, "./")
		if re.MatchString(name) && !seen[name] {
			seen[name] = true
		}
	}
	return len(seen)
}

// TestNodeAgainstSeed builds the hand-written distroless Dockerfile for the
// Express app next to distill, in the same lab: distill's image must be no
// larger and hold no more packages, and both must answer.
func TestNodeAgainstSeed(t *testing.T) {
	requireLab(t)
	dir := example("node-express")
	ours, r := buildx(t, dir, "--platform", "linux/amd64")
	mustSucceed(t, r)
	seedOut := filepath.Join(t.TempDir(), "seed.tar")
	seed := run(t, dir, nil, "docker", "buildx", "build", "--builder", builder, "--progress=plain",
		"--platform", "linux/amd64", "-f", filepath.Join(dir, "Dockerfile.seed"),
		"--secret", "id=ca-bundle,src="+caBundle, "-o", "type=oci,dest="+seedOut, dir)
	mustSucceed(t, seed)
	a, b := imagetest.Load(t, ours, "linux/amd64"), imagetest.Load(t, seedOut, "linux/amd64")
	ad, _ := packageCount(t, a)
	bd, _ := packageCount(t, b)
	an, bn := nodePackageCount(t, a), nodePackageCount(t, b)
	t.Logf("node-express: distill %d bytes, %d Debian + %d npm packages; hand-written Dockerfile %d bytes, %d Debian + %d npm packages (size ratio %.3f)",
		a.Size, ad, an, b.Size, bd, bn, float64(a.Size)/float64(b.Size))
	if a.Size > b.Size {
		t.Errorf("distill's image (%d bytes) is larger than the hand-written one (%d bytes)", a.Size, b.Size)
	}
	if ad+an > bd+bn {
		t.Errorf("distill's image has more packages (%d) than the hand-written one (%d)", ad+an, bd+bn)
	}
	c := b.Run(t, imagetest.RunOpts{})
	if body := c.HTTPGet(t, 3000, "/", 30*time.Second); !strings.Contains(body, "Hello from Express") {
		t.Errorf("the hand-written image does not answer: %q", body)
	}
}

// TestNodeSourceOnlyChange: editing the app reuses the installed
// dependencies and serves the new code.
func TestNodeSourceOnlyChange(t *testing.T) {
	requireLab(t)
	checkSourceOnlyChange(t, sourceChange{example: "node-express", file: "server.js", text: "Hello from Express",
		install: "[node] npm ci --omit=dev", port: 3000})
}

// TestNodeVersion22: `version: "22"` builds on node:22-trixie-slim and runs
// on distroless nodejs22, whose node is a 22.x release.
func TestNodeVersion22(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("node-express"))
	manifest := "# syntax=ghcr.io/distill-build/distill:1\nlanguage: node\nversion: \"22\"\nentrypoint: [node, server.js]\nexpose: [3000]\n"
	if err := os.WriteFile(filepath.Join(dir, "distill.yaml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	out, r := buildx(t, dir, "--platform", "linux/amd64")
	mustSucceed(t, r)
	img := imagetest.Load(t, out, "linux/amd64")
	checkNode(t, img, dir)
	if base := img.Config.Config.Labels["org.opencontainers.image.base.name"]; base != "gcr.io/distroless/nodejs22-debian13:nonroot" {
		t.Errorf("base = %q", base)
	}
	stdout, stderr, code := img.RunToCompletion(t, imagetest.RunOpts{Args: []string{"/nodejs/bin/node", "-p", "process.version"}}, 60*time.Second)
	if code != 0 || !strings.HasPrefix(strings.TrimSpace(stdout), "v22.") {
		t.Errorf("node version: exit %d, %q %q", code, stdout, stderr)
	}
	c := img.Run(t, imagetest.RunOpts{})
	if body := c.HTTPGet(t, 3000, "/", 30*time.Second); !strings.Contains(body, "Hello from Express") {
		t.Errorf("GET / = %q", body)
	}
}

// TestNodePnpmMonorepo builds both apps of a pnpm workspace from its root,
// each with the manifest in its own directory: the shared TypeScript
// package is built first with its dev dependencies, which stay out of the
// images; the images run in the member's directory; an edit to the
// worker re-runs no step of the API's build, and one to the shared
// package rebuilds it and changes its answer.
func TestNodePnpmMonorepo(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("node-pnpm-monorepo"))
	api, r := buildxFile(t, dir, "apps/api/distill.yaml", "--platform", "linux/amd64")
	mustSucceed(t, r)
	img := imagetest.Load(t, api, "linux/amd64")
	rootfs := checkNode(t, img, filepath.Join(dir, "apps", "api"))
	if wd := img.Config.Config.WorkingDir; wd != "/app/apps/api" {
		t.Errorf("working directory %q, want /app/apps/api", wd)
	}
	for _, p := range []string{"/app/packages/shared/dist/index.js", "/app/apps/api/node_modules/@mono/shared", "/app/apps/api/server.js"} {
		if !imagetest.Exists(rootfs, p) {
			t.Errorf("%s is not in the image", p)
		}
	}
	for _, p := range []string{"/app/apps/worker", "/app/packages/shared/src/index.ts", "/app/node_modules/.pnpm/typescript@5.9.3", "/app/apps/api/distill.yaml"} {
		if imagetest.Exists(rootfs, p) {
			t.Errorf("%s is in the image", p)
		}
	}
	if body := img.Run(t, imagetest.RunOpts{}).HTTPGet(t, 8080, "/?who=monorepo", 30*time.Second); !strings.HasPrefix(body, "hello, monorepo (from @mono/shared") {
		t.Errorf("GET / = %q", body)
	}
	worker, r := buildxFile(t, dir, "apps/worker/distill.yaml", "--platform", "linux/amd64")
	mustSucceed(t, r)
	runPrints(t, imagetest.Load(t, worker, "linux/amd64"), "worker done")

	editFile(t, dir, "apps/worker/worker.js", "worker done", "worker finished")
	_, again := buildxFile(t, dir, "apps/api/distill.yaml", "--platform", "linux/amd64")
	mustSucceed(t, again)
	if ran := stepsRun(again.out); len(ran) > 0 {
		t.Errorf("an edit to the worker re-ran %q of the API's build:\n%s", ran, tail(again.out, 60))
	}
	// A greeting no earlier run built: the rebuild cannot come from the cache.
	hi := fmt.Sprintf("hi-%d", time.Now().UnixNano())
	editFile(t, dir, "packages/shared/src/index.ts", "hello, ${who}", hi+", ${who}")
	api, r = buildxFile(t, dir, "apps/api/distill.yaml", "--platform", "linux/amd64")
	mustSucceed(t, r)
	if ran := strings.Join(stepsRun(r.out), "\n"); !strings.Contains(ran, "pnpm run build (@mono/shared)") {
		t.Errorf("an edit to the shared package did not rebuild it: ran %q", ran)
	}
	if body := imagetest.Load(t, api, "linux/amd64").Run(t, imagetest.RunOpts{}).HTTPGet(t, 8080, "/", 30*time.Second); !strings.HasPrefix(body, hi+", api") {
		t.Errorf("after the shared package's edit, GET / = %q", body)
	}
	rootManifestFails(t, dir, "node", []string{"the manifest is at the root of a workspace (pnpm-workspace.yaml, 3 packages: apps/api, apps/worker, packages/shared)", "distill.yaml:2", "-f apps/api/distill.yaml"})
}

// TestNodeNpmWorkspace builds the web app of an npm workspace from its
// root: npm installs it and the library it uses (linked from the root
// node_modules), the image runs, and the workspace's other app is neither
// in the image nor able to re-run a step of its build.
func TestNodeNpmWorkspace(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("node-npm-workspace"))
	out, r := buildxFile(t, dir, "packages/web/distill.yaml", "--platform", "linux/amd64")
	mustSucceed(t, r)
	img := imagetest.Load(t, out, "linux/amd64")
	rootfs := checkNode(t, img, filepath.Join(dir, "packages", "web"))
	for _, p := range []string{"/app/packages/admin", "/app/node_modules/is-number", "/app/node_modules/is-odd"} {
		if imagetest.Exists(rootfs, p) {
			t.Errorf("%s is in the image", p)
		}
	}
	if body := img.Run(t, imagetest.RunOpts{}).HTTPGet(t, 8080, "/?who=npm", 30*time.Second); !strings.HasPrefix(body, "web up ") || !strings.Contains(body, "for npm") {
		t.Errorf("GET / = %q", body)
	}
	if err := os.WriteFile(filepath.Join(dir, "packages", "admin", "index.js"), []byte("console.log('changed')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, again := buildxFile(t, dir, "packages/web/distill.yaml", "--platform", "linux/amd64")
	mustSucceed(t, again)
	if ran := stepsRun(again.out); len(ran) > 0 {
		t.Errorf("an edit to the admin app re-ran %q of the web app's build:\n%s", ran, tail(again.out, 60))
	}
}

// TestNodeYarnWorkspace builds the web app of a Yarn 4 workspace from its
// root: yarn workspaces focus installs it and the library it uses, the
// image runs, and the workspace's other app is not in it.
func TestNodeYarnWorkspace(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("node-yarn-workspace"))
	out, r := buildxFile(t, dir, "apps/web/distill.yaml", "--platform", "linux/amd64")
	mustSucceed(t, r)
	img := imagetest.Load(t, out, "linux/amd64")
	rootfs := checkNode(t, img, filepath.Join(dir, "apps", "web"))
	for _, p := range []string{"/app/apps/other", "/app/node_modules/is-number", "/app/node_modules/is-even", "/app/.yarn"} {
		if imagetest.Exists(rootfs, p) {
			t.Errorf("%s is in the image", p)
		}
	}
	if body := img.Run(t, imagetest.RunOpts{}).HTTPGet(t, 8080, "/?who=yarn", 30*time.Second); !strings.HasPrefix(body, "hello, yarn from a Yarn workspace") {
		t.Errorf("GET / = %q", body)
	}
}

// TestNodeNoDependencies: an app whose package.json has no dependencies
// (no lock, no node_modules from the package manager) builds, and runs.
func TestNodeNoDependencies(t *testing.T) {
	requireLab(t)
	dir := t.TempDir()
	for f, c := range map[string]string{
		"package.json": `{"name": "nodeps", "version": "1.0.0", "main": "index.js"}`,
		"index.js":     `console.log("no dependencies, still runs");`,
		"distill.yaml": "# syntax=ghcr.io/distill-build/distill:1\nlanguage: node\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, r := buildx(t, dir, "--platform", "linux/amd64")
	mustSucceed(t, r)
	runPrints(t, imagetest.Load(t, out, "linux/amd64"), "no dependencies, still runs")
}
