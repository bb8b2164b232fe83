package resolve

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/frontend/lock"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Runtime packages (`runtime-packages:`): Debian packages added to the
// runtime, for every language. A Debian builder of the runtime's release
// (debian:<suite>-slim, on the build platform) installs them with apt for
// the target's architecture, in setup steps of its own that nothing of
// the app invalidates and that alone have the network; the packages
// helper then copies, in that builder, what they and the dependencies the
// runtime lacks installed, with their status.d records, into a directory
// that becomes a layer of the image.
//
// distill.lock pins them: its lock step (the apt helper with --resolve)
// writes what apt would download today for the target, name, version and
// hash; a plan with the lock passes those to the install as --pin, which
// installs exactly them or fails naming what moved.

// packagesDir is where the build holds the tree added to the runtime.
const packagesDir = "/out/runtime-packages"

// lockOutput is where the lock step writes what it resolved.
const lockOutput = "/out/runtime-packages.lock.json"

// packagesBuilder is the Debian image that installs runtime packages.
var packagesBuilder = "docker.io/library/debian:" + providers.Suite + "-slim"

var runtimePkgRE = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)

// runtimePackages checks the manifest's runtime-packages.
func runtimePackages(m *manifest.Manifest) ([]string, error) {
	return providers.DebianPackages(m, m.RuntimePackages, runtimePkgRE, "name a Debian package, e.g. libmagic1 or jq (the architecture follows the target platform)")
}

// addRuntimePackages appends to t the steps that install pkgs for its
// platform and the layer that adds them to the runtime.
func addRuntimePackages(m *manifest.Manifest, t *plan.Target, pkgs []string, target, build ocispecs.Platform, lk *lock.File) error {
	arch, ok := providers.DebianArchOf(target)
	if !ok {
		return providers.Fail(m, m.RuntimePackages.Range, "build for a platform Debian releases packages for", "runtime-packages: Debian has no packages for %s", platforms.Format(target))
	}
	origin := providers.Origin("runtime-packages", m.RuntimePackages.Range)
	what := strings.Join(pkgs, " ")
	builder := plan.Image{Ref: packagesBuilder, Platform: platforms.Format(build), Origin: origin,
		Facts: plan.Facts{Debian: providers.DebianRelease, Libc: plan.LibcGlibc, Why: "Debian's apt and dpkg, of the runtime's release, install the runtime packages"}}
	aptStep := func(name string, flags ...string) plan.Step {
		return plan.Step{Name: name, Origin: origin,
			Run: &plan.Run{
				Args:    append(append([]string{providers.HelperBin, "apt", "--arch", arch.Arch, "--suite", providers.Suite}, flags...), pkgs...),
				Dir:     "/",
				Mounts:  []plan.Mount{{From: plan.MountFrontend, Target: providers.HelperMount}},
				Network: true,
			}}
	}
	var pins []string
	debs, pinned := lk.Debs(platforms.Format(target), pkgs)
	if pinned {
		for _, d := range debs {
			pins = append(pins, "--pin", d.Pin())
		}
	}
	install := aptStep(fmt.Sprintf("[distill] apt-get install %s (runtime packages for %s)", what, platforms.Format(target)), pins...)
	t.Locks = append(t.Locks, plan.Lock{Kind: lock.KindDebian, Builder: builder, Pinned: pinned, Origin: origin, Output: lockOutput,
		Steps: []plan.Step{aptStep(fmt.Sprintf("[lock] apt: the versions of %s and what they need for %s", what, platforms.Format(target)), "--resolve", lockOutput)}})
	add := plan.Step{Name: fmt.Sprintf("[distill] add %s and what they need to the runtime", what), Origin: origin,
		Run: &plan.Run{
			Args:     append([]string{providers.HelperBin, "packages", "--runtime", providers.RuntimeMount, "--out", packagesDir, "--arch", arch.Arch}, pkgs...),
			Dir:      "/",
			Mounts:   providers.HelperMounts(),
			Emulated: &plan.Emulated{Builder: builder, Setup: []plan.Step{install}, Dirs: []string{packagesDir}},
		}}
	t.Steps = append(t.Steps, add)
	t.Artifacts = append(t.Artifacts, plan.Artifact{From: plan.FromBuilder, Src: packagesDir, Dest: "/", Layer: "runtime-packages", Origin: origin})
	return nil
}
