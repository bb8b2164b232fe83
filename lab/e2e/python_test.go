package e2e

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
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

// checkPython asserts what every Python image promises on top of
// checkDistroless: no installer (pip, setuptools, wheel) anywhere, no
// compiler, no headers, no build-only packages, and an environment whose
// interpreter is the runtime's.
func checkPython(t *testing.T, img *imagetest.Image) string {
	t.Helper()
	rootfs := checkDistroless(t, img)
	for _, p := range []string{"/usr/local/bin/pip", "/usr/local/bin/pip3", "/usr/bin/pip", "/usr/local/include", "/usr/include/python3.13", "/usr/include/python3.12", "/usr/include/stdio.h", "/usr/bin/cc", "/usr/bin/x86_64-linux-gnu-gcc", "/app/.venv/bin/activate", "/opt/distill", "/tmp/distill"} {
		if imagetest.Exists(rootfs, p) {
			t.Errorf("%s is in the image", p)
		}
	}
	installer := regexp.MustCompile(`(^|/)(site|dist)-packages/(pip|setuptools|wheel|_distutils_hack)(-[^/]*\.dist-info)?/`)
	for _, e := range img.Entries(t) {
		if installer.MatchString(e.Header.Name) {
			t.Errorf("installer file %s (layer %d) is in the image", e.Header.Name, e.Layer)
			break
		}
	}
	if !imagetest.Exists(rootfs, "/app/.venv/bin/python") {
		t.Errorf("/app/.venv/bin/python does not resolve to an interpreter in the image")
	}
	return rootfs
}

// importAll imports every top-level module of every installed
// distribution inside the image, so a pruned or missing file fails here
// rather than in production.
const importAll = `
import importlib, importlib.metadata as md, sys
bad = []
n = 0
for d in md.distributions():
    tops = (d.read_text("top_level.txt") or "").split()
    if not tops:
        tops = sorted({f.parts[0].removesuffix(".py") for f in (d.files or [])
                       if f.parts and not f.parts[0].endswith((".dist-info", ".data", ".pth", ".libs")) and f.parts[0] != ".." and (f.suffix == ".py" or len(f.parts) > 1)})
    for top in tops:
        if top.startswith("_") and top not in ("_cffi_backend",):
            continue
        n += 1
        try:
            importlib.import_module(top)
        except Exception as e:
            bad.append(f"{d.metadata['Name']}: {top}: {e!r}")
print(f"imported {n} top-level modules")
if bad:
    print("\n".join(bad))
    sys.exit(1)
`

func checkImports(t *testing.T, img *imagetest.Image) {
	t.Helper()
	out, errOut, code := img.RunToCompletion(t, imagetest.RunOpts{Args: []string{"/app/.venv/bin/python", "-c", importAll}}, 120*time.Second)
	t.Logf("import check: %s", strings.TrimSpace(out))
	if code != 0 {
		t.Errorf("importing the installed packages failed (%d):\n%s\n%s", code, out, errOut)
	}
}

func runPrints(t *testing.T, img *imagetest.Image, want string) string {
	t.Helper()
	out, errOut, code := img.RunToCompletion(t, imagetest.RunOpts{}, 120*time.Second)
	if code != 0 || !strings.Contains(out, want) {
		t.Errorf("run: exit %d, stdout %q, stderr %q; want %q", code, out, errOut, want)
	}
	return out
}

func buildPython(t *testing.T, name string, extra ...string) *imagetest.Image {
	t.Helper()
	args := append([]string{"--platform", "linux/amd64"}, extra...)
	out, r := buildx(t, example(name), args...)
	mustSucceed(t, r)
	return imagetest.Load(t, out, "linux/amd64")
}

func TestPythonFastAPI(t *testing.T) {
	requireLab(t)
	img := buildPython(t, "python-fastapi")
	rootfs := checkPython(t, img)
	if got := img.Config.Config.Entrypoint; strings.Join(got, " ") != "/app/.venv/bin/uvicorn main:app --host 0.0.0.0 --port 8000" {
		t.Errorf("entrypoint = %q", got)
	}
	if !imagetest.Exists(rootfs, "/usr/bin/python3.13") {
		t.Error("not on distroless python3-debian13: /usr/bin/python3.13 missing")
	}
	c := img.Run(t, imagetest.RunOpts{})
	if body := c.HTTPGet(t, 8000, "/", 30*time.Second); !strings.Contains(body, `"message":"Hello, World!"`) {
		t.Errorf("GET / = %q", body)
	}
	if uid := c.ProcessUID(t); uid != 65532 {
		t.Errorf("process uid = %d", uid)
	}
	checkImports(t, img)
}

