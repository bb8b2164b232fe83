package node

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
)

// Majors are the Node.js majors distroless publishes on Debian 13, newest
// first; DefaultMajor is used when nothing asks for another.
var Majors = []int{26, 24, 22}

// DefaultMajor is the current LTS line.
const DefaultMajor = 24

var (
	majorRE     = regexp.MustCompile(`^v?([0-9]+)(\.[0-9]+(\.[0-9]+)?)?$`)
	nodeTagRE   = regexp.MustCompile(`(?:^|/)node:([0-9]+)`)
	distrolessN = regexp.MustCompile(`distroless/nodejs([0-9]+)-debian([0-9]+)`)
)

func supported() string {
	s := make([]string, len(Majors))
	for i, m := range Majors {
		s[i] = strconv.Itoa(m)
	}
	return "supported: " + strings.Join(s, ", ")
}

// version picks the Node.js major: the manifest's, else .nvmrc or
// .node-version, else package.json engines.node (the default major when
// it allows it, else the newest it allows), else the default.
func (pl *planner) version(ctx context.Context) error {
	m := pl.m
	if m.Version.Set() {
		mm := majorRE.FindStringSubmatch(m.Version.Value)
		if mm == nil {
			return providers.Fail(pl.m, m.Version.Range, `write a Node.js major such as "24", or a release such as "24.22.3"`, "invalid Node.js version %q", m.Version.Value)
		}
		pl.major, _ = strconv.Atoi(mm[1])
		if !slices.Contains(Majors, pl.major) {
			return providers.Fail(pl.m, m.Version.Range, supported(), "Node.js %d has no distroless runtime on Debian 13", pl.major)
		}
		return nil
	}
	versionFiles := []string{".nvmrc", ".node-version"}
	if m.Member != "" {
		// A workspace member's own, then the workspace's.
		versionFiles = append([]string{m.Path(".nvmrc"), m.Path(".node-version")}, versionFiles...)
	}
	for _, f := range versionFiles {
		data, ok, err := pl.read(ctx, f)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		v := strings.TrimSpace(strings.SplitN(string(data), "\n", 2)[0])
		if strings.HasPrefix(v, "lts/") || v == "node" || v == "" {
			break // "the newest LTS": the default
		}
		mm := majorRE.FindStringSubmatch(v)
		if mm != nil {
			pl.major, _ = strconv.Atoi(mm[1])
		}
		if mm == nil || !slices.Contains(Majors, pl.major) {
			return providers.Fail(pl.m, m.Language.Range, "write a supported major in "+f+" or set `version:` ("+supported()+")", "%s asks for Node.js %q", f, v)
		}
		return nil
	}
	pl.major = DefaultMajor
	if e := pl.pkg.Engines.Node; e != "" {
		rs, err := parseRange(e)
		if err != nil {
			return providers.Fail(pl.m, m.Language.Range, "fix engines.node in package.json or set `version:`", "package.json engines.node %q: %v", e, err)
		}
		if rs.allowsMajor(DefaultMajor) {
			return nil
		}
		for _, mj := range Majors {
			if rs.allowsMajor(mj) {
				pl.major = mj
				return nil
			}
		}
		return providers.Fail(pl.m, m.Language.Range, "set `version:` or widen engines.node ("+supported()+")", "package.json engines.node %q allows no Node.js release distroless publishes", e)
	}
	return nil
}

