package java

import (
	"archive/zip"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

var (
	amd64 = ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = ocispecs.Platform{OS: "linux", Architecture: "arm64"}
)

func pomXML(artifact, props, extra string) string {
	return `<project><modelVersion>4.0.0</modelVersion><groupId>g</groupId><artifactId>` + artifact +
		`</artifactId><version>1.0</version><properties>` + props + `</properties>` + extra + `</project>`
}

// prepare plans files (the manifest is distill.yaml) for amd64 and arm64.
func prepare(t *testing.T, files map[string]string) ([]providers.Build, error) {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := manifest.Parse("distill.yaml", []byte(files["distill.yaml"]))
	if err != nil {
		t.Fatal(err)
	}
	builds, _, err := providers.Plan(context.Background(), Provider{}, providers.Request{
		Manifest: m, FS: contextfs.Dir(dir), Platforms: []ocispecs.Platform{amd64, arm64}, BuildPlatform: amd64,
	})
	return builds, err
}

func TestVersion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string // builder ref suffix, or the error's text
	}{
		{"default", map[string]string{"pom.xml": pomXML("a", "", "")}, "temurin-21"},
		{"release", map[string]string{"pom.xml": pomXML("a", "<maven.compiler.release>17</maven.compiler.release>", "")}, "temurin-17"},
		{"java.version interpolated", map[string]string{"pom.xml": pomXML("a", "<jdk>25</jdk><java.version>${jdk}</java.version>", "")}, "temurin-25"},
		{"old style target", map[string]string{"pom.xml": pomXML("a", "<maven.compiler.target>1.8</maven.compiler.target>", "")}, "asks for Java 8"},
		{"java-version file", map[string]string{"pom.xml": pomXML("a", "", ""), ".java-version": "temurin64-25.0.1\n"}, "temurin-25"},
		{"manifest", map[string]string{"pom.xml": pomXML("a", "", ""), "distill.yaml": "language: java\nversion: \"25\"\n"}, "temurin-25"},
		{"manifest unsupported", map[string]string{"pom.xml": pomXML("a", "", ""), "distill.yaml": "language: java\nversion: \"11\"\n"}, "supported: 25, 21, 17"},
		{"manifest older than the release", map[string]string{"pom.xml": pomXML("a", "<maven.compiler.release>25</maven.compiler.release>", ""), "distill.yaml": "language: java\nversion: 21\n"}, "cannot produce"},
		{"gradle toolchain", map[string]string{"build.gradle.kts": "java { toolchain { languageVersion = JavaLanguageVersion.of(17) } }"}, "gradle:jdk17"},
		{"gradlew", map[string]string{"build.gradle": "java { toolchain { languageVersion.set(JavaLanguageVersion.of(25)) } }", "gradlew": "#!/bin/sh"}, "eclipse-temurin:25-jdk"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.files["distill.yaml"] == "" {
				tc.files["distill.yaml"] = "language: java\n"
			}
			builds, err := prepare(t, tc.files)
			got := ""
			if err != nil {
				got = err.Error()
			} else {
				got = builds[0].Builder.Ref
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want %q in it", got, tc.want)
			}
		})
	}
}

