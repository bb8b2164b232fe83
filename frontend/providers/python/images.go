package python

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
)

var (
	pythonTagRE  = regexp.MustCompile(`(?:^|/)python:([0-9]+\.[0-9]+)`)
	distrolessPy = regexp.MustCompile(`distroless/python3-debian([0-9]+)`)
)

// images resolves the builder and the runtime, and rejects the
// combinations that cannot work: a builder of another Python minor or
// Debian suite, a runtime that is not Debian 13 or ships another Python.
func (pl *planner) images(context.Context) error {
	if err := pl.builderImage(); err != nil {
		return err
	}
	return pl.runtimeImage()
}

// builderImage is the official slim image of the app's Python, or the
// manifest's builder.
func (pl *planner) builderImage() error {
	m := pl.m
	minor := pl.minor
	tag := minor
	if m.Version.Set() {
		tag = m.Version.Value
	}
	pl.builder = plan.Image{
		Ref:    fmt.Sprintf("docker.io/library/python:%s-slim-%s", tag, providers.Suite),
		Origin: providers.ImageOrigin(m, plan.RoleBuilder),
		Facts: plan.Facts{Toolchain: "Python", Version: minor, Debian: providers.DebianRelease, Libc: plan.LibcGlibc,
			Why: "the official slim image of the app's Python"},
	}
	if m.Builder.Set() {
		b := m.Builder.Value
		if mm := pythonTagRE.FindStringSubmatch(b); mm != nil && mm[1] != minor {
			return providers.Mismatch(pl.m, m.Builder.Range, fmt.Sprintf("use python:%s-slim-%s, or set version: %q", minor, providers.Suite, mm[1]),
				"builder %s has Python %s, but the app is built for Python %s: compiled extensions would not load", b, mm[1], minor)
		}
		if rel := providers.ForeignRelease(b); rel != "" {
			return providers.Mismatch(pl.m, m.Builder.Range, "use a Debian 13 (trixie) builder, e.g. python:"+minor+"-slim-"+providers.Suite,
				"builder %s is not Debian 13 (%s), the runtime's suite: its glibc and libraries would not match", b, rel)
		}
		pl.builder.Ref = b
		pl.builder.Facts = plan.Facts{Toolchain: "Python", Version: minor, Debian: providers.DebianOf(b), Libc: plan.LibcGlibc, Why: "builder: in " + m.File}
	}
	return nil
}

// runtimeImage is distroless python3 when it ships the app's Python, else
// cc, onto which the builder's interpreter is transplanted; or the
// manifest's base.
func (pl *planner) runtimeImage() error {
	m := pl.m
	minor := pl.minor
	pl.runtime = plan.Image{Origin: providers.ImageOrigin(m, plan.RoleRuntime)}
	if minor == DistrolessMinor {
		pl.runtime.Ref = providers.DistrolessRepo + "/python3-" + providers.Debian
		pl.runtime.Facts = plan.Facts{Toolchain: "Python", Version: minor, Debian: providers.DebianRelease, Libc: plan.LibcGlibc,
			Why: "distroless python3 ships Python " + minor}
	} else {
		pl.ccRuntime("no distroless image ships Python " + minor + ": the builder's interpreter is transplanted onto cc")
	}
	if !m.Base.Set() {
		return nil
	}
	b := m.Base.Value
	switch b {
	case providers.Static, providers.Base:
		return providers.Fail(pl.m, m.Base.Range, "use base: cc (the interpreter is then copied from the builder), or leave base out",
			"base %q cannot run Python: the interpreter and compiled extensions need libstdc++ and libgcc (cc)", b)
	case providers.CC:
		pl.ccRuntime("base: cc in " + m.File + ": the builder's interpreter is transplanted")
		return nil
	}
	return pl.baseImage(b)
}

// ccRuntime is distroless cc, for why.
func (pl *planner) ccRuntime(why string) {
	pl.runtime.Ref = providers.DistrolessRepo + "/cc-" + providers.Debian
	pl.runtime.Facts = providers.DistrolessFacts(providers.CC, why)
}

// baseImage is the image reference the manifest's base names, when it
// can run the app's Python.
func (pl *planner) baseImage(b string) error {
	m := pl.m
	minor := pl.minor
	if strings.ContainsAny(b, " \t") || b == "" {
		return providers.Fail(pl.m, m.Base.Range, "use cc or an image reference", "invalid base %q", b)
	}
	if mm := distrolessPy.FindStringSubmatch(b); mm != nil {
		if mm[1] != "13" {
			return providers.Fail(pl.m, m.Base.Range, "use gcr.io/distroless/python3-debian13 or base: cc",
				"base %s is Debian %s, but builders are Debian 13 (%s)", b, mm[1], providers.Suite)
		}
		if minor != DistrolessMinor {
			return providers.Fail(pl.m, m.Base.Range, fmt.Sprintf("leave base out (Python %s is transplanted onto cc-debian13) or set version: %q", minor, DistrolessMinor),
				"base %s ships Python %s, but the app is built for Python %s", b, DistrolessMinor, minor)
		}
	} else if rel := providers.ForeignRelease(b); rel != "" {
		return providers.Mismatch(pl.m, m.Base.Range, "use a Debian 13 base, e.g. gcr.io/distroless/cc-debian13",
			"base %s is not Debian 13 (%s), the builder's suite", b, rel)
	} else if mm := pythonTagRE.FindStringSubmatch(b); mm != nil && mm[1] != minor {
		return providers.Mismatch(pl.m, m.Base.Range, fmt.Sprintf("set version: %q or pick a base with Python %s", mm[1], minor),
			"base %s has Python %s, but the app is built for Python %s", b, mm[1], minor)
	}
	pl.runtime.Ref = b
	pl.runtime.Facts = plan.Facts{Debian: providers.DebianOf(b), Why: "base: in " + m.File}
	if distrolessPy.MatchString(b) {
		pl.runtime.Facts.Toolchain, pl.runtime.Facts.Version = "Python", minor
	}
	return nil
}

// shipsPython reports whether the runtime has the app's Python, which
// is otherwise transplanted from the builder.
func (pl *planner) shipsPython() bool { return pl.runtime.Facts.Version == pl.minor }

func (pl *planner) python() string { return path.Join(VenvDir, "bin", "python") }
