package java

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// javaInRef finds the Java release an image reference names
// (distroless java21-debian13, eclipse-temurin:21-jre, maven:…-temurin-21).
var javaInRef = regexp.MustCompile(`(?:/java|temurin[-:]|openjdk[-:]|jdk|jre)([0-9]{2})\b`)

// images picks the builder, and checks the base the manifest names.
func (pr *project) images() error {
	m := pr.m
	major := strconv.Itoa(pr.major)
	pr.builder = plan.Image{
		Ref:    fmt.Sprintf("docker.io/library/maven:3.9-eclipse-temurin-%s", major),
		Origin: providers.ImageOrigin(m, plan.RoleBuilder),
		Facts: plan.Facts{Toolchain: "Java", Version: major, Libc: plan.LibcGlibc,
			Why: "the official Maven image on Eclipse Temurin " + major + ", the JDK of the distroless Java runtime's vendor"},
	}
	switch {
	case pr.tool.name == "gradle" && pr.tool.wrapper != "":
		pr.builder.Ref = "docker.io/library/eclipse-temurin:" + major + "-jdk"
		pr.builder.Facts.Why = "the Eclipse Temurin " + major + " JDK, the distroless Java runtime's vendor; the project's gradlew brings Gradle"
	case pr.tool.name == "gradle":
		pr.builder.Ref = "docker.io/library/gradle:jdk" + major
		pr.builder.Facts.Why = "the official Gradle image on Eclipse Temurin " + major
	}
	if m.Builder.Set() {
		b := m.Builder.Value
		if mm := javaInRef.FindStringSubmatch(b); mm != nil && mm[1] != major {
			return providers.Mismatch(m, m.Builder.Range, fmt.Sprintf("use %s, or set version: %s", strings.TrimPrefix(pr.builder.Ref, "docker.io/library/"), mm[1]),
				"builder %s has Java %s, but the app is built for Java %d", b, mm[1], pr.major)
		}
		pr.builder.Ref = b
		pr.builder.Facts = plan.Facts{Toolchain: "Java", Version: major, Debian: providers.DebianOf(b), Why: "builder: in " + m.File}
	}
	if m.Base.Set() {
		if mm := javaInRef.FindStringSubmatch(m.Base.Value); mm != nil {
			if n, _ := strconv.Atoi(mm[1]); n < pr.major {
				return &manifest.Error{File: m.File, Range: m.Base.Range, Rule: BytecodeNewerThanRuntime.Name,
					Msg:  fmt.Sprintf("base %s runs Java %d, but the app is Java %d bytecode: it would fail with UnsupportedClassVersionError", m.Base.Value, n, pr.major),
					Hint: fmt.Sprintf("use a Java %d runtime (leave base: out), or set version: %d", pr.major, n)}
			}
		}
		if pr.runtime == runtimeJRE && slices.Contains([]string{providers.Static, providers.Base, providers.CC}, m.Base.Value) {
			return providers.Fail(m, m.Base.Range, "leave base: out (distroless java"+major+"), or add runtime: jlink to link a Java runtime onto "+m.Base.Value,
				"base %q has no Java runtime", m.Base.Value)
		}
	}
	return nil
}