func TestMultiModule(t *testing.T) {
	t.Parallel()
	parent := pomXML("parent", "<maven.compiler.release>21</maven.compiler.release>", "<packaging>pom</packaging><modules><module>lib</module><module>server</module></modules>")
	child := func(a string) string {
		return `<project><parent><groupId>g</groupId><artifactId>parent</artifactId><version>1.0</version></parent><artifactId>` + a + `</artifactId></project>`
	}
	files := map[string]string{"pom.xml": parent, "lib/pom.xml": child("lib"), "server/pom.xml": child("server-app"), "distill.yaml": "language: java\n"}
	if _, err := prepare(t, files); err == nil || !strings.Contains(err.Error(), "set main: to the module that runs, one of: lib (lib/), server-app (server/)") {
		t.Fatalf("ambiguous modules: %v", err)
	}
	for _, main := range []string{"server", "server-app", "./server"} {
		files["distill.yaml"] = "language: java\nmain: " + main + "\n"
		builds, err := prepare(t, files)
		if err != nil {
			t.Fatal(err)
		}
		b := builds[0]
		pkg := b.Steps[3].Run.Args
		if !slices.Contains(pkg, "-pl") || pkg[slices.Index(pkg, "-pl")+1] != "server" {
			t.Errorf("main %s: package step %v does not build the server module", main, pkg)
		}
		if got := b.Steps[0].Copy.Paths; !slices.Equal(got, []string{"lib/pom.xml", "pom.xml", "server/pom.xml"}) {
			t.Errorf("build files %v", got)
		}
		if got := b.Steps[2].Copy.Exclude; !slices.Equal(got, []string{"lib/target", "server/target", "target"}) {
			t.Errorf("excluded %v", got)
		}
		if b.Builder.Ref != "docker.io/library/maven:3.9-eclipse-temurin-21" {
			t.Errorf("builder %s: the parent's release is not inherited", b.Builder.Ref)
		}
	}
	files["distill.yaml"] = "language: java\nmain: nothing\n"
	if _, err := prepare(t, files); err == nil || !strings.Contains(err.Error(), `no module "nothing"`) {
		t.Errorf("unknown module: %v", err)
	}
}