func TestPythonFastAPIArm64(t *testing.T) {
	requireLab(t)
	t.Parallel() // see parallelTests
	// Every dependency has an aarch64 wheel: installed from the build
	// platform, nothing emulated.
	img := buildArm64Cross(t, "python-fastapi", "[python] pip install -r requirements.txt (for linux/arm64, from linux/amd64)")
	checkPython(t, img)
	c := img.Run(t, imagetest.RunOpts{})
	if body := c.HTTPGet(t, 8000, "/", 90*time.Second); !strings.Contains(body, `"message":"Hello, World!"`) {
		t.Errorf("GET / (arm64 under qemu) = %q", body)
	}
}

func TestPythonEmoji(t *testing.T) {
	requireLab(t)
	img := buildPython(t, "python-emoji")
	checkPython(t, img)
	runPrints(t, img, "Distroless is \U0001F619\U0001F44C")
}

func TestPythonFlaskGunicorn(t *testing.T) {
	requireLab(t)
	img := buildPython(t, "python-flask")
	checkPython(t, img)
	c := img.Run(t, imagetest.RunOpts{})
	if body := c.HTTPGet(t, 8000, "/", 30*time.Second); !strings.Contains(body, "Hello from Flask under gunicorn") {
		t.Errorf("GET / = %q", body)
	}
}

func TestPythonNumpyPandas(t *testing.T) {
	requireLab(t)
	t.Parallel() // see parallelTests
	img := buildPython(t, "python-numpy")
	checkPython(t, img)
	runPrints(t, img, "result:")
	checkImports(t, img)
}

// TestPythonLockTools builds one app per lock format; each prints its
// line, and no development dependency reaches the image.
func TestPythonLockTools(t *testing.T) {
	requireLab(t)
	t.Parallel() // see parallelTests
	for _, tc := range []struct{ example, line string }{
		{"python-poetry", "poetry:"},
		{"python-pipenv", "pipenv:"},
		{"python-uv", "uv:"},
		{"python-package", "package:"},
	} {
		t.Run(tc.example, func(t *testing.T) {
			img := buildPython(t, tc.example)
			checkPython(t, img)
			runPrints(t, img, tc.line)
			for _, e := range img.Entries(t) {
				if strings.Contains(e.Header.Name, "site-packages/pytest/") || strings.Contains(e.Header.Name, "site-packages/_pytest/") {
					t.Errorf("development dependency %s is in the image", e.Header.Name)
					break
				}
			}
		})
	}
}

// TestPythonEmulatedInstalls: a project pip builds from source (no lock),
// for arm64: only the steps that install packages run in the target's
// builder, under emulation, with their reason; the environment, bytecode
// and libraries' steps run natively, and the image runs under qemu.
// (Poetry and uv packages take the same path with their tool installed in
// that builder first, unit-tested in the plans: installing Poetry under
// qemu costs minutes of CI.)
func TestPythonEmulatedInstalls(t *testing.T) {
	requireLab(t)
	t.Parallel() // see parallelTests
	for _, tc := range []struct {
		example, line string
		emulated      []string
	}{
		{"python-package", "package:", []string{
			"[python] pip install pyproject.toml dependencies (emulated: linux/arm64: the project is built from source for the target)",
			"[python] pip install . (the project) (emulated: linux/arm64: the project is built from source for the target)",
		}},
	} {
		t.Run(tc.example, func(t *testing.T) {
			out, r := buildx(t, example(tc.example), "--platform", "linux/arm64")
			mustSucceed(t, r)
			checkEmulatedOnly(t, r.out, tc.emulated)
			if found, _ := stepStatus(r.out, "compile bytecode of the environment (for linux/arm64, from linux/amd64)"); !found {
				t.Errorf("bytecode not compiled natively:\n%s", tail(r.out, 40))
			}
			img := imagetest.Load(t, out, "linux/arm64")
			checkPython(t, img)
			runPrints(t, img, tc.line)
		})
	}
}

