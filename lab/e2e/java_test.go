package e2e

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/distill-build/distill/lab/e2e/imagetest"
)

// javaTools are what must never reach a Java image: the JDK's tools, the
// build tools and their local repositories.
var javaTools = []string{"/usr/bin/javac", "/usr/bin/jar", "/usr/bin/jlink", "/usr/bin/jdeps", "/usr/bin/mvn", "/usr/share/maven",
	"/opt/java/openjdk", "/root/.m2", "/root/.gradle", "/src", "/out", "/opt/distill"}

// javaToolFile matches the JDK's and the build tools' programs anywhere
// in a layer.
var javaToolFile = regexp.MustCompile(`(^|/)bin/(javac|jar|jlink|jdeps|jmod|jpackage|mvn|gradle)$|(^|/)jmods/|(^|/)lib/ct\.sym$`)

// checkJava asserts what every Java image promises on top of
// checkDistroless: no JDK tools, no build tool, no sources or build
// files, the app as /app/app.jar with its layers.
func checkJava(t *testing.T, img *imagetest.Image) string {
	t.Helper()
	rootfs := checkDistroless(t, img)
	for _, p := range javaTools {
		if imagetest.Exists(rootfs, p) {
			t.Errorf("%s is in the image", p)
		}
	}
	if !imagetest.Exists(rootfs, "/app/app.jar") {
		t.Error("/app/app.jar is not in the image")
	}
	for _, e := range img.Entries(t) {
		name := strings.TrimPrefix(e.Header.Name, "./")
		if strings.HasSuffix(name, ".java") || strings.HasSuffix(name, "pom.xml") && !strings.Contains(name, "META-INF/") || strings.HasSuffix(name, ".gradle.kts") {
			t.Errorf("source or build file %s (layer %d) is in the image", name, e.Layer)
		}
		if javaToolFile.MatchString(name) {
			t.Errorf("JDK or build tool %s (layer %d) is in the image", name, e.Layer)
		}
	}
	return rootfs
}

func buildJava(t *testing.T, dir string, extra ...string) (*imagetest.Image, result) {
	t.Helper()
	out, r := buildx(t, dir, append([]string{"--platform", "linux/amd64"}, extra...)...)
	mustSucceed(t, r)
	return imagetest.Load(t, out, "linux/amd64"), r
}

// TestJavaSpringBoot: the Boot jar split by its layer index, run by the
// distroless Java runtime's own java (its entrypoint), as 65532.
func TestJavaSpringBoot(t *testing.T) {
	requireLab(t)
	t.Parallel() // see parallelTests
	img, _ := buildJava(t, example("java-spring-boot"))
	rootfs := checkJava(t, img)
	if got := strings.Join(img.Config.Config.Entrypoint, " "); got != "/usr/bin/java -jar /app/app.jar" {
		t.Errorf("entrypoint = %q, want the runtime's java -jar and the app", got)
	}
	if !imagetest.Exists(rootfs, "/app/lib") {
		t.Error("/app/lib (Boot's dependencies) is not in the image")
	}
	c := img.Run(t, imagetest.RunOpts{})
	if body := c.HTTPGet(t, 8080, "/", 90*time.Second); body != "hello from spring boot" {
		t.Errorf("GET / = %q\n%s", body, c.Logs())
	}
	if body := c.HTTPGet(t, 8080, "/info", 10*time.Second); !strings.Contains(body, `"java.version":"21`) {
		t.Errorf("GET /info = %q", body)
	}
	if uid := c.ProcessUID(t); uid != 65532 {
		t.Errorf("process uid = %d", uid)
	}
}

