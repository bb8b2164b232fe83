// Package java is the Java provider. Maven (the project's mvnw, else the
// builder's mvn) or Gradle (the project's gradlew, else the builder's
// gradle) downloads the dependencies in a step keyed only on the build
// files, with the local repository as a cache mount, then builds the
// bytecode once, on the build platform, tests skipped. A helper splits
// the app into layers as a JVM wants them: a Spring Boot jar by Boot's own
// layer index, any other jar into its runtime dependencies and a thin
// app.jar whose manifest names them; the image runs `java -jar
// /app/app.jar`. The runtime is distroless java<N>-debian13, whose java
// (its entrypoint) runs the app, or with `runtime: jlink` a Java runtime
// linked from the modules jdeps finds, per target platform from that
// platform's JDK modules, onto java-base-debian13.
package java

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
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

// Rules only the Java provider reports.
var (
	BytecodeNewerThanRuntime = check.Rule{Name: "BytecodeNewerThanRuntime", Description: "The runtime's Java should run the bytecode's release"}
	BuildToolWithoutWrapper  = check.Rule{Name: "BuildToolWithoutWrapper", Description: "A Maven or Gradle build should pin its tool with the project's wrapper"}
)

// Provider is the Java provider.
type Provider struct{}

var _ providers.Provider = Provider{}

// Language implements providers.Provider.
func (Provider) Language() string { return "java" }

// Ecosystem implements providers.Provider.
func (Provider) Ecosystem() providers.Ecosystem {
	return providers.Ecosystem{
		Fields: map[string]string{
			"version":      "the Java release: 17, 21 or 25; default: .java-version, the pom's maven.compiler.release/java.version/maven.compiler.target or Gradle's toolchain languageVersion, else 21",
			"dependencies": "pom.xml (Maven) or build.gradle(.kts)/settings.gradle(.kts) (Gradle); detected at the root",
			"entrypoint":   "default: java -jar /app/app.jar (the runtime's java); written: the whole command",
			"main":         "in a multi-module build, the module whose artifact runs: its directory or artifactId (Gradle: its project path)",
			"runtime":      "jre (default: distroless java<N>-debian13) or jlink (a Java runtime of only the modules the app needs, onto java-base-debian13)",
			"modules":      "with runtime: jlink, Java modules added to the ones jdeps finds, e.g. [jdk.crypto.ec, java.naming]",
			"base":         "default: distroless java<N>-debian13, or java-base-debian13 with runtime: jlink (cc also works)",
			"args":         "e.g. {MAVEN_ARGS: -DskipTests=false} runs the tests (MAVEN_ARGS adds to distill's -DskipTests)",
		},
		Rules:   []check.Rule{BytecodeNewerThanRuntime, BuildToolWithoutWrapper},
		AddEnv:  []string{"MAVEN_ARGS"},
		Helpers: map[string]providers.Helper{"java-run": RunHelper, "java-layout": LayoutHelper, "java-modules": ModulesHelper, "java-jlink": JlinkHelper},
	}
}

var versionRE = regexp.MustCompile(`^(?:1\.)?([0-9]+)(?:\.[0-9]+)*$`)

// tool is the build tool a project uses.
type tool struct {
	name string // maven or gradle
	// file is the dependency file, fileRange where the manifest named it.
	file      string
	fileRange manifest.Range
	// root is the project's directory in the context.
	root string
	// wrapper is the project's mvnw or gradlew, relative to root ("" when
	// it has none).
	wrapper string
}

// project is what every target platform of a Java app shares.
type project struct {
	req      providers.Request
	m        *manifest.Manifest
	tool     tool
	maven    *mavenProject
	gradle   *gradleProject
	module   *module // the Maven module that runs
	major    int
	release  int // the bytecode release the project's files ask for (0: none)
	runtime  string
	modules  []string
	builder  plan.Image
	findings []check.Finding
	// existing are the optional build inputs the context has.
	existing []string
}

// Prepare implements providers.Provider.
func (Provider) Prepare(ctx context.Context, req providers.Request) (*providers.Project, error) {
	pr := &project{req: req, m: req.Manifest}
	if err := pr.detect(ctx); err != nil {
		return nil, err
	}
	for _, f := range optionalInputs {
		f = path.Join(pr.tool.root, f)
		ok, err := providers.Exists(ctx, req.FS, f)
		if err != nil {
			return nil, err
		}
		if ok {
			pr.existing = append(pr.existing, f)
		}
	}
	var err error
	switch pr.tool.name {
	case "maven":
		err = pr.prepareMaven(ctx)
	default:
		err = pr.prepareGradle(ctx)
	}
	if err != nil {
		return nil, err
	}
	if err := pr.version(ctx); err != nil {
		return nil, err
	}
	if err := pr.runtimeChoice(); err != nil {
		return nil, err
	}
	if err := pr.images(); err != nil {
		return nil, err
	}
	return &providers.Project{Findings: pr.findings, Build: pr.build}, nil
}