// TestPython312 runs an app on a minor distroless does not publish: the
// builder's interpreter transplanted onto cc-debian13 with its libraries.
func TestPython312(t *testing.T) {
	requireLab(t)
	img := buildPython(t, "python-312")
	rootfs := checkPython(t, img)
	if !strings.HasPrefix(img.Config.Config.Labels["org.opencontainers.image.base.name"], "gcr.io/distroless/cc-debian13") {
		t.Errorf("base = %s, want cc-debian13", img.Config.Config.Labels["org.opencontainers.image.base.name"])
	}
	for _, p := range []string{"/usr/local/bin/python3.12", "/usr/local/lib/libpython3.12.so.1.0", "/usr/local/lib/python3.12/os.py"} {
		if !imagetest.Exists(rootfs, p) {
			t.Errorf("%s missing from the transplanted runtime", p)
		}
	}
	for _, p := range []string{"/usr/local/lib/python3.12/test", "/usr/local/lib/python3.12/ensurepip", "/usr/local/lib/python3.12/site-packages/pip"} {
		if imagetest.Exists(rootfs, p) {
			t.Errorf("%s should not be transplanted", p)
		}
	}
	runPrints(t, img, "python 3.12.")
	// The standard library's extension modules load: their libraries came
	// along.
	out, errOut, code := img.RunToCompletion(t, imagetest.RunOpts{Args: []string{"/app/.venv/bin/python", "-c",
		"import ssl, sqlite3, ctypes, lzma, bz2, zlib, uuid, decimal, hashlib, json; print('stdlib ok', ssl.OPENSSL_VERSION)"}}, 60*time.Second)
	if code != 0 || !strings.Contains(out, "stdlib ok") {
		t.Errorf("stdlib imports: %d %q %q", code, out, errOut)
	}
	checkImports(t, img)
}

// TestPythonSdist compiles a dependency from its sdist against a system
// library named in build-packages; the runtime receives that library
// (and its own dependencies), recorded for scanners, and no compiler.
func TestPythonSdist(t *testing.T) {
	requireLab(t)
	img := buildPython(t, "python-sdist")
	rootfs := checkPython(t, img)
	if !imagetest.Exists(rootfs, "/usr/lib/x86_64-linux-gnu/libpq.so.5") {
		t.Error("libpq.so.5 not carried into the runtime")
	}
	if !imagetest.Exists(rootfs, "/var/lib/dpkg/status.d/libpq5") {
		t.Error("libpq5 not recorded in /var/lib/dpkg/status.d")
	}
	for _, p := range []string{"/usr/bin/gcc", "/usr/bin/pg_config", "/usr/include/postgresql"} {
		if imagetest.Exists(rootfs, p) {
			t.Errorf("build package file %s is in the image", p)
		}
	}
	runPrints(t, img, "libpq ")
}

// TestPythonErrors: mistakes are reported with the manifest line before
// anything is built, or by the step that finds them.
func TestPythonErrors(t *testing.T) {
	requireLab(t)
	checkBuildErrors(t, "python-fastapi", []buildError{
		{"minor mismatch", "language: python\nversion: \"3.12\"\nbuilder: python:3.13-slim-trixie\nentrypoint: [python, main.py]\n",
			[]string{"distill.yaml:4:10: builder python:3.13-slim-trixie has Python 3.13, but the app is built for Python 3.12", ">>> builder: python:3.13-slim-trixie"}},
		{"unknown console script", "language: python\nentrypoint: [uvicorrn, main:app]\n",
			[]string{`entrypoint "uvicorrn": no console script of that name was installed`, "uvicorn"}},
		// A field only other languages read is refused, not ignored.
		{"field of another language", "language: python\ncgo: true\nentrypoint: [uvicorn, main:app]\n",
			[]string{"distill.yaml:3", "cgo: is not read for language python", "languages that read it: go", ">>> cgo: true"}},
	})
}

