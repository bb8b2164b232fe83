package java

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
)

// gradleFiles are Gradle's settings and build scripts, in the order a
// project's root is recognised by.
var gradleFiles = []string{"settings.gradle.kts", "settings.gradle", "build.gradle.kts", "build.gradle"}

// gradleProject is what distill reads of a Gradle build.
type gradleProject struct {
	// files are every settings and build script and lock file of the
	// build, relative to the context.
	files []string
	// projectPath is the Gradle project that runs (":" the root, or
	// ":server"), dir its directory relative to the root.
	projectPath, dir string
	// toolchain is the Java release the toolchain (or source
	// compatibility) asks for, and toolchainFile the script that says so.
	toolchain     int
	toolchainFile string
	locked        bool
}

var (
	toolchainRE = regexp.MustCompile(`languageVersion(?:\.set\(|\s*=\s*)\s*JavaLanguageVersion\.of\(\s*"?([0-9]+)"?\s*\)`)
	sourceRE    = regexp.MustCompile(`sourceCompatibility\s*=\s*(?:JavaVersion\.VERSION_(?:1_)?([0-9]+)|['"]?(?:1\.)?([0-9]+)['"]?)`)
)

// skipDirs are not searched for build scripts.
var skipDirs = []string{"build", ".gradle", ".git", "node_modules", "src", "out", "target", ".idea"}

// prepareGradle finds the build's scripts and the project that runs.
func (pr *project) prepareGradle(ctx context.Context) error {
	m := pr.m
	g := &gradleProject{projectPath: ":", dir: "."}
	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		entries, err := pr.req.FS.ReadDir(ctx, dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			name := e.Name()
			p := path.Join(dir, name)
			switch {
			case e.IsDir() && depth < 4 && !slices.Contains(skipDirs, name) && !strings.HasPrefix(name, "."):
				if err := walk(p, depth+1); err != nil {
					return err
				}
			case !e.IsDir() && (slices.Contains(gradleFiles, name) || name == "gradle.lockfile"):
				g.files = append(g.files, p)
				g.locked = g.locked || name == "gradle.lockfile"
			}
		}
		return nil
	}
	if err := walk(pr.tool.root, 0); err != nil {
		return fmt.Errorf("listing the Gradle build: %w", err)
	}
	slices.Sort(g.files)
	if m.Main.Set() {
		dir := path.Clean(strings.ReplaceAll(strings.TrimPrefix(m.Main.Value, ":"), ":", "/"))
		if !slices.ContainsFunc(g.files, func(f string) bool {
			return path.Dir(f) == path.Join(pr.tool.root, dir) && strings.HasPrefix(path.Base(f), "build.gradle")
		}) {
			return providers.Fail(m, m.Main.Range, "name a project of the build by its path, e.g. server or :server", "no Gradle project %q (no build.gradle(.kts) in %s/)", m.Main.Value, dir)
		}
		g.dir, g.projectPath = dir, ":"+strings.ReplaceAll(dir, "/", ":")
	}
	for _, f := range g.files {
		data, _, err := providers.ReadFile(ctx, pr.req.FS, f)
		if err != nil {
			return err
		}
		mm := toolchainRE.FindSubmatch(data)
		if mm == nil {
			if s := sourceRE.FindSubmatch(data); s != nil {
				mm = [][]byte{nil, append(s[1], s[2]...)}
			}
		}
		// The project's own script wins over the others'.
		if mm != nil && (g.toolchain == 0 || path.Dir(f) == path.Join(pr.tool.root, g.dir)) {
			g.toolchain, _ = strconv.Atoi(string(mm[1]))
			g.toolchainFile = f
		}
	}
	if !g.locked {
		pr.findings = append(pr.findings, check.Finding{Rule: check.DependenciesWithoutLock, Range: pr.tool.fileRange,
			Msg:  "the Gradle build has no gradle.lockfile: dependency versions are resolved anew on each build",
			Hint: "enable dependency locking (dependencyLocking { lockAllConfigurations() }) and run `gradle dependencies --write-locks`"})
	}
	pr.gradle = g
	return nil
}

