package java

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
)

// Majors are the Java releases with a distroless runtime on Debian 13,
// newest first; DefaultMajor is used when the project says none.
var Majors = []int{25, 21, 17}

// DefaultMajor is the Java release used when nothing asks for another.
const DefaultMajor = 21

// The runtimes `runtime:` chooses between.
const (
	runtimeJRE   = "jre"
	runtimeJlink = "jlink"
)

var versionRE = regexp.MustCompile(`^(?:1\.)?([0-9]+)(?:\.[0-9]+)*$`)

// version picks the Java release: the manifest's, else .java-version,
// else the build files', else the default.
func (pr *project) version(ctx context.Context) error {
	m := pr.m
	supported := func() string {
		s := make([]string, len(Majors))
		for i, v := range Majors {
			s[i] = strconv.Itoa(v)
		}
		return "supported: " + strings.Join(s, ", ")
	}
	parse := func(v string) int {
		mm := versionRE.FindStringSubmatch(strings.TrimSpace(v))
		if mm == nil {
			return 0
		}
		n, _ := strconv.Atoi(mm[1])
		return n
	}
	// What the project's files ask for, which the manifest's version must
	// be able to compile.
	from := ""
	if pr.module != nil {
		for _, prop := range []string{"maven.compiler.release", "java.version", "maven.compiler.target"} {
			if v, ok := pr.module.property(prop); ok {
				if pr.release = parse(pr.module.interpolate(v)); pr.release > 0 {
					from = fmt.Sprintf("%s's %s %q", path.Join(pr.tool.root, pr.module.dir, "pom.xml"), prop, v)
					break
				}
			}
		}
	} else if pr.gradle != nil && pr.gradle.toolchain > 0 {
		pr.release, from = pr.gradle.toolchain, pr.gradle.toolchainFile+"'s toolchain languageVersion"
	}
	if data, ok, err := providers.ReadFile(ctx, pr.req.FS, path.Join(pr.tool.root, ".java-version")); err != nil {
		return err
	} else if ok && !m.Version.Set() {
		v := strings.TrimSpace(strings.SplitN(string(data), "\n", 2)[0])
		// jenv writes "21", "21.0", "temurin64-21.0.5", "openjdk64-17".
		if i := strings.LastIndex(v, "-"); i >= 0 {
			v = v[i+1:]
		}
		if pr.major = parse(v); !slices.Contains(Majors, pr.major) {
			return providers.Fail(m, m.Language.Range, "write a supported release in .java-version or set `version:` ("+supported()+")", ".java-version asks for Java %q", v)
		}
	}
	switch {
	case m.Version.Set():
		if pr.major = parse(m.Version.Value); !slices.Contains(Majors, pr.major) {
			return providers.Fail(m, m.Version.Range, supported(), "Java %q has no distroless runtime on Debian 13", m.Version.Value)
		}
	case pr.major > 0:
	case pr.release > 0:
		// The release the bytecode targets: the smallest runtime that runs
		// it, the one the project asks for.
		for _, v := range slices.Backward(Majors) {
			if v >= pr.release {
				pr.major = v
				break
			}
		}
		if pr.major != pr.release {
			return providers.Fail(m, m.Language.Range, "set `version:` to one of them, or change the project's release ("+supported()+")", "%s asks for Java %d, which has no distroless runtime on Debian 13", from, pr.release)
		}
	default:
		pr.major = DefaultMajor
	}
	if pr.release > pr.major {
		r := m.Language.Range
		if m.Version.Set() {
			r = m.Version.Range
		}
		return providers.Mismatch(m, r, fmt.Sprintf("set version: %d, or lower the release in the build file", pr.release),
			"%s asks for Java %d bytecode, which the Java %d compiler cannot produce nor its runtime run", from, pr.release, pr.major)
	}
	return nil
}

// runtimeChoice reads `runtime:` and `modules:`.
func (pr *project) runtimeChoice() error {
	m := pr.m
	pr.runtime = runtimeJRE
	if m.Runtime.Set() {
		switch v := m.Runtime.Value; v {
		case runtimeJRE, runtimeJlink:
			pr.runtime = v
		default:
			return providers.Fail(m, m.Runtime.Range, "use jre (the distroless Java image) or jlink (a runtime of the modules the app needs)", "unknown Java runtime %q", v)
		}
	}
	if len(m.Modules.Items) > 0 && pr.runtime != runtimeJlink {
		return providers.Fail(m, m.Modules.Items[0].Range, "add runtime: jlink, or remove modules: (the full JRE has every module)", "modules: is only read with runtime: jlink")
	}
	modRE := regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$`)
	var errs manifest.Errs
	for _, it := range m.Modules.Items {
		if !modRE.MatchString(it.Value) {
			errs.Add(providers.Fail(m, it.Range, "name a Java module, e.g. jdk.crypto.ec", "%q is not a Java module name", it.Value))
			continue
		}
		pr.modules = append(pr.modules, it.Value)
	}
	return errs.Err()
}