func TestRuntimes(t *testing.T) {
	t.Parallel()
	pom := pomXML("a", "", "")
	builds, err := prepare(t, map[string]string{"pom.xml": pom, "distill.yaml": "language: java\n"})
	if err != nil {
		t.Fatal(err)
	}
	b := builds[1]
	if b.Runtime.Ref != "gcr.io/distroless/java21-debian13" || !b.PrependBaseEntrypoint || !slices.Equal(b.Command, []string{appJar}) {
		t.Errorf("default runtime %s, prepend %v, command %v", b.Runtime.Ref, b.PrependBaseEntrypoint, b.Command)
	}
	if b.Builder.Platform != "linux/amd64" {
		t.Errorf("arm64's bytecode is built on %s, not the build platform", b.Builder.Platform)
	}
	builds, err = prepare(t, map[string]string{"pom.xml": pom, "distill.yaml": "language: java\nruntime: jlink\nmodules: [jdk.localedata]\n"})
	if err != nil {
		t.Fatal(err)
	}
	b = builds[1]
	if b.Runtime.Ref != "gcr.io/distroless/java-base-debian13" || b.PrependBaseEntrypoint || b.Command[0] != "/opt/java/jre/bin/java" {
		t.Errorf("jlink runtime %s, command %v", b.Runtime.Ref, b.Command)
	}
	link := b.Steps[len(b.Steps)-1].Run
	var jdk *plan.Image
	for _, m := range link.Mounts {
		if m.From == plan.MountImage {
			jdk = m.Image
		}
	}
	if jdk == nil || jdk.Platform != "linux/arm64" || !slices.Contains(link.Args, "jdk.localedata") {
		t.Errorf("the arm64 jlink step mounts %+v, args %v", jdk, link.Args)
	}
	for _, s := range b.Steps[len(b.Steps)-3:] {
		if len(s.Run.Inputs) == 0 || len(s.Run.Outputs) == 0 {
			t.Errorf("%s is not isolated: it would re-run on every change of the app", s.Name)
		}
	}
	if link.Emulated != nil || b.Steps[len(b.Steps)-2].Run.Emulated != nil {
		t.Error("a jlink step runs emulated")
	}
	if fb := link.Fallback; link.Probe == "" || fb == nil || fb.Run.Emulated == nil || fb.Run.Emulated.Builder.Platform != "linux/arm64" || !strings.Contains(fb.Name, "(emulated: linux/arm64") {
		t.Errorf("the arm64 link has no emulated fallback for a JDK without jmods: probe %q, fallback %+v", link.Probe, fb)
	}
	if fb := builds[0].Steps[len(builds[0].Steps)-1].Run.Fallback; fb == nil || fb.Run.Emulated != nil {
		t.Errorf("the amd64 link's fallback (from the running JDK) should run natively: %+v", fb)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"language: java\nmodules: [java.sql]\n", "only read with runtime: jlink"},
		{"language: java\nruntime: graal\n", `unknown Java runtime "graal"`},
		{"language: java\nbase: cc\n", "has no Java runtime"},
		{"language: java\nversion: 21\nbase: gcr.io/distroless/java17-debian13\n", "UnsupportedClassVersionError"},
		{"language: java\nruntime: jlink\nmodules: [\"not a module\"]\n", "is not a Java module name"},
	} {
		if _, err := prepare(t, map[string]string{"pom.xml": pom, "distill.yaml": tc.yaml}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

func TestSetClassPath(t *testing.T) {
	t.Parallel()
	mf := "Manifest-Version: 1.0\r\nClass-Path: old.jar\r\n more.jar\r\nMain-Class: demo.Main\r\n\r\nName: x\r\nA: b\r\n"
	var cp []string
	for _, n := range []string{"gson-2.13.1.jar", "slf4j-api-2.0.17.jar", "slf4j-simple-2.0.17.jar", "a-very-long-artifact-name-that-wraps-1.0.0.jar"} {
		cp = append(cp, "lib/"+n)
	}
	out := string(setClassPath([]byte(mf), cp))
	for _, l := range strings.Split(out, "\r\n") {
		if len(l) > 72 {
			t.Errorf("line longer than 72 bytes: %q", l)
		}
	}
	attrs := parseManifest([]byte(out))
	if attrs["Class-Path"] != strings.Join(cp, " ") || attrs["Main-Class"] != "demo.Main" {
		t.Errorf("attributes %q", attrs)
	}
	if !strings.HasSuffix(out, "Name: x\r\nA: b\r\n") {
		t.Errorf("the per-entry sections are lost: %q", out)
	}
}

func TestLayoutPlainJar(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeJar := func(p string, files map[string]string) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		zw := zip.NewWriter(f)
		for _, n := range slices.Sorted(func(yield func(string) bool) {
			for k := range files {
				if !yield(k) {
					return
				}
			}
		}) {
			w, _ := zw.Create(n)
			io.WriteString(w, files[n])
		}
		zw.Close()
		f.Close()
	}
	writeJar(filepath.Join(dir, "target/app-1.0.jar"), map[string]string{"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\r\nMain-Class: demo.Main\r\n\r\n", "demo/Main.class": "x"})
	writeJar(filepath.Join(dir, "target/app-1.0-sources.jar"), map[string]string{"demo/Main.java": "x"})
	writeJar(filepath.Join(dir, "deps/gson-2.13.1.jar"), map[string]string{"a": "b"})
	writeJar(filepath.Join(dir, "deps/shared-1.0-SNAPSHOT.jar"), map[string]string{"a": "b"})
	out := filepath.Join(dir, "layers")
	if err := layout(filepath.Join(dir, "target"), filepath.Join(dir, "deps"), out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"dependencies/lib/gson-2.13.1.jar", "snapshot-dependencies/lib/shared-1.0-SNAPSHOT.jar", "application/app.jar", "spring-boot-loader"} {
		if _, err := os.Stat(filepath.Join(out, want)); err != nil {
			t.Error(err)
		}
	}
	mf, boot, err := readManifest(filepath.Join(out, "application/app.jar"))
	if err != nil || boot || mf["Class-Path"] != "lib/gson-2.13.1.jar lib/shared-1.0-SNAPSHOT.jar" {
		t.Errorf("app.jar manifest %q (boot %v, %v)", mf, boot, err)
	}
	// A jar without Main-Class cannot run with java -jar.
	writeJar(filepath.Join(dir, "lib-target/lib-1.0.jar"), map[string]string{"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\r\n\r\n"})
	if err := layout(filepath.Join(dir, "lib-target"), "", filepath.Join(dir, "l2"), io.Discard); err == nil || !strings.Contains(err.Error(), "names no Main-Class") {
		t.Errorf("no Main-Class: %v", err)
	}
	if _, err := appJarIn(filepath.Join(dir, "missing")); err == nil {
		t.Error("no error for a build without jars")
	}
}

// fakeJDK writes a JDK home with a release file and a jlink that records
// its arguments, with or without jmods.
func fakeJDK(t *testing.T, home, arch string, jmods bool) {
	t.Helper()
	for _, d := range []string{"bin", "jmods"} {
		if d == "jmods" && !jmods {
			continue
		}
		if err := os.MkdirAll(filepath.Join(home, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"release":   "JAVA_VERSION=\"21.0.9\"\nOS_ARCH=\"" + arch + "\"\nMODULES=\"java.base jdk.crypto.ec\"\n",
		"bin/jlink": "#!/bin/sh\necho \"$@\" > \"$(dirname \"$0\")/../jlink.args\"\n",
	}
	if jmods {
		files["jmods/java.base.jmod"] = ""
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(home, name), []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func TestJlinkHelper(t *testing.T) {
	dir := t.TempDir()
	own := filepath.Join(dir, "build/opt/java/openjdk")
	fakeJDK(t, own, "x86_64", true)
	t.Setenv("PATH", filepath.Join(own, "bin")+":"+os.Getenv("PATH"))
	mods := filepath.Join(dir, "modules.txt")
	os.WriteFile(mods, []byte("java.base,java.sql\n"), 0o644)
	probe := filepath.Join(dir, "probe")

	// The target's JDK ships jmods: linked from them, natively.
	arm := filepath.Join(dir, "arm")
	fakeJDK(t, filepath.Join(arm, "usr/lib/jvm/java-21-openjdk-arm64"), "aarch64", true)
	if err := jlink(mods, "jdk.localedata", arm, filepath.Join(dir, "jre"), probe, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	args, _ := os.ReadFile(filepath.Join(own, "jlink.args"))
	if !strings.Contains(string(args), "--module-path "+filepath.Join(arm, "usr/lib/jvm/java-21-openjdk-arm64/jmods")) || !strings.Contains(string(args), "java.base,java.sql,jdk.localedata") {
		t.Errorf("jlink %s", args)
	}
	if got, _ := os.ReadFile(probe); string(got) != "ok\n" {
		t.Errorf("probe %q", got)
	}

	// No jmods (Temurin 24+) for another platform: the probe says why,
	// nothing is linked.
	os.Remove(filepath.Join(own, "jlink.args"))
	noJmods := filepath.Join(dir, "arm-nojmods")
	fakeJDK(t, filepath.Join(noJmods, "opt/java/openjdk"), "aarch64", false)
	if err := jlink(mods, "", noJmods, filepath.Join(dir, "jre2"), probe, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(probe); !strings.Contains(string(got), "no jmods") {
		t.Errorf("probe %q", got)
	}
	if _, err := os.Stat(filepath.Join(own, "jlink.args")); err == nil {
		t.Error("jlink ran for another platform without its jmods")
	}

	// No jmods on its own platform: linked from the run-time image.
	same := filepath.Join(dir, "same")
	fakeJDK(t, filepath.Join(same, "opt/java/openjdk"), "x86_64", false)
	if err := jlink(mods, "", same, filepath.Join(dir, "jre3"), "", io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	args, _ = os.ReadFile(filepath.Join(own, "jlink.args"))
	if strings.Contains(string(args), "--module-path") || !strings.Contains(string(args), "jdk.crypto.ec") {
		t.Errorf("jlink from the run-time image: %s", args)
	}
}