// TestPythonPrivateIndex installs a package from an index that needs
// credentials, given only as a build secret; the credentials are in no
// layer and not in the image config.
func TestPythonPrivateIndex(t *testing.T) {
	requireLab(t)
	const user, pass = "distill", "s3cr3t-index-token-4711"
	whl, name := privateWheel(t)
	sum := sha256.Sum256(whl)
	index := startPrivate(t, basicAuth(user, pass), func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/simple/", "/simple":
			fmt.Fprintf(w, `<html><body><a href="/simple/distill-private-demo/">distill-private-demo</a></body></html>`)
		case "/simple/distill-private-demo/":
			fmt.Fprintf(w, `<html><body><a href="/files/%s#sha256=%s">%s</a></body></html>`, name, hex.EncodeToString(sum[:]), name)
		case "/files/" + name:
			w.Write(whl)
		default:
			http.NotFound(w, r)
		}
	})

	dir := t.TempDir()
	files := map[string]string{
		"distill.yaml":     "# syntax=ghcr.io/distill-build/distill:1\nlanguage: python\nentrypoint: [python, main.py]\n",
		"requirements.txt": "distill-private-demo==1.0\n",
		"main.py":          "import distill_private_demo\nprint(distill_private_demo.hello())\n",
	}
	for f, s := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	secret := filepath.Join(t.TempDir(), "extra-index-url")
	indexURL := fmt.Sprintf("http://%s:%s@%s/simple/", user, pass, strings.TrimPrefix(index.URL, "http://"))
	if err := os.WriteFile(secret, []byte(indexURL), 0o600); err != nil {
		t.Fatal(err)
	}
	out, r := buildx(t, dir, "--platform", "linux/amd64", "--no-cache", "--provenance=mode=max", "--secret", "id=pip-extra-index-url,src="+secret)
	mustSucceed(t, r)
	index.mustHaveBeenAsked(t)
	img := imagetest.Load(t, out, "linux/amd64")
	checkPython(t, img)
	runPrints(t, img, "hello from a private index")
	checkNoSecret(t, out, img, r, pass)
}

// privateWheel builds a pure-Python wheel in memory.
func privateWheel(t *testing.T) ([]byte, string) {
	t.Helper()
	const name = "distill_private_demo-1.0-py3-none-any.whl"
	files := []struct{ name, body string }{
		{"distill_private_demo/__init__.py", "def hello():\n    return 'hello from a private index'\n"},
		{"distill_private_demo-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: distill-private-demo\nVersion: 1.0\n"},
		{"distill_private_demo-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: distill-e2e\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
		{"distill_private_demo-1.0.dist-info/top_level.txt", "distill_private_demo\n"},
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	var record strings.Builder
	for _, f := range files {
		w, err := zw.Create(f.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f.body))
		h := sha256.Sum256([]byte(f.body))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", f.name, base64.RawURLEncoding.EncodeToString(h[:]), len(f.body))
	}
	record.WriteString("distill_private_demo-1.0.dist-info/RECORD,,\n")
	w, _ := zw.Create("distill_private_demo-1.0.dist-info/RECORD")
	w.Write([]byte(record.String()))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), name
}

// packageCount counts installed packages as SBOM tools do: Debian
// packages recorded in /var/lib/dpkg/status.d (or a dpkg status file) and
// Python distributions (*.dist-info, *.egg-info) anywhere.
func packageCount(t *testing.T, img *imagetest.Image) (debian, python int) {
	t.Helper()
	seen := map[string]bool{}
	statusD := regexp.MustCompile(`^(\./)?var/lib/dpkg/status\.d/([^/]+)$`)
	dist := regexp.MustCompile(`(^|/)([^/]+)\.(dist-info|egg-info)/?$`)
	for _, e := range img.Entries(t) {
		name := strings.TrimPrefix(e.Header.Name, "./")
		if m := statusD.FindStringSubmatch(name); m != nil && !strings.HasSuffix(m[2], ".md5sums") {
			if !seen["deb:"+m[2]] {
				seen["deb:"+m[2]] = true
				debian++
			}
		}
		if name == "var/lib/dpkg/status" {
			debian += bytes.Count(e.Data, []byte("\nPackage: "))
			if bytes.HasPrefix(e.Data, []byte("Package: ")) {
				debian++
			}
		}
		if m := dist.FindStringSubmatch(strings.TrimSuffix(name, "/")); m != nil && strings.HasPrefix(filepath.Base(strings.TrimSuffix(name, "/")), m[2]) {
			key := "py:" + strings.TrimSuffix(name, "/")
			if !seen[key] {
				seen[key] = true
				python++
			}
		}
	}
	return debian, python
}

