package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The compatibility tests run the distill frontend image on the older
// buildkitd that lab/old-buildkitd.sh builds and starts next to the lab's
// own (the oldest release the lab can build, on its own socket): the
// syntax line brings the newest frontend onto whatever daemon users have.
// They use that release's own buildctl.

var (
	labDir = env("DISTILL_LAB_DIR", func() string {
		home, _ := os.UserHomeDir()
		return filepath.Join(home, ".cache", "distill-lab")
	}())
	oldBuildctl = env("DISTILL_OLD_BUILDCTL", "buildctl-old")
	oldAddr     = env("DISTILL_OLD_BUILDKIT_HOST", "unix://"+filepath.Join(labDir, "run", "buildkitd-old.sock"))
)

var (
	oldOnce    sync.Once
	oldVersion string
	oldErr     error
)

// maxOldRelease is the newest release the compatibility tests accept as
// "older": they are not about the lab's current buildkitd.
const maxOldRelease = "v0.26"

// requireOldDaemon is requireLab for the older buildkitd: the test is
// skipped when the lab is not meant to be used, and fails (under CI=true
// too, never a skip) when the older daemon does not answer. It returns
// the daemon's release (that of the buildctl built with it).
func requireOldDaemon(t *testing.T) string {
	t.Helper()
	requireLab(t)
	oldOnce.Do(func() { oldVersion, oldErr = probeOldDaemon() })
	if oldErr != nil {
		t.Fatalf("the older buildkitd is not usable (run `make lab-up`, or lab/old-buildkitd.sh): %v", oldErr)
	}
	return oldVersion
}

func probeOldDaemon() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, oldBuildctl, "--addr", oldAddr, "debug", "workers").CombinedOutput(); err != nil {
		return "", fmt.Errorf("%s --addr %s debug workers: %v: %s", oldBuildctl, oldAddr, err, out)
	}
	out, err := exec.CommandContext(ctx, oldBuildctl, "--version").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s --version: %v: %s", oldBuildctl, err, out)
	}
	// "buildctl github.com/moby/buildkit v0.7.0 "
	v := regexp.MustCompile(`\bv\d+\.\d+\.\d+\S*`).FindString(string(out))
	if v == "" || strings.HasPrefix(v, "v0.0.0") {
		return "", fmt.Errorf("%s --version does not name a release (lab/old-buildkitd.sh sets it): %q", oldBuildctl, out)
	}
	if !releaseAtMost(v, maxOldRelease) {
		return "", fmt.Errorf("the older buildkitd is %s, newer than %s (DISTILL_OLD_BUILDKIT_VERSION?)", v, maxOldRelease)
	}
	return v, nil
}

// releaseAtMost reports whether release v (v0.7.0) is at most max, a
// release or a minor line (v0.26).
func releaseAtMost(v, max string) bool {
	a, b := releaseNums(v), releaseNums(max)
	for i := range b {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return true
}

func releaseNums(v string) []int {
	var out []int
	for _, s := range strings.Split(strings.TrimPrefix(v, "v"), ".") {
		n, _ := strconv.Atoi(strings.SplitN(s, "-", 2)[0])
		out = append(out, n)
	}
	for len(out) < 3 {
		out = append(out, 0)
	}
	return out
}

// TestOlderBuildkitd builds the Go example with buildctl on the older
// buildkitd, and the image behaves as the lab's own builds do.
func TestOlderBuildkitd(t *testing.T) {
	v := requireOldDaemon(t)
	t.Logf("older buildkitd: BuildKit %s at %s", v, oldAddr)
	out, r := buildctlBuildWith(t, oldBuildctl, oldAddr, example("go-hello"), "--opt", "platform=linux/amd64")
	mustSucceed(t, r)
	checkHello(t, out, "linux/amd64", 20*time.Second)
}

// TestOlderBuildkitdMissingCapability: a build that needs an LLB
// capability the older buildkitd lacks fails before any step runs, naming
// the capability, the step that needs it and the release that has it.
// The Node.js installs take private-registry tokens as secret environment
// variables (exec.secretenv, BuildKit v0.10.0); on a daemon that has it
// the example builds.
func TestOlderBuildkitdMissingCapability(t *testing.T) {
	v := requireOldDaemon(t)
	_, r := buildctlBuildWith(t, oldBuildctl, oldAddr, example("node-express"), "--opt", "platform=linux/amd64")
	if releaseAtMost("v0.10.0", v) {
		mustSucceed(t, r)
		return
	}
	if r.err == nil {
		t.Fatalf("node-express built on BuildKit %s, which lacks exec.secretenv", v)
	}
	for _, want := range []string{
		"this buildkitd lacks what the build needs: the LLB capability exec.secretenv, in BuildKit v0.10.0 and later",
		`for step "[node] npm ci --omit=dev (production dependencies)"`,
		"upgrade BuildKit to v0.10.0 or newer",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, tail(r.out, 30))
		}
	}
	if found, _ := stepStatus(r.out, "[node] npm ci"); found {
		t.Errorf("a step needing exec.secretenv was sent to the daemon:\n%s", tail(r.out, 30))
	}
}
