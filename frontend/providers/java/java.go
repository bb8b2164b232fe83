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
	"strings"

	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
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

// Detect implements providers.Detector.
func (Provider) Detect(ctx context.Context, fsys providers.FS, dir string) (string, error) {
	return providers.DetectFiles(ctx, fsys, dir, "pom.xml", "build.gradle.kts", "build.gradle", "settings.gradle.kts", "settings.gradle")
}

// Ecosystem implements providers.Provider.
func (Provider) Ecosystem() providers.Ecosystem {
	return providers.Ecosystem{
		Fields: map[string]string{
			"version":      fmt.Sprintf("the Java release: %s; default: .java-version, the pom's maven.compiler.release/java.version/maven.compiler.target or Gradle's toolchain languageVersion, else %d", providers.Versions(Majors), DefaultMajor),
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
	var ps providers.Passes
	tool := ps.Run(ctx, pr.detect)
	ps.Run(ctx, pr.optionalInputs, tool)
	read := ps.Run(ctx, func(ctx context.Context) error {
		if pr.tool.name == "maven" {
			return pr.prepareMaven(ctx)
		}
		return pr.prepareGradle(ctx)
	}, tool)
	version := ps.Run(ctx, pr.version, read)
	runtime := ps.Run(ctx, func(context.Context) error { return pr.runtimeChoice() })
	ps.Run(ctx, func(context.Context) error { return pr.images() }, version, runtime)
	if err := ps.Err(); err != nil {
		return nil, err
	}
	return &providers.Project{Findings: pr.findings, Build: pr.build}, nil
}

// optionalInputs are the build tool's optional files the project has.
func (pr *project) optionalInputs(ctx context.Context) error {
	for _, f := range optionalInputs {
		f = path.Join(pr.tool.root, f)
		ok, err := providers.Exists(ctx, pr.req.FS, f)
		if err != nil {
			return err
		}
		if ok {
			pr.existing = append(pr.existing, f)
		}
	}
	return nil
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

var (
	springPortRE = regexp.MustCompile(`(?m)^\s*server\.port\s*[=:]\s*(\d{2,5})\b`)
	javaPortRE   = regexp.MustCompile(`InetSocketAddress\(\s*(?:"[^"]*",\s*)?(\d{2,5})\s*\)`)
)

// Suggest implements providers.Suggester: Spring Boot's server.port
// (8080 by default), else the port a server of the sources binds.
func (Provider) Suggest(ctx context.Context, fsys providers.FS, dir string) (providers.Suggestion, error) {
	var files []string
	spring := false
	var walk func(d string, depth int) error
	walk = func(d string, depth int) error {
		entries, err := fsys.ReadDir(ctx, path.Join(dir, d))
		if err != nil || depth > 12 || len(files) > 500 {
			return nil
		}
		for _, e := range entries {
			n := path.Join(d, e.Name())
			switch {
			case e.IsDir() && (e.Name() == "target" || e.Name() == "build" || strings.HasPrefix(e.Name(), ".")):
			case e.IsDir():
				if err := walk(n, depth+1); err != nil {
					return err
				}
			case strings.HasSuffix(n, ".java") || strings.HasSuffix(n, ".kt") || path.Base(n) == "application.properties" || path.Base(n) == "application.yml":
				files = append(files, n)
			case path.Base(n) == "pom.xml" || strings.HasPrefix(path.Base(n), "build.gradle"):
				data, _, err := providers.ReadFile(ctx, fsys, path.Join(dir, n))
				if err != nil {
					return err
				}
				spring = spring || strings.Contains(string(data), "spring-boot")
			}
		}
		return nil
	}
	if err := walk(".", 0); err != nil {
		return providers.Suggestion{}, err
	}
	port, why, err := providers.ScanPort(ctx, fsys, dir, files, springPortRE, javaPortRE, providers.EnvPortRE)
	if err == nil && port == 0 && spring {
		port, why = 8080, "Spring Boot's default server.port"
	}
	return providers.Suggestion{Port: port, PortWhy: why}, err
}