// images resolves the builder and the runtime, and rejects the
// combinations that cannot work.
func (pl *planner) images(context.Context) error {
	m := pl.m
	tag := strconv.Itoa(pl.major)
	if m.Version.Set() {
		tag = strings.TrimPrefix(m.Version.Value, "v")
	}
	pl.builder = plan.Image{
		Ref:    fmt.Sprintf("docker.io/library/node:%s-%s-slim", tag, providers.Suite),
		Origin: providers.ImageOrigin(m, plan.RoleBuilder),
		Facts: plan.Facts{Toolchain: "Node.js", Version: strconv.Itoa(pl.major), Debian: providers.DebianRelease, Libc: plan.LibcGlibc,
			Why: "the official slim image of the app's Node.js"},
	}
	if m.Builder.Set() {
		b := m.Builder.Value
		if mm := nodeTagRE.FindStringSubmatch(b); mm != nil && mm[1] != strconv.Itoa(pl.major) {
			return providers.Mismatch(pl.m, m.Builder.Range, fmt.Sprintf("use node:%d-%s-slim, or set version: %q", pl.major, providers.Suite, mm[1]),
				"builder %s has Node.js %s, but the runtime is Node.js %d: native addons would not load", b, mm[1], pl.major)
		}
		if rel := providers.ForeignRelease(b); rel != "" {
			return providers.Mismatch(pl.m, m.Builder.Range, fmt.Sprintf("use a Debian 13 (trixie) builder, e.g. node:%d-%s-slim", pl.major, providers.Suite),
				"builder %s is not Debian 13 (%s), the runtime's suite: native addons would need a glibc the runtime lacks", b, rel)
		}
		pl.builder.Ref = b
		pl.builder.Facts = plan.Facts{Toolchain: "Node.js", Version: strconv.Itoa(pl.major), Debian: providers.DebianOf(b), Libc: plan.LibcGlibc, Why: "builder: in " + m.File}
	}
	pl.runtime = plan.Image{
		Ref:    fmt.Sprintf("%s/nodejs%d-%s", providers.DistrolessRepo, pl.major, providers.Debian),
		Origin: providers.ImageOrigin(m, plan.RoleRuntime),
		Facts: plan.Facts{Toolchain: "Node.js", Version: strconv.Itoa(pl.major), Debian: providers.DebianRelease, Libc: plan.LibcGlibc,
			Why: "distroless nodejs ships the app's Node.js"},
	}
	if !m.Base.Set() {
		return nil
	}
	b := m.Base.Value
	switch {
	case b == providers.Static || b == providers.Base || b == providers.CC:
		return providers.Fail(pl.m, m.Base.Range, fmt.Sprintf("leave base out (gcr.io/distroless/nodejs%d-debian13), or name an image whose entrypoint is node", pl.major),
			"base %q has no Node.js runtime", b)
	case b == "" || strings.ContainsAny(b, " \t"):
		return providers.Fail(pl.m, m.Base.Range, "use an image reference", "invalid base %q", b)
	}
	if mm := distrolessN.FindStringSubmatch(b); mm != nil {
		if mm[2] != "13" {
			return providers.Fail(pl.m, m.Base.Range, fmt.Sprintf("use gcr.io/distroless/nodejs%d-debian13", pl.major), "base %s is Debian %s, but builders are Debian 13 (%s)", b, mm[2], providers.Suite)
		}
		if mm[1] != strconv.Itoa(pl.major) {
			return providers.Fail(pl.m, m.Base.Range, fmt.Sprintf("use gcr.io/distroless/nodejs%d-debian13, or set version: %q", pl.major, mm[1]),
				"base %s ships Node.js %s, but the app is built with Node.js %d", b, mm[1], pl.major)
		}
	} else if rel := providers.ForeignRelease(b); rel != "" {
		return providers.Fail(pl.m, m.Base.Range, fmt.Sprintf("use a Debian 13 base, e.g. gcr.io/distroless/nodejs%d-debian13", pl.major), "base %s is not Debian 13 (%s), the builder's suite", b, rel)
	}
	pl.runtime.Ref = b
	pl.runtime.Facts = plan.Facts{Debian: providers.DebianOf(b), Why: "base: in " + m.File}
	if distrolessN.MatchString(b) {
		pl.runtime.Facts.Toolchain, pl.runtime.Facts.Version, pl.runtime.Facts.Libc = "Node.js", strconv.Itoa(pl.major), plan.LibcGlibc
	}
	return nil
}
