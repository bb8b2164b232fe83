package e2e

import (
	"os"
	"path/filepath"
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
