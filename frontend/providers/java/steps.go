package java

import (
	"path"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Maven's local repository and wrapper distributions (cache mounts), and
// where the settings.xml secret is mounted.
const (
	m2Repo      = "/root/.m2/repository"
	m2Wrapper   = "/root/.m2/wrapper"
	m2Settings  = "/root/.m2/settings.xml"
	gradleHome  = "/root/.gradle"
	gradleProps = gradleHome + "/gradle.properties"
	// dependencyPlugin is the maven-dependency-plugin the steps call by
	// coordinates (the project's own version, if any, is not consulted).
	dependencyPlugin = "org.apache.maven.plugins:maven-dependency-plugin:3.10.0"
	// outputTimestamp is the jar entries' time when the pom sets none
	// (Maven's reproducible builds), so the same sources give the same
	// jar.
	outputTimestamp = "1980-01-01T00:00:02Z"
)

// run wraps a build tool's command in the java-run helper, which gives
// the JVM a trust store made from the step's CA bundle (the JDK reads no
// PEM bundle) and removes it when the command ends.
func run(args ...string) []string {
	return append([]string{providers.HelperBin, "java-run", "--"}, args...)
}

// helperMount mounts the frontend's image, whose binary runs the helpers.
var helperMount = plan.Mount{From: plan.MountFrontend, Target: providers.HelperMount}

// skipTests are Maven's flags for the build (MAVEN_ARGS, which a declared
// arg adds to: -DskipTests=false runs the tests).
const skipTests = "MAVEN_ARGS=-DskipTests"

// mavenEnv is the Maven steps' environment: tests skipped, and no
// MAVEN_CONFIG (the official images set it to /root/.m2 for their
// entrypoint, and mvnw would pass it to Maven as an argument).
var mavenEnv = []string{skipTests, "MAVEN_CONFIG="}

// mavenSteps copies the poms and downloads, then copies the sources and
// packages the module that runs with the modules it needs, copying its
// runtime dependencies next to it.
func (pr *project) mavenSteps() ([]plan.Step, error) {
	depsOrigin := providers.DependenciesOrigin(pr.m)
	mvn := "mvn"
	files := pr.maven.poms()
	if pr.tool.wrapper != "" {
		mvn = "./mvnw"
		files = append(files, path.Join(pr.tool.root, "mvnw"))
	}
	files = append(files, pr.present(".mvn")...)
	dir := path.Join(srcDir, pr.tool.root)
	caches := []plan.Cache{
		{ID: "maven-repo", Target: m2Repo, Sharing: "locked"},
		{ID: "maven-wrapper", Target: m2Wrapper, Sharing: "locked"},
	}
	secrets := []plan.Secret{{ID: "maven-settings", Target: m2Settings}}
	download := plan.Step{Name: "[java] mvn dependency:go-offline", Origin: depsOrigin, Run: &plan.Run{
		// The reactor's own modules are built, not downloaded.
		Args: run(mvn, "-B", "-ntp", dependencyPlugin+":go-offline", "-DexcludeReactor=true"),
		Dir:  dir, Env: slices.Clone(mavenEnv), Caches: caches, Network: true, Secrets: secrets,
		Mounts: []plan.Mount{helperMount},
	}}
	// Online: go-offline misses some of what the build resolves (versions
	// chosen by mediation, plugins' own dependencies); with the local
	// repository a cache mount, a rebuild finds them there and downloads
	// nothing.
	pkg := []string{mvn, "-B"}
	if _, ok := pr.module.property("project.build.outputTimestamp"); !ok {
		pkg = append(pkg, "-Dproject.build.outputTimestamp="+outputTimestamp)
	}
	if pr.module.dir != "." {
		pkg = append(pkg, "-pl", pr.module.dir, "-am")
	}
	pkg = append(pkg, "package", dependencyPlugin+":copy-dependencies", "-DincludeScope=runtime", "-DoutputDirectory="+depsDir)
	buildOrigin := providers.Origin("language", pr.m.Language.Range)
	if pr.m.Main.Set() {
		buildOrigin = providers.Origin("main", pr.m.Main.Range)
	}
	name := "[java] mvn package"
	if pr.module.dir != "." {
		name += " -pl " + pr.module.dir
	}
	return []plan.Step{
		{Name: "[java] copy the build files", Origin: depsOrigin, Copy: &plan.Copy{Paths: files, Dest: srcDir}},
		download,
		{Name: "[java] copy sources", Origin: buildOrigin, Copy: &plan.Copy{Dest: srcDir, Exclude: pr.buildOutputs()}},
		{Name: name, Origin: buildOrigin, Run: &plan.Run{
			Args: run(pkg...), Dir: dir, Env: slices.Clone(mavenEnv), Caches: caches, Network: true, Secrets: secrets,
			Mounts: []plan.Mount{helperMount},
		}},
	}, nil
}

// buildOutputs are the build tools' output directories of every module,
// never copied from the context (a stale jar there would be taken for the
// app).
func (pr *project) buildOutputs() []string {
	var out []string
	if pr.maven != nil {
		for _, m := range pr.maven.modules {
			out = append(out, path.Join(pr.tool.root, m.dir, "target"))
		}
	} else {
		out = append(out, path.Join(pr.tool.root, ".gradle"))
		for _, f := range pr.gradle.files {
			out = append(out, path.Join(path.Dir(f), "build"))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// present lists the optional inputs (paths relative to the project
// root) the context has, as found when the project was read.
func (pr *project) present(names ...string) []string {
	var out []string
	for _, n := range names {
		if p := path.Join(pr.tool.root, n); slices.Contains(pr.existing, p) {
			out = append(out, p)
		}
	}
	return out
}

// targetDir is where the tool leaves the module's jar, in the builder.
func (pr *project) targetDir() string {
	if pr.tool.name == "maven" {
		return path.Join(srcDir, pr.tool.root, pr.module.dir, "target")
	}
	return path.Join(outDir, "gradle-jar")
}

// layoutStep splits the app into the image's layers (java-layout).
func (pr *project) layoutStep() plan.Step {
	origin := providers.Origin("language", pr.m.Language.Range)
	return plan.Step{Name: "[java] split the app into layers", Origin: origin, Run: &plan.Run{
		Args: []string{providers.HelperBin, "java-layout", "--jars", pr.targetDir(), "--deps", depsDir, "--out", layersDir},
		Dir:  "/", Mounts: []plan.Mount{helperMount},
	}}
}

// jlinkSteps find the modules the app needs and link a runtime of them
// from the target platform's JDK, mounted from its builder image, with
// the build platform's jlink: no emulation. The three steps are isolated
// (plan.Run.Inputs), so each re-runs only when what it reads changes:
// jdeps over the dependencies (the same on every platform) and over the
// app's own jar, and the link, keyed on the two module lists: a change of
// the app's code that needs no other module re-runs only the app's jdeps.
func (pr *project) jlinkSteps(p ocispecs.Platform) ([]plan.Step, plan.Artifact) {
	origin := providers.Origin("runtime", pr.m.Runtime.Range)
	jdeps := func(name, out string, layers ...string) plan.Step {
		args := []string{providers.HelperBin, "java-modules", "--release", itoa(pr.major), "--out", path.Join(modulesDir, out)}
		var inputs []string
		for _, l := range layers {
			inputs = append(inputs, path.Join(layersDir, l))
			args = append(args, "--in", path.Join(layersDir, l))
		}
		return plan.Step{Name: "[java] jdeps: the modules " + name + " need", Origin: origin, Run: &plan.Run{
			Args: args, Dir: "/", Mounts: []plan.Mount{helperMount}, Inputs: inputs, Outputs: []string{modulesDir},
		}}
	}
	deps := jdeps("the dependencies", "dependencies.txt", "dependencies", "spring-boot-loader", "snapshot-dependencies")
	app := jdeps("the app's code", "application.txt", "application")
	target := pr.builder
	target.Platform = platforms.Format(p)
	args := []string{providers.HelperBin, "java-jlink", "--modules", modulesDir, "--jdk", targetJDK, "--out", jreOut}
	if len(pr.modules) > 0 {
		args = append(args, "--add", strings.Join(pr.modules, ","))
	}
	native := " for " + platforms.Format(p)
	link := plan.Step{Name: "[java] jlink a Java runtime" + native, Origin: origin, Run: &plan.Run{
		Args: append(slices.Clone(args), "--probe", jlinkProbe), Dir: "/",
		Mounts: []plan.Mount{helperMount, {From: plan.MountImage, Target: targetJDK, Image: &target}},
		// jlink refuses an output directory that exists: it links
		// into a new one inside the step's output.
		Probe: jlinkProbe, Inputs: []string{modulesDir}, Outputs: []string{path.Dir(jreOut)},
	}}
	// A target JDK without jmods (Temurin 24 and later) links only on its
	// own platform: then the link runs in the target's builder, emulated,
	// from its own run-time image.
	args[slices.Index(args, "--jdk")+1] = "/"
	fallback := plan.Step{Name: link.Name, Origin: origin, Run: &plan.Run{Args: args, Dir: "/", Mounts: []plan.Mount{helperMount}}}
	if !providers.SamePlatform(p, pr.req.BuildPlatform) {
		fallback = providers.InTarget(fallback, target, providers.Emulated(p, "its JDK has no jmods to link from on "+platforms.Format(pr.req.BuildPlatform)), native, nil, outDir)
	}
	link.Run.Fallback = &fallback
	return []plan.Step{deps, app, link}, plan.Artifact{From: plan.FromBuilder, Src: jreOut, Dest: jreDir, Layer: "java-runtime", Origin: origin}
}