// TestPythonAgainstSeeds builds the seed articles' hand-written distroless
// Dockerfiles (adapted to Debian 13) next to distill, in the same lab: the
// distill image must be no larger and hold no more packages.
func TestPythonAgainstSeeds(t *testing.T) {
	requireLab(t)
	for _, tc := range []struct{ example, want string }{
		{"python-fastapi", ""},
		{"python-emoji", "Distroless is"},
	} {
		t.Run(tc.example, func(t *testing.T) {
			dir := example(tc.example)
			ours, r := buildx(t, dir, "--platform", "linux/amd64")
			mustSucceed(t, r)
			seedOut := filepath.Join(t.TempDir(), "seed.tar")
			seed := run(t, dir, nil, "docker", "buildx", "build", "--builder", builder, "--progress=plain",
				"--platform", "linux/amd64", "-f", filepath.Join(dir, "Dockerfile.seed"),
				"--secret", "id=ca-bundle,src="+caBundle,
				"-o", "type=oci,dest="+seedOut, dir)
			mustSucceed(t, seed)
			a, b := imagetest.Load(t, ours, "linux/amd64"), imagetest.Load(t, seedOut, "linux/amd64")
			ad, ap := packageCount(t, a)
			bd, bp := packageCount(t, b)
			t.Logf("%s: distill %d bytes, %d Debian + %d Python packages; seed Dockerfile %d bytes, %d Debian + %d Python packages (size ratio %.3f)",
				tc.example, a.Size, ad, ap, b.Size, bd, bp, float64(a.Size)/float64(b.Size))
			// Layers hold the mtimes of files written during the build
			// (both images' site-packages): the same content compresses
			// to sizes that differ by tens of bytes from one build to the
			// next, so a tie within 0.01% is no larger.
			if a.Size > b.Size+b.Size/10000 {
				t.Errorf("distill's image (%d bytes) is larger than the hand-written one (%d bytes)", a.Size, b.Size)
			}
			if ad+ap > bd+bp {
				t.Errorf("distill's image has more packages (%d) than the hand-written one (%d)", ad+ap, bd+bp)
			}
			if tc.want != "" {
				// The seed's image must work too, or the comparison is moot.
				runPrints(t, b, tc.want)
			}
		})
	}
}

// TestPythonSourceOnlyChange: editing the app reuses the installed
// dependencies and serves the new code.
func TestPythonSourceOnlyChange(t *testing.T) {
	requireLab(t)
	checkSourceOnlyChange(t, sourceChange{example: "python-fastapi", file: "main.py", text: "Hello, World!",
		install: "[python] create the virtual environment /app/.venv; pip install -r requirements.txt", port: 8000})
}

// TestPythonNoWheelFallback: a dependency published without any wheel
// (docopt 0.6.2, an sdist) cannot be installed for arm64 from the build
// platform; the build says so and redoes that install under emulation,
// for that step only, and the image works.
func TestPythonNoWheelFallback(t *testing.T) {
	requireLab(t)
	t.Parallel() // see parallelTests
	dir := t.TempDir()
	files := map[string]string{
		"distill.yaml":     "# syntax=ghcr.io/distill-build/distill:1\nlanguage: python\nentrypoint: [python, main.py]\n",
		"requirements.txt": "docopt==0.6.2\n",
		"main.py":          "import platform\nfrom docopt import docopt\nargs = docopt('Usage: main.py [--name=<n>]', argv=['--name=sdist'])\nprint('hello', args['--name'], platform.machine())\n",
	}
	for f, c := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// --no-cache: the probing step's own output is the evidence, and a
	// cached step prints none.
	out, r := buildx(t, dir, "--platform", "linux/arm64", "--no-cache")
	mustSucceed(t, r)
	if !strings.Contains(r.out, "distill: not every package has a wheel for the target") {
		t.Errorf("the cross install did not report the missing wheel:\n%s", tail(r.out, 60))
	}
	// That install alone is redone emulated; the environment, the
	// bytecode and the libraries' closure stay native.
	checkEmulatedOnly(t, r.out, []string{"[python] pip install -r requirements.txt (emulated: linux/arm64: a dependency has no wheel for it)"})
	for _, native := range []string{"[python] create the virtual environment /app/.venv (for linux/arm64, from linux/amd64)",
		"compile bytecode of the environment (for linux/arm64, from linux/amd64)"} {
		if found, _ := stepStatus(r.out, native); !found {
			t.Errorf("no native step %q:\n%s", native, tail(r.out, 60))
		}
	}
	img := imagetest.Load(t, out, "linux/arm64")
	checkPython(t, img)
	runPrints(t, img, "hello sdist aarch64")
}