// build plans one target platform.
func (pr *project) build(p ocispecs.Platform) (providers.Build, error) {
	var b providers.Build
	var err error
	if pr.tool.name == "maven" {
		b.Steps, err = pr.mavenSteps()
	} else {
		b.Steps, err = pr.gradleSteps()
	}
	if err != nil {
		return providers.Build{}, err
	}
	b.Steps = append(b.Steps, pr.layoutStep())
	builder := pr.builder
	builder.Platform = platforms.Format(pr.req.BuildPlatform)
	b.Builder = builder
	b.Name = "app"
	origin := providers.Origin("language", pr.m.Language.Range)
	if pr.m.Main.Set() {
		origin = providers.Origin("main", pr.m.Main.Range)
	}
	for _, l := range appLayers {
		b.Artifacts = append(b.Artifacts, plan.Artifact{From: plan.FromBuilder, Src: path.Join(layersDir, l), Dest: providers.AppDir, Layer: l, Origin: origin})
	}
	// Container-aware defaults: the JVM sizes its heap from the
	// container's memory limit; a quarter of it (the JVM's default) is
	// too little for a process alone in its container.
	b.Env = []string{"JAVA_TOOL_OPTIONS=" + jvmDefaults}
	java := ""
	if pr.runtime == runtimeJlink {
		steps, art := pr.jlinkSteps(p)
		b.Steps = append(b.Steps, steps...)
		b.Artifacts = append([]plan.Artifact{art}, b.Artifacts...)
		java = path.Join(jreDir, "bin/java")
		b.Flavour, b.FlavourReason = providers.CC, "a linked Java runtime needs libstdc++ and zlib"
		b.FlavourHint = "leave runtime: jlink out to run on distroless java" + strconv.Itoa(pr.major)
		if !pr.m.Base.Set() {
			b.Runtime = &plan.Image{Ref: providers.DistrolessRepo + "/java-base-" + providers.Debian, Origin: providers.Origin("runtime", pr.m.Runtime.Range),
				Facts: plan.Facts{Debian: providers.DebianRelease, Libc: plan.LibcGlibc, Why: "distroless's base for a Java runtime of the app's own (zlib, fonts, libstdc++)"}}
		}
	} else if !pr.m.Base.Set() {
		b.Runtime = &plan.Image{Ref: fmt.Sprintf("%s/java%d-%s", providers.DistrolessRepo, pr.major, providers.Debian), Origin: providers.ImageOrigin(pr.m, plan.RoleRuntime),
			Facts: plan.Facts{Toolchain: "Java", Version: strconv.Itoa(pr.major), Debian: providers.DebianRelease, Libc: plan.LibcGlibc,
				Why: "distroless's Java " + strconv.Itoa(pr.major) + " runtime (Eclipse Temurin JRE)"}}
	}
	switch {
	case pr.m.Entrypoint.Set():
		b.Command = pr.m.Entrypoint.Values()
	case java != "":
		b.Command = []string{java, "-jar", appJar}
	case pr.m.Base.Set() && !strings.Contains(pr.m.Base.Value, "distroless/java"):
		// Another image with Java: its java on PATH.
		b.Command = []string{"java", "-jar", appJar}
	default:
		// The distroless Java image's entrypoint is its java -jar.
		b.Command, b.PrependBaseEntrypoint = []string{appJar}, true
	}
	return b, nil
}

// optionalInputs are the files besides the build scripts that Maven and
// Gradle read before they download (wrapper settings, Maven's
// configuration and extensions, Gradle's properties, version catalog,
// build logic and locks), copied with the build files when present.
var optionalInputs = []string{
	".mvn", "gradle", "gradle.properties", "settings-gradle.lockfile", "buildSrc", "build-logic",
}

// jvmDefaults are the JVM options the image sets (JAVA_TOOL_OPTIONS, which
// the manifest's env replaces).
const jvmDefaults = "-XX:MaxRAMPercentage=75"

// Paths in the builder and the image.
const (
	srcDir    = "/src"
	outDir    = "/out"
	depsDir   = outDir + "/deps"
	layersDir = outDir + "/layers"
	jreOut    = outDir + "/jlink/jre"
	// jreDir is where a linked runtime lives in the image.
	jreDir = "/opt/java/jre"
	appJar = providers.AppDir + "/app.jar"
	// targetJDK is where the jlink step sees the target platform's JDK.
	targetJDK = "/.distill-jdk"
	// jlinkProbe is where the jlink step reports whether it linked
	// (plan.Run.Probe).
	jlinkProbe = outDir + "/jlink/status"
	// modulesDir holds the module lists jdeps writes.
	modulesDir = outDir + "/java-modules"
)

// appLayers are the layers of the app, rarest change first: Spring Boot's
// layer index names, which the layout helper writes for every app.
var appLayers = []string{"dependencies", "spring-boot-loader", "snapshot-dependencies", "application"}

func itoa(n int) string { return strconv.Itoa(n) }