// TestJavaSpringBootJlink builds the Boot app with a linked runtime for
// amd64 and arm64 in one build: the bytecode once, each runtime linked
// from its platform's JDK modules, nothing emulated; both images run.
func TestJavaSpringBootJlink(t *testing.T) {
	requireLab(t)
	t.Parallel() // see parallelTests
	dir := copyDir(t, example("java-spring-boot"))
	writeManifest(t, dir, "language: java\nruntime: jlink\nmodules: [jdk.zipfs]\nexpose: [8080]\n")
	out, r := buildx(t, dir, "--platform", "linux/amd64,linux/arm64")
	mustSucceed(t, r)
	if strings.Contains(r.out, "(emulated: ") {
		t.Errorf("a step ran emulated:\n%s", tail(r.out, 40))
	}
	for _, step := range []string{"jlink a Java runtime for linux/amd64", "jlink a Java runtime for linux/arm64"} {
		if found, _ := stepStatus(r.out, step); !found {
			t.Errorf("no step %q", step)
		}
	}
	if n := strings.Count(r.out, "] mvn package"); n == 0 {
		t.Error("no mvn package step")
	}
	full, _ := buildJava(t, example("java-spring-boot"))
	for _, platform := range []string{"linux/amd64", "linux/arm64"} {
		img := imagetest.Load(t, out, platform)
		rootfs := checkJava(t, img)
		if got := strings.Join(img.Config.Config.Entrypoint, " "); got != "/opt/java/jre/bin/java -jar /app/app.jar" {
			t.Errorf("%s: entrypoint = %q", platform, got)
		}
		if imagetest.Exists(rootfs, "/usr/bin/java") {
			t.Errorf("%s: a JRE besides the linked one", platform)
		}
		if release, err := os.ReadFile(filepath.Join(rootfs, "opt/java/jre/release")); err != nil || !strings.Contains(string(release), "jdk.zipfs") {
			t.Errorf("%s: the linked runtime lacks the module modules: adds (%v)", platform, err)
		}
		t.Logf("%s: jlink image %.1f MB compressed, distroless java21 image %.1f MB", platform, float64(img.Size)/1e6, float64(full.Size)/1e6)
		if platform == "linux/amd64" && img.Size >= full.Size {
			t.Errorf("the jlink image (%d bytes) is not smaller than the full JRE's (%d)", img.Size, full.Size)
		}
		deadline := 60 * time.Second
		if platform == "linux/arm64" {
			deadline = 300 * time.Second // Spring Boot under qemu
		}
		c := img.Run(t, imagetest.RunOpts{})
		if body := c.HTTPGet(t, 8080, "/", deadline); body != "hello from spring boot" {
			t.Errorf("%s: GET / = %q\n%s", platform, body, c.Logs())
		}
	}
}

// TestJavaMaven: a plain app's jar gets its dependencies as a class
// path (Main-Class read from the jar), on the Java 25 runtime, and runs on
// arm64 from a build that ran nothing emulated.
func TestJavaMaven(t *testing.T) {
	requireLab(t)
	t.Parallel() // see parallelTests
	out, r := buildx(t, example("java-maven"), "--platform", "linux/amd64,linux/arm64")
	mustSucceed(t, r)
	if strings.Contains(r.out, "(emulated: ") {
		t.Errorf("a step ran emulated:\n%s", tail(r.out, 40))
	}
	if got := strings.Join(imagetest.IndexPlatforms(t, out), ","); got != "linux/amd64,linux/arm64/v8" && got != "linux/amd64,linux/arm64" {
		t.Errorf("index platforms = %v", got)
	}
	for _, platform := range []string{"linux/amd64", "linux/arm64"} {
		img := imagetest.Load(t, out, platform)
		rootfs := checkJava(t, img)
		if !imagetest.Exists(rootfs, "/app/lib/gson-2.13.1.jar") && len(globIn(rootfs, "/app/lib/gson-*.jar")) == 0 {
			t.Errorf("%s: gson is not in /app/lib", platform)
		}
		deadline := 30 * time.Second
		if platform == "linux/arm64" {
			deadline = 120 * time.Second
		}
		c := img.Run(t, imagetest.RunOpts{})
		if body := c.HTTPGet(t, 8080, "/", deadline); !strings.Contains(body, "hello from plain maven") {
			t.Errorf("%s: GET / = %q\n%s", platform, body, c.Logs())
		}
		if uid := c.ProcessUID(t); uid != 65532 {
			t.Errorf("%s: process uid = %d", platform, uid)
		}
	}
}

func globIn(rootfs, pattern string) []string {
	m, _ := filepath.Glob(filepath.Join(rootfs, pattern))
	return m
}

