package python

import (
	"fmt"
	"path"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/frontend/providers"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// How the packages of a target platform are installed.
const (
	native   = "native"   // the target is the build platform
	cross    = "cross"    // from the build platform, for the target
	installs = "installs" // installs by the target's builder, under emulation; the rest native
	emulated = "emulated" // every step by the target's builder, under emulation
)

// platformBuild plans one target platform. Another platform's packages
// are installed from the build platform when only wheels are needed (pip
// selects them by platform tag); when a dependency has no wheel for the
// target, the compiler replaces that install by its fallback, the same
// install by the target's builder under emulation, for that step only.
func (pl *planner) platformBuild(p ocispecs.Platform) (providers.Build, error) {
	if providers.SamePlatform(p, pl.req.BuildPlatform) {
		return pl.build(p, native, "")
	}
	why := pl.crossReason(p)
	switch {
	case why == "":
		return pl.build(p, cross, "")
	case pl.m.BuildPackages.Set() || !pl.shipsPython():
		// The shared libraries carried into the image, and a transplanted
		// interpreter, come from the builder: it must be the target's.
		return pl.build(p, emulated, why)
	}
	return pl.build(p, installs, why)
}

// wheelArch maps GOARCH (and arm variants) to the machine part of
// manylinux platform tags.
var wheelArch = map[string]string{
	"amd64": "x86_64", "arm64": "aarch64", "arm/v7": "armv7l", "386": "i686",
	"ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64",
}

// uvPlatform maps GOARCH to the machine of uv's --python-platform
// (<machine>-manylinux_2_40 is the newest uv knows, within Debian 13's
// glibc 2.41).
var uvPlatform = map[string]string{"amd64": "x86_64", "arm64": "aarch64"}

// GlibcMinor is the glibc of Debian 13 (2.41), builders and runtimes
// alike: a manylinux_2_N wheel with N up to it runs there.
const GlibcMinor = 41

// crossReason says why another platform's packages cannot be installed
// from the build platform, or "".
func (pl *planner) crossReason(p ocispecs.Platform) string {
	key := p.Architecture
	if p.Architecture == "arm" {
		key += "/" + p.Variant
	}
	switch {
	case wheelArch[key] == "":
		return "no manylinux wheels for " + platforms.Format(p)
	case pl.kind == managerUV && uvPlatform[p.Architecture] == "":
		return "uv knows no manylinux platform for " + platforms.Format(p)
	case pl.ws != nil && len(pl.ws.built) > 0:
		return "uv builds " + strings.Join(pl.ws.built, ", ") + " for the target"
	case pl.ws == nil && pl.kind == managerUV && pl.pyproject.isPackage(pl.kind):
		return "the project is a package, built for the target"
	case pl.kind == managerPoetry:
		return "Poetry installs for the platform it runs on"
	case pl.kind == managerProject:
		return "the project is built from source for the target"
	case pl.reqLocal:
		return "local requirements are built from source"
	case len(pl.deps) > 0:
		return "path dependencies are built from source"
	case pl.m.BuildPackages.Set():
		return "build-packages are compiled against"
	case !pl.shipsPython():
		return "the interpreter is transplanted from the target's builder"
	}
	return ""
}

// crossPip is pip's selection of another platform's wheels: binary only,
// every manylinux tag the target's glibc runs, installed into the
// environment's site-packages (pip takes platform options only with
// --target).
func (pl *planner) crossPip(p ocispecs.Platform) []string {
	key := p.Architecture
	if p.Architecture == "arm" {
		key += "/" + p.Variant
	}
	arch := wheelArch[key]
	args := []string{"--only-binary=:all:", "--implementation", "cp", "--python-version", pl.minor, "--target", pl.sitePackages()}
	for n := GlibcMinor; n >= 17; n-- {
		args = append(args, "--platform", fmt.Sprintf("manylinux_2_%d_%s", n, arch))
	}
	return append(args, "--platform", "manylinux2014_"+arch)
}

func (pl *planner) sitePackages() string {
	return path.Join(VenvDir, "lib", "python"+pl.minor, "site-packages")
}

// crossProbe is where a cross install reports whether it could install
// every package from a wheel (plan.Run.Probe).
const crossProbe = "/tmp/distill/cross-install"

// probed runs a cross install (pip's or uv's) so that it reports instead
// of failing:
// "ok" in the probe file when it worked, and its console scripts moved
// from site-packages/bin (pip --target's place) to the environment's bin.
func (pl *planner) probed(argv []string) []string {
	return append([]string{"sh", "-c", `probe=$1 site=$2 bin=$3; shift 3
mkdir -p "${probe%/*}"
if "$@"; then
	if [ -d "$site/bin" ]; then mv "$site"/bin/* "$bin"/ && rmdir "$site/bin"; fi
	echo ok >"$probe"
else
	echo "distill: not every package has a wheel for the target: installing under emulation instead" >&2
	echo "no wheel for the target" >"$probe"
fi`, "install", crossProbe, pl.sitePackages(), path.Join(VenvDir, "bin")}, argv...)
}
