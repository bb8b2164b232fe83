package providers

import (
	"strings"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// DebianArch is how Debian names a target platform: its GNU triple
// (aarch64-linux-gnu) and its architecture (arm64).
type DebianArch struct {
	Triple, Arch string
}

// debianArches are Debian's GNU triples and architectures per target
// architecture (variant for arm).
var debianArches = map[string]DebianArch{
	"amd64":   {"x86_64-linux-gnu", "amd64"},
	"arm64":   {"aarch64-linux-gnu", "arm64"},
	"arm/v7":  {"arm-linux-gnueabihf", "armhf"},
	"arm/v6":  {"arm-linux-gnueabi", "armel"},
	"386":     {"i686-linux-gnu", "i386"},
	"ppc64le": {"powerpc64le-linux-gnu", "ppc64el"},
	"s390x":   {"s390x-linux-gnu", "s390x"},
	"riscv64": {"riscv64-linux-gnu", "riscv64"},
}

// DebianArchOf is Debian's name of a Linux platform, if Debian has one.
func DebianArchOf(p ocispecs.Platform) (DebianArch, bool) {
	if p.OS != "linux" {
		return DebianArch{}, false
	}
	key := p.Architecture
	if key == "arm" {
		key += "/" + p.Variant
	}
	a, ok := debianArches[key]
	return a, ok
}

// CrossToolchain is Debian's C cross compiler for a target: the packages
// to install in the builder and the environment (CC, CXX) that names it.
type CrossToolchain struct {
	DebianArch
	Packages []string
	Env      []string
}

// DebianCross is the C cross toolchain for target on a build platform
// that Debian ships cross compilers for (amd64 and arm64), or nil.
func DebianCross(target, build ocispecs.Platform, cxx bool) *CrossToolchain {
	if build.OS != "linux" || (build.Architecture != "amd64" && build.Architecture != "arm64") {
		return nil
	}
	t, ok := DebianArchOf(target)
	if !ok {
		return nil
	}
	// The package names spell the triple with dashes (gcc-x86-64-linux-gnu).
	pkgTriple := strings.ReplaceAll(t.Triple, "_", "-")
	c := &CrossToolchain{
		DebianArch: t,
		Packages:   []string{"gcc-" + pkgTriple, "libc6-dev-" + t.Arch + "-cross"},
		Env:        []string{"CC=" + t.Triple + "-gcc"},
	}
	if cxx {
		c.Packages = append(c.Packages, "g++-"+pkgTriple)
		c.Env = append(c.Env, "CXX="+t.Triple+"-g++")
	}
	return c
}