// checkLeftOut asserts that the image of an app built from a larger root
// has none of paths, and no .pth file pointing the environment at
// buildDir, a directory of the build's only.
func checkLeftOut(t *testing.T, img *imagetest.Image, rootfs, buildDir string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if imagetest.Exists(rootfs, p) {
			t.Errorf("%s is in the image", p)
		}
	}
	for _, e := range img.Entries(t) {
		if strings.HasSuffix(e.Header.Name, ".pth") && bytes.Contains(e.Data, []byte(buildDir)) {
			t.Errorf("%s points the environment at the build's %s: %q", e.Header.Name, buildDir, e.Data)
		}
	}
}

// editRebuild edits a file of dir (old to new) and rebuilds the app of
// manifest for linux/amd64: its image, and the build's result.
func editRebuild(t *testing.T, dir, file, old, new, manifest string) (string, result) {
	t.Helper()
	editFile(t, dir, file, old, new)
	out, r := buildxFile(t, dir, manifest, "--platform", "linux/amd64")
	mustSucceed(t, r)
	return out, r
}

// editRerunsNothing edits a file of dir that only another app uses and
// rebuilds the app of manifest, which must re-run no step.
func editRerunsNothing(t *testing.T, dir, file, old, new, manifest string) {
	t.Helper()
	if _, r := editRebuild(t, dir, file, old, new, manifest); len(stepsRun(r.out)) > 0 {
		t.Errorf("an edit to %s re-ran %q of %s's build:\n%s", file, stepsRun(r.out), manifest, tail(r.out, 60))
	}
}

// TestPythonUvWorkspace builds two apps of a uv workspace (pyproject.toml
// at the root declares it; one uv.lock for all its members) from the root
// with each app's manifest: the API serves the shared library's line from
// an image whose environment has the library installed, not linked to
// sources, and holds nothing of the other members; the CLI's console
// script runs. An edit to what only the CLI uses re-runs no step of the
// API's build; one to the shared library rebuilds it with the change,
// reusing the install of the packages from PyPI. A manifest at the
// workspace's virtual root is an error listing its members.
func TestPythonUvWorkspace(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("python-uv-workspace"))
	api, r := buildxFile(t, dir, "apps/api/distill.yaml", "--platform", "linux/amd64")
	mustSucceed(t, r)
	img := imagetest.Load(t, api, "linux/amd64")
	rootfs := checkPython(t, img)
	site := "/app/.venv/lib/python3.13/site-packages"
	for _, p := range []string{"/app/main.py", "/app/pyproject.toml", site + "/shared/__init__.py", site + "/humanize/__init__.py"} {
		if !imagetest.Exists(rootfs, p) {
			t.Errorf("%s is not in the image", p)
		}
	}
	// Only the member is the app (/app is apps/api); the other members,
	// the workspace's files and the dev group stay out.
	checkLeftOut(t, img, rootfs, "/src", "/app/distill.yaml", "/app/uv.lock", "/app/apps", "/app/packages", site+"/cli", site+"/pytest")
	if body := img.Run(t, imagetest.RunOpts{}).HTTPGet(t, 8000, "/", 30*time.Second); strings.TrimSpace(body) != "hello from api (shared greets 1.2 million times)" {
		t.Errorf("GET / = %q", body)
	}
	cli, r := buildxFile(t, dir, "apps/cli/distill.yaml", "--platform", "linux/amd64")
	mustSucceed(t, r)
	cimg := imagetest.Load(t, cli, "linux/amd64")
	checkPython(t, cimg)
	runPrints(t, cimg, "report: hello from cli (shared greets 3.0 million times)")

	editRerunsNothing(t, dir, "apps/cli/src/cli/__init__.py", `"report:"`, `"done:"`, "apps/api/distill.yaml")
	// A greeting no earlier run built: the rebuild cannot come from the cache.
	hi := fmt.Sprintf("hi-%d", time.Now().UnixNano())
	api, r = editRebuild(t, dir, "packages/shared/src/shared/__init__.py", `"hello from`, `"`+hi+` from`, "apps/api/distill.yaml")
	ran := stepsRun(r.out)
	reinstalled := false
	for _, s := range ran {
		reinstalled = reinstalled || strings.HasSuffix(s, "uv sync --frozen --no-dev --package api --no-editable")
		if strings.HasSuffix(s, "--no-install-local") {
			t.Errorf("an edit to the shared library re-ran the install from PyPI (%s)", s)
		}
	}
	if !reinstalled {
		t.Errorf("an edit to the shared library did not reinstall it: ran %q", ran)
	}
	if body := imagetest.Load(t, api, "linux/amd64").Run(t, imagetest.RunOpts{}).HTTPGet(t, 8000, "/", 30*time.Second); !strings.HasPrefix(body, hi+" from api") {
		t.Errorf("after the shared library's edit, GET / = %q", body)
	}

	rootManifestFails(t, dir, "python", []string{"declares a uv workspace without a project of its own (3 members: apps/api, apps/cli, packages/shared)", "distill.yaml:2", "docker buildx build -f apps/api/distill.yaml ."})
}