// initScript adds the two tasks distill runs to every project: one that
// resolves every configuration (the download step), one that copies the
// runnable jar (Spring Boot's bootJar when the project has it) and the
// runtime classpath where the layout helper reads them.
const initScript = `// Written by distill: the tasks its build steps run.
allprojects {
    tasks.register("distillResolve") {
        doLast {
            project.configurations.findAll { it.canBeResolved }.each { c ->
                try { c.resolve() } catch (Exception e) { logger.info("distill: ${project.path} ${c.name}: ${e.message}") }
            }
        }
    }
    pluginManager.withPlugin("java") {
        tasks.register("distillJar", Copy) {
            def jarTask = tasks.findByName("bootJar") ?: tasks.getByName("jar")
            from(jarTask)
            into(System.getenv("DISTILL_JAR_DIR"))
            doLast {
                project.copy {
                    from(project.configurations.getByName("runtimeClasspath"))
                    into(System.getenv("DISTILL_DEPS_DIR"))
                }
            }
        }
    }
}
`

// initScriptPath is where the init script is written in the builder.
const initScriptPath = "/opt/distill/init.gradle"

// gradleSteps copies the scripts and downloads, then copies the sources
// and builds the project's jar, with its runtime classpath next to it.
func (pr *project) gradleSteps() ([]plan.Step, error) {
	g := pr.gradle
	depsOrigin := providers.DependenciesOrigin(pr.m)
	gradle := "gradle"
	files := slices.Clone(g.files)
	if pr.tool.wrapper != "" {
		gradle = "./gradlew"
		files = append(files, path.Join(pr.tool.root, "gradlew"))
	}
	files = append(files, pr.present("gradle", "gradle.properties", "settings-gradle.lockfile", "buildSrc", "build-logic")...)
	dir := path.Join(srcDir, pr.tool.root)
	caches := []plan.Cache{
		{ID: "gradle-caches", Target: gradleHome + "/caches", Sharing: "locked"},
		{ID: "gradle-wrapper", Target: gradleHome + "/wrapper", Sharing: "locked"},
	}
	task := g.projectPath + ":distillJar"
	if g.projectPath == ":" {
		task = ":distillJar"
	}
	buildOrigin := providers.Origin("language", pr.m.Language.Range)
	if pr.m.Main.Set() {
		buildOrigin = providers.Origin("main", pr.m.Main.Range)
	}
	flags := []string{"--no-daemon", "--console=plain", "-I", initScriptPath}
	return []plan.Step{
		{Name: "[java] copy the build files", Origin: depsOrigin, Copy: &plan.Copy{Paths: files, Dest: srcDir}},
		{Name: "[java] write distill's Gradle init script", Origin: depsOrigin, Write: &plan.Write{Path: initScriptPath, Content: initScript}},
		{Name: "[java] gradle distillResolve (download the dependencies)", Origin: depsOrigin, Run: &plan.Run{
			Args: run(append(append([]string{gradle}, flags...), "distillResolve")...),
			Dir:  dir, Caches: caches, Network: true,
			Secrets: []plan.Secret{{ID: "gradle-properties", Target: gradleProps}},
			Mounts:  []plan.Mount{helperMount},
		}},
		{Name: "[java] copy sources", Origin: buildOrigin, Copy: &plan.Copy{Dest: srcDir, Exclude: pr.buildOutputs()}},
		{Name: "[java] gradle " + task, Origin: buildOrigin, Run: &plan.Run{
			Args: run(append(append([]string{gradle}, flags...), task)...),
			Dir:  dir, Caches: caches, Mounts: []plan.Mount{helperMount}, Network: true,
			Secrets: []plan.Secret{{ID: "gradle-properties", Target: gradleProps}},
			Env:     []string{"DISTILL_JAR_DIR=" + pr.targetDir(), "DISTILL_DEPS_DIR=" + depsDir},
		}},
	}, nil
}