// detect finds the build tool: the dependency file the manifest names,
// else pom.xml, else Gradle's settings or build script, at the root.
func (pr *project) detect(ctx context.Context) error {
	m := pr.m
	if m.Dependencies.Set() {
		f := path.Clean(m.Dependencies.Value)
		pr.tool = tool{file: f, fileRange: m.Dependencies.Range, root: path.Dir(f)}
		switch base := path.Base(f); {
		case base == "pom.xml":
			pr.tool.name = "maven"
		case slices.Contains(gradleFiles, base):
			pr.tool.name = "gradle"
		default:
			return providers.Fail(m, m.Dependencies.Range, "name pom.xml, build.gradle(.kts) or settings.gradle(.kts)", "%q is not a Maven or Gradle build file", m.Dependencies.Value)
		}
		if path.IsAbs(f) || f == ".." || strings.HasPrefix(f, "../") {
			return providers.Fail(m, m.Dependencies.Range, "use a path inside the build context", "dependencies: %q leaves the build context", f)
		}
		ok, err := providers.Exists(ctx, pr.req.FS, f)
		if err != nil {
			return err
		}
		if !ok {
			return providers.Fail(m, m.Dependencies.Range, "check the path and that .dockerignore does not exclude it", "dependency file %q is not in the build context", f)
		}
	} else {
		for _, f := range append([]string{"pom.xml"}, gradleFiles...) {
			ok, err := providers.Exists(ctx, pr.req.FS, f)
			if err != nil {
				return err
			}
			if ok {
				pr.tool = tool{name: "gradle", file: f, fileRange: m.Language.Range, root: "."}
				if f == "pom.xml" {
					pr.tool.name = "maven"
				}
				break
			}
		}
		if pr.tool.name == "" {
			return providers.Fail(m, m.Language.Range, "add pom.xml or build.gradle(.kts) to the context, or set `dependencies:` to the build file",
				"no pom.xml, build.gradle(.kts) or settings.gradle(.kts) at the root of the build context")
		}
	}
	wrapper := "mvnw"
	if pr.tool.name == "gradle" {
		wrapper = "gradlew"
	}
	ok, err := providers.Exists(ctx, pr.req.FS, path.Join(pr.tool.root, wrapper))
	if err != nil {
		return err
	}
	if ok {
		pr.tool.wrapper = wrapper
	} else {
		pr.findings = append(pr.findings, check.Finding{Rule: BuildToolWithoutWrapper, Range: pr.tool.fileRange,
			Msg:  fmt.Sprintf("the project has no %s: the build uses the builder image's %s, whatever release its tag holds", wrapper, pr.toolName()),
			Hint: pr.wrapperHint()})
	}
	return nil
}

func (pr *project) toolName() string {
	if pr.tool.name == "maven" {
		return "Maven"
	}
	return "Gradle"
}

func (pr *project) wrapperHint() string {
	if pr.tool.name == "maven" {
		return "run `mvn wrapper:wrapper` and add mvnw and .mvn/wrapper/ to the context"
	}
	return "run `gradle wrapper` and add gradlew and gradle/wrapper/ to the context"
}

// prepareMaven reads the reactor and picks the module that runs.
func (pr *project) prepareMaven(ctx context.Context) error {
	m := pr.m
	mp, err := readMaven(ctx, pr.req.FS, pr.tool.root)
	if err != nil {
		return providers.Fail(m, pr.tool.fileRange, "fix the pom", "%v", err)
	}
	pr.maven = mp
	runnable := mp.runnable()
	switch {
	case m.Main.Set():
		mod := mp.find(m.Main.Value)
		if mod == nil {
			return providers.Fail(m, m.Main.Range, "name one of: "+describe(mp.modules), "no module %q in the Maven build", m.Main.Value)
		}
		if mod.packaging() != "jar" {
			return providers.Fail(m, m.Main.Range, "name a module with jar packaging: "+describe(runnable), "module %s has packaging %s: it builds no jar that runs", mod.pom.ArtifactID, mod.packaging())
		}
		pr.module = mod
	case len(runnable) == 1:
		pr.module = runnable[0]
	case len(runnable) == 0:
		return providers.Fail(m, pr.tool.fileRange, "add a module with jar packaging", "the Maven build has no module with jar packaging")
	default:
		// Several jars: the one Spring Boot repackages, when only one is.
		var boot []*module
		for _, mod := range runnable {
			if mod.springBoot() {
				boot = append(boot, mod)
			}
		}
		if len(boot) != 1 {
			return providers.Fail(m, m.Language.Range, "set main: to the module that runs, one of: "+describe(runnable), "the Maven build has %d modules that build jars", len(runnable))
		}
		pr.module = boot[0]
	}
	return nil
}

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
	modRE := regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$`)
	for _, it := range m.Modules.Items {
		if pr.runtime != runtimeJlink {
			return providers.Fail(m, it.Range, "add runtime: jlink, or remove modules: (the full JRE has every module)", "modules: is only read with runtime: jlink")
		}
		if !modRE.MatchString(it.Value) {
			return providers.Fail(m, it.Range, "name a Java module, e.g. jdk.crypto.ec", "%q is not a Java module name", it.Value)
		}
		pr.modules = append(pr.modules, it.Value)
	}
	return nil
}

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
	".mvn", "gradle", "gradle.properties", "gradle.lockfile", "settings-gradle.lockfile", "buildSrc", "build-logic",
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

func ptr[T any](v T) *T { return &v }