// TestJavaMultiModule builds the module main: names, with the reactor
// module it depends on on its class path, onto a linked runtime.
func TestJavaMultiModule(t *testing.T) {
	requireLab(t)
	t.Parallel() // see parallelTests
	img, r := buildJava(t, example("java-multimodule"))
	if found, _ := stepStatus(r.out, "mvn package -pl server"); !found {
		t.Errorf("no step building the server module:\n%s", tail(r.out, 40))
	}
	rootfs := checkJava(t, img)
	if len(globIn(rootfs, "/app/lib/greeting-*.jar")) == 0 {
		t.Error("the greeting module's jar is not on the app's class path")
	}
	if got := strings.Join(img.Config.Config.Entrypoint, " "); got != "/opt/java/jre/bin/java -jar /app/app.jar" {
		t.Errorf("entrypoint = %q, want the linked runtime's java", got)
	}
	if !imagetest.Exists(rootfs, "/opt/java/jre/lib/modules") || imagetest.Exists(rootfs, "/opt/java/jre/jmods") {
		t.Error("/opt/java/jre is not a linked runtime")
	}
	c := img.Run(t, imagetest.RunOpts{})
	if body := c.HTTPGet(t, 8080, "/", 30*time.Second); !strings.Contains(body, "Hello From The Multimodule Build") {
		t.Errorf("GET / = %q\n%s", body, c.Logs())
	}

	// A code change that needs no other module does not relink: the
	// link is keyed on the module lists, not on the build.
	dir := copyDir(t, example("java-multimodule"))
	_, first := buildJava(t, dir)
	src := filepath.Join(dir, "server/src/main/java/example/server/Main.java")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, bytes.Replace(data, []byte(`"not found"`), []byte(`"nothing here"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	_, second := buildJava(t, dir)
	if found, cached := stepStatus(second.out, "jlink a Java runtime for linux/amd64"); !found || !cached {
		t.Errorf("jlink after a code change: found=%v cached=%v\n%s", found, cached, tail(second.out, 40))
	}
	t.Logf("build %s, rebuild after a code change %s", first.dur.Round(time.Millisecond), second.dur.Round(time.Millisecond))
}

// TestJavaSourceOnlyChange edits the Boot app's controller: the
// dependency download is CACHED, the build downloads nothing, and only
// the application layer's digest changes.
func TestJavaSourceOnlyChange(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("java-spring-boot"))
	src := filepath.Join(dir, "src/main/java/example/boot/Application.java")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var greeting string
	greet := func(n int) {
		greeting = fmt.Sprintf("hello-%d-%d", time.Now().UnixNano(), n)
		if err := os.WriteFile(src, bytes.Replace(data, []byte("hello from spring boot"), []byte(greeting), 1), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The first build compiles this test's own source, so mvn package
	// runs and the local repository (a cache mount, which BuildKit's
	// garbage collection may have emptied since an earlier run) has what
	// package resolves beyond go-offline; the rebuild must then download
	// nothing.
	greet(1)
	first, r1 := buildJava(t, dir)
	greet(2)
	second, r2 := buildJava(t, dir)
	if found, cached := stepStatus(r2.out, "mvn dependency:go-offline"); !found || !cached {
		t.Errorf("the dependency download after a source-only change: found=%v cached=%v", found, cached)
	}
	if strings.Contains(r2.out, "Downloading from") || strings.Contains(r2.out, "Downloaded from") {
		t.Errorf("the rebuild downloaded:\n%s", tail(r2.out, 40))
	}
	t.Logf("first build %s, rebuild after a source change %s", r1.dur.Round(time.Millisecond), r2.dur.Round(time.Millisecond))
	if len(first.Layers) != len(second.Layers) {
		t.Fatalf("%d layers, then %d", len(first.Layers), len(second.Layers))
	}
	var changed []int
	var bytesChanged int
	for i := range first.Layers {
		if sha256.Sum256(first.Layers[i]) != sha256.Sum256(second.Layers[i]) {
			changed = append(changed, i)
			bytesChanged += len(second.Layers[i])
		}
	}
	if len(changed) != 1 || changed[0] != len(first.Layers)-1 {
		t.Errorf("layers that changed: %v of %d, want only the last (the application)", changed, len(first.Layers))
	}
	t.Logf("a one-line change re-pushes %d bytes (%d of %d layers)", bytesChanged, len(changed), len(first.Layers))
	c := second.Run(t, imagetest.RunOpts{})
	if body := c.HTTPGet(t, 8080, "/", 90*time.Second); body != greeting {
		t.Errorf("the rebuilt image serves %q", body)
	}
}

// TestJavaPrivateRepository resolves a dependency from a Maven
// repository that needs credentials, given only as the maven-settings
// secret; through the ca-bundle secret, the JVM trusts the proxy. Neither
// is in a layer, the config or the provenance.
func TestJavaPrivateRepository(t *testing.T) {
	requireLab(t)
	const user, pass = "distill", "s3cr3t-maven-token-4711"
	jar, pom := privateArtifact(t)
	base := "/maven/example/private/greeting/1.0/greeting-1.0"
	artifacts := map[string][]byte{base + ".jar": jar, base + ".pom": pom}
	repo := startPrivate(t, basicAuth(user, pass), func(w http.ResponseWriter, r *http.Request) {
		if data, ok := artifacts[r.URL.Path]; ok {
			w.Write(data)
			return
		}
		http.NotFound(w, r)
	})

	dir := t.TempDir()
	files := map[string]string{
		"distill.yaml": "# syntax=ghcr.io/distill-build/distill:1\nlanguage: java\nexpose: [8080]\n",
		"pom.xml": `<project><modelVersion>4.0.0</modelVersion><groupId>example</groupId><artifactId>uses-private</artifactId><version>1.0</version>
<properties><maven.compiler.release>21</maven.compiler.release><project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties>
<repositories><repository><id>private</id><url>` + repo.URL + `/maven</url></repository></repositories>
<dependencies><dependency><groupId>example.private</groupId><artifactId>greeting</artifactId><version>1.0</version></dependency></dependencies>
<build><plugins><plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-jar-plugin</artifactId><version>3.4.2</version>
<configuration><archive><manifest><mainClass>demo.Main</mainClass></manifest></archive></configuration></plugin></plugins></build></project>`,
		"src/main/java/demo/Main.java": `package demo;
public class Main {
    public static void main(String[] args) throws Exception {
        try (var in = Main.class.getResourceAsStream("/greeting.txt")) {
            System.out.println(new String(in.readAllBytes()).trim());
        }
    }
}
`,
	}
	for f, s := range files {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	settings := filepath.Join(t.TempDir(), "settings.xml")
	if err := os.WriteFile(settings, []byte(`<settings><servers><server><id>private</id><username>`+user+`</username><password>`+pass+`</password></server></servers></settings>`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, r := buildx(t, dir, "--platform", "linux/amd64", "--no-cache", "--provenance=mode=max", "--secret", "id=maven-settings,src="+settings)
	mustSucceed(t, r)
	repo.mustHaveBeenAsked(t)
	img := imagetest.Load(t, out, "linux/amd64")
	checkJava(t, img)
	runPrints(t, img, "hello from a private maven repository")
	checkNoSecret(t, out, img, r, pass)
	for _, e := range img.Entries(t) {
		if strings.HasSuffix(e.Header.Name, ".p12") || strings.Contains(e.Header.Name, "distill-truststore") {
			t.Errorf("a trust store is in the image: %s (layer %d)", e.Header.Name, e.Layer)
		}
	}
}

// privateArtifact is a jar with one resource and its pom.
func privateArtifact(t *testing.T) (jar, pom []byte) {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, s := range map[string]string{"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\r\n\r\n", "greeting.txt": "hello from a private maven repository\n"} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(s))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	pom = []byte(`<project><modelVersion>4.0.0</modelVersion><groupId>example.private</groupId><artifactId>greeting</artifactId><version>1.0</version></project>`)
	return b.Bytes(), pom
}

// TestJavaErrors: bad manifests fail at their line before anything runs.
func TestJavaErrors(t *testing.T) {
	requireLab(t)
	checkBuildErrors(t, "java-multimodule", []buildError{
		{"unsupported version", "language: java\nversion: \"11\"\nmain: server\n", []string{"distill.yaml:3", `Java "11" has no distroless runtime`, "supported: 25, 21, 17"}},
		{"unknown module", "language: java\nmain: web\n", []string{"distill.yaml:3", `no module "web"`, "greeting (greeting/), server (server/)"}},
		{"older runtime", "language: java\nmain: server\nbase: gcr.io/distroless/java17-debian13\n", []string{"distill.yaml:4", "UnsupportedClassVersionError"}},
	})
}
