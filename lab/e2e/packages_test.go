package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/distill-build/distill/lab/e2e/imagetest"
)

// TestRuntimePackagesLibmagic builds a Python app that opens libmagic
// with ctypes at run time: with runtime-packages: [libmagic1] the image
// has the library, its magic database and the libraries it needs that
// the runtime lacks, each recorded in status.d, and still no shell, dpkg
// or apt; the app names file types. Without the line the same app fails
// at start, unable to open the library (no ELF of the app links it).
func TestRuntimePackagesLibmagic(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("python-libmagic"))
	out, r := buildx(t, dir, "--platform", "linux/amd64")
	mustSucceed(t, r)
	img := imagetest.Load(t, out, "linux/amd64")
	rootfs := checkPython(t, img)
	for _, p := range []string{"/var/lib/dpkg/status.d/libmagic1t64", "/var/lib/dpkg/status.d/libmagic-mgc", "/usr/lib/x86_64-linux-gnu/libmagic.so.1", "/usr/lib/file/magic.mgc"} {
		if !imagetest.Exists(rootfs, p) {
			t.Errorf("%s is not in the image", p)
		}
	}
	for _, p := range []string{"/usr/share/doc/libmagic1t64/changelog.Debian.gz", "/var/lib/dpkg/status", "/var/cache/apt"} {
		if imagetest.Exists(rootfs, p) {
			t.Errorf("%s is in the image", p)
		}
	}
	body := img.Run(t, imagetest.RunOpts{}).HTTPGet(t, 8000, "/", 60*time.Second)
	for _, w := range []string{"png image/png", "pdf application/pdf", "gzip application/gzip"} {
		if !strings.Contains(body, w) {
			t.Errorf("GET / = %q, want %q", body, w)
		}
	}

	// Without runtime-packages the library is not there.
	mf := filepath.Join(dir, "distill.yaml")
	data, err := os.ReadFile(mf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mf, []byte(strings.Replace(string(data), "runtime-packages: [libmagic1]\n", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, r = buildx(t, dir, "--platform", "linux/amd64")
	mustSucceed(t, r)
	_, stderr, code := imagetest.Load(t, out, "linux/amd64").RunToCompletion(t, imagetest.RunOpts{}, 60*time.Second)
	if code == 0 || !strings.Contains(stderr, "libmagic.so.1") {
		t.Errorf("without runtime-packages: exit %d, stderr %q; want a failure to open libmagic.so.1", code, stderr)
	}
}

// TestRuntimePackagesCLI builds, for amd64 and arm64 at once, a pure Go
// program that runs jq with execve: the binary chooses the static base,
// and runtime-packages adds jq, the libraries it links and the C library
// the static base lacks, for each architecture from the build platform
// (no step emulated). Both images run jq.
func TestRuntimePackagesCLI(t *testing.T) {
	requireLab(t)
	out, r := buildx(t, example("go-jq"), "--platform", "linux/amd64,linux/arm64")
	mustSucceed(t, r)
	if strings.Contains(r.out, "emulated") {
		t.Errorf("a step ran emulated:\n%s", tail(r.out, 40))
	}
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		img := imagetest.Load(t, out, p)
		rootfs := checkDistroless(t, img)
		if base := img.Config.Config.Labels["org.opencontainers.image.base.name"]; !strings.Contains(base, "static-debian13") {
			t.Errorf("%s: base %q, want static (the Go binary's choice)", p, base)
		}
		for _, f := range []string{"/usr/bin/jq", "/usr/bin/awk", "/etc/alternatives/awk", "/var/lib/dpkg/status.d/jq", "/var/lib/dpkg/status.d/libjq1", "/var/lib/dpkg/status.d/libonig5", "/var/lib/dpkg/status.d/libc6"} {
			if !imagetest.Exists(rootfs, f) {
				t.Errorf("%s: %s is not in the image", p, f)
			}
		}
		stdout, stderr, code := img.RunToCompletion(t, imagetest.RunOpts{}, 90*time.Second)
		if want := "jq says {\"greeting\":\"hello, distroless\",\"tools\":1}\nawk says 42"; code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %q", p, code, stdout, stderr, want)
		}
	}
}

// TestRuntimePackagesData: a package of data only (a font) reaches a
// Node.js image, recorded in status.d, and the app reads it.
func TestRuntimePackagesData(t *testing.T) {
	requireLab(t)
	out, r := buildx(t, example("node-fonts"), "--platform", "linux/amd64")
	mustSucceed(t, r)
	img := imagetest.Load(t, out, "linux/amd64")
	rootfs := checkDistroless(t, img)
	if !imagetest.Exists(rootfs, "/var/lib/dpkg/status.d/fonts-dejavu-core") {
		t.Error("fonts-dejavu-core is not recorded in status.d")
	}
	runPrints(t, img, "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf: TrueType")
}