// TestPythonPathDependencies builds two apps of examples/python-path-deps
// from its root, each naming libs/shared by a path outside its directory:
// the API (requirements.txt: ../../libs/shared) serves the shared
// library's line from an image with the library installed into the
// environment, not linked to a source, and nothing outside /app (libs/
// was copied to /libs in the builder only); the report (Poetry: shared =
// { path = "../../libs/shared", develop = false }) prints its line. An
// edit to the report re-runs no step of the API's build; one to the
// shared library reinstalls the API's requirements, and the answer
// changes.
func TestPythonPathDependencies(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("python-path-deps"))
	api, r := buildxFile(t, dir, "services/api/distill.yaml", "--platform", "linux/amd64")
	mustSucceed(t, r)
	img := imagetest.Load(t, api, "linux/amd64")
	rootfs := checkPython(t, img)
	checkImports(t, img)
	site := "/app/.venv/lib/python3.13/site-packages"
	for _, p := range []string{"/app/main.py", site + "/shared/__init__.py", site + "/six.py"} {
		if !imagetest.Exists(rootfs, p) {
			t.Errorf("%s is not in the image", p)
		}
	}
	// /app is services/api alone: not the repository's other directories,
	// nor the manifest or the requirements; the path dependency's copy
	// stayed in the builder.
	checkLeftOut(t, img, rootfs, "/libs", "/libs", "/app/libs", "/app/services", "/app/distill.yaml", "/app/requirements.txt")
	if body := img.Run(t, imagetest.RunOpts{}).HTTPGet(t, 8000, "/", 30*time.Second); strings.TrimSpace(body) != "hello from api, by way of libs/shared (six 1.17.0)" {
		t.Errorf("GET / = %q", body)
	}

	report, r := buildxFile(t, dir, "services/report/distill.yaml", "--platform", "linux/amd64")
	mustSucceed(t, r)
	rimg := imagetest.Load(t, report, "linux/amd64")
	rrootfs := checkPython(t, rimg)
	if !imagetest.Exists(rrootfs, site+"/shared/__init__.py") {
		t.Errorf("the report's image has no shared package")
	}
	checkLeftOut(t, rimg, rrootfs, "/libs", "/libs", "/app/services", "/app/distill.yaml", "/app/poetry.lock")
	runPrints(t, rimg, "report: hello from report, by way of libs/shared (3.4 million lines)")

	editRerunsNothing(t, dir, "services/report/report.py", `"report:"`, `"done:"`, "services/api/distill.yaml")
	hi := fmt.Sprintf("hi-%d", time.Now().UnixNano()) // new to the cache
	api, r = editRebuild(t, dir, "libs/shared/src/shared/__init__.py", `"hello from`, `"`+hi+` from`, "services/api/distill.yaml")
	if ran := stepsRun(r.out); !slices.ContainsFunc(ran, func(s string) bool { return strings.HasSuffix(s, "pip install -r requirements.txt") }) {
		t.Errorf("an edit to the shared library did not reinstall it: ran %q", ran)
	}
	if body := imagetest.Load(t, api, "linux/amd64").Run(t, imagetest.RunOpts{}).HTTPGet(t, 8000, "/", 30*time.Second); !strings.HasPrefix(body, hi+" from api") {
		t.Errorf("after the shared library's edit, GET / = %q", body)
	}
}