// TestRuntimePackagesErrors: a package Debian does not have, one it has
// for no amd64, a shell, and a malformed name fail the build, each naming
// the package and the manifest's line.
func TestRuntimePackagesErrors(t *testing.T) {
	requireLab(t)
	checkBuildErrors(t, "go-jq", []buildError{
		{"unknown", "language: go\nruntime-packages: [no-such-package-distill]\n", []string{"no-such-package-distill is not a package of Debian trixie for amd64", "distill.yaml:3"}},
		{"no build for the platform", "language: go\nruntime-packages: [u-boot-rockchip]\n", []string{"u-boot-rockchip is not a package of Debian trixie for amd64", "distill.yaml:3"}},
		{"shell", "language: go\nruntime-packages: [bash]\n", []string{"bash is a shell, which a distroless image leaves out on purpose", "distill.yaml:3"}},
		{"name", "language: go\nruntime-packages: [Not_A_Package]\n", []string{`distill.yaml:3`, `"Not_A_Package" is not a Debian package name`}},
	})
}

// TestRuntimePackagesLock: `distill lock` pins each runtime package apt
// downloads, with its version and the archive's SHA-256; the build
// installs exactly those and the image works; check has no finding about
// them. A pinned version the archive no longer has, or another hash for
// it, fails the build at the manifest line saying to run `distill lock`,
// and check reports the drift; a manifest asking for more than the lock
// pins is reported unpinned.
func TestRuntimePackagesLock(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("python-libmagic"))
	lf := lockExample(t, dir, "linux/amd64")
	if len(lf.Packages) != 1 || lf.Packages[0].Platform != "linux/amd64" || strings.Join(lf.Packages[0].Requested, ",") != "libmagic1" {
		t.Fatalf("lock packages = %+v, want libmagic1's for linux/amd64", lf.Packages)
	}
	var pinned string // libmagic1t64's pin, as the lock has it
	for _, d := range lf.Packages[0].Debs {
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(d.SHA256) || d.Version == "" {
			t.Errorf("deb %+v: want a version and a SHA-256", d)
		}
		if d.Name == "libmagic1t64" && d.Arch == "amd64" {
			pinned = d.Version
		}
	}
	if pinned == "" {
		t.Fatalf("libmagic1t64:amd64 is not locked: %+v", lf.Packages[0].Debs)
	}
	plan := run(t, dir, nil, distillCLI(t), "plan", "--platform", "linux/amd64", dir)
	mustSucceed(t, plan)
	if !strings.Contains(plan.out, "libmagic1t64:amd64="+pinned+"=") {
		t.Errorf("the plan does not install the locked libmagic1t64 %s:\n%s", pinned, tail(plan.out, 40))
	}

	out, r := buildx(t, dir, "--platform", "linux/amd64")
	mustSucceed(t, r)
	body := imagetest.Load(t, out, "linux/amd64").Run(t, imagetest.RunOpts{}).HTTPGet(t, 8000, "/", 60*time.Second)
	if !strings.Contains(body, "png image/png") {
		t.Errorf("GET / = %q, want png image/png", body)
	}
	r = call(t, dir, "check")
	if strings.Contains(r.out, "UnpinnedPackages") || strings.Contains(r.out, "LockDrift") {
		t.Errorf("check on a fresh lock:\n%s", r.out)
	}

	data, err := os.ReadFile(filepath.Join(dir, "distill.lock"))
	if err != nil {
		t.Fatal(err)
	}
	writeLock := func(s string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "distill.lock"), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Another hash for the locked version: check reports it, the build
	// refuses it.
	sum := lf.Packages[0].Debs[0].SHA256
	writeLock(strings.Replace(string(data), sum, strings.Repeat("0", 64), 1))
	r = call(t, dir, "check")
	if !strings.Contains(r.out, "WARNING: LockDrift") || !strings.Contains(r.out, "has SHA-256 "+sum) {
		t.Errorf("check on a lock with another hash:\n%s", tail(r.out, 20))
	}
	_, r = buildx(t, dir, "--platform", "linux/amd64")
	if r.err == nil || !strings.Contains(r.out, "has SHA-256 "+sum+" in the archive") || !strings.Contains(r.out, "run `distill lock`") || !strings.Contains(r.out, ">>> runtime-packages: [libmagic1]") {
		t.Errorf("a lock with another hash: err %v\n%s", r.err, tail(r.out, 20))
	}
	// A version the archive no longer has.
	i := strings.Index(string(data), `"libmagic1t64"`)
	writeLock(string(data[:i]) + strings.Replace(string(data[i:]), `"version": "`+pinned+`"`, `"version": "1:5.0-1"`, 1))
	_, r = buildx(t, dir, "--platform", "linux/amd64")
	if r.err == nil || !strings.Contains(r.out, "libmagic1t64:amd64 1:5.0-1 is no longer in the archive (it has "+pinned+")") {
		t.Errorf("a lock of a version gone: err %v\n%s", r.err, tail(r.out, 20))
	}
	// More packages than the lock pins: unpinned.
	writeLock(string(data))
	editFile(t, dir, "distill.yaml", "runtime-packages: [libmagic1]", "runtime-packages: [libmagic1, jq]")
	editFile(t, dir, "distill.yaml", "# check=skip=UnpinnedImage,UnpinnedPackages\n", "") // the example's
	r = call(t, dir, "check")
	if !strings.Contains(r.out, "WARNING: UnpinnedPackages") {
		t.Errorf("check with a package the lock lacks:\n%s", tail(r.out, 20))
	}
}
