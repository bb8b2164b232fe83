package java

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// ModulesHelper is the java-modules helper: `java-modules --app DIR
// --release N --out FILE` runs the builder's jdeps over the app's layers
// (application/app.jar and every lib/*.jar) and writes the Java modules
// they need, comma-separated, to FILE.
func ModulesHelper(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("java-modules", flag.ContinueOnError)
	fl.SetOutput(stderr)
	app := fl.String("app", "", "directory of the app's layers")
	release := fl.String("release", "", "the Java release of multi-release jars to read")
	out := fl.String("out", "", "file to write the modules to")
	if err := fl.Parse(args[1:]); err != nil {
		return 2
	}
	jar := filepath.Join(*app, "application", "app.jar")
	libs, _ := filepath.Glob(filepath.Join(*app, "*", "lib", "*.jar"))
	slices.Sort(libs)
	jdepsArgs := []string{"--ignore-missing-deps", "--print-module-deps", "--multi-release", *release}
	if len(libs) > 0 {
		jdepsArgs = append(jdepsArgs, "--class-path", strings.Join(libs, string(os.PathListSeparator)))
	}
	jdepsArgs = append(append(jdepsArgs, jar), libs...)
	var o bytes.Buffer
	cmd := exec.Command("jdeps", jdepsArgs...)
	cmd.Stdout, cmd.Stderr = &o, stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(stderr, "java-modules: jdeps could not list the modules the app needs (%v); set them with modules: in the manifest, or leave runtime: jlink out\n", err)
		return 1
	}
	mods := lastLine(o.String())
	if mods == "" {
		mods = "java.base"
	}
	fmt.Fprintf(stdout, "jdeps: the app needs %s\n", mods)
	if err := os.WriteFile(*out, []byte(mods+"\n"), 0o644); err != nil {
		fmt.Fprintf(stderr, "java-modules: %v\n", err)
		return 1
	}
	return 0
}

// lastLine is the last non-empty line of jdeps' output (warnings come
// first).
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// defaultModules are linked when the target JDK has them, whatever jdeps
// says: code reaches them through service loaders, which jdeps cannot see
// (elliptic-curve TLS before Java 22).
var defaultModules = []string{"jdk.crypto.ec"}

// JlinkHelper is the java-jlink helper: `java-jlink --modules FILE [--add
// m1,m2] --jdk DIR --out DIR` links a Java runtime of the modules with the
// builder's jlink from the JDK under --jdk (the target platform's builder
// image, mounted): its jmods are the target's, so the runtime is the
// target's, and nothing runs emulated. Both JDKs must be the same
// release, as jlink requires.
func JlinkHelper(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("java-jlink", flag.ContinueOnError)
	fl.SetOutput(stderr)
	modulesFile := fl.String("modules", "", "file with the modules jdeps found")
	add := fl.String("add", "", "modules to add, comma-separated")
	jdk := fl.String("jdk", "", "root of the target platform's JDK image")
	out := fl.String("out", "", "directory of the linked runtime")
	if err := fl.Parse(args[1:]); err != nil {
		return 2
	}
	if err := jlink(*modulesFile, *add, *jdk, *out, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "java-jlink: %v\n", err)
		return 1
	}
	return 0
}

func jlink(modulesFile, add, jdkRoot, out string, stdout, stderr io.Writer) error {
	data, err := os.ReadFile(modulesFile)
	if err != nil {
		return err
	}
	mods := strings.Split(strings.TrimSpace(string(data)), ",")
	if add != "" {
		mods = append(mods, strings.Split(add, ",")...)
	}
	jmods, err := findJmods(jdkRoot)
	if err != nil {
		return err
	}
	for _, m := range defaultModules {
		if _, err := os.Stat(filepath.Join(jmods, m+".jmod")); err == nil {
			mods = append(mods, m)
		}
	}
	slices.Sort(mods)
	mods = slices.Compact(mods)
	// jlink links only modules of its own release.
	target := javaVersion(filepath.Dir(jmods))
	own := ""
	if p, err := exec.LookPath("jlink"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			own = javaVersion(filepath.Dir(filepath.Dir(r)))
		}
	}
	if own != "" && target != "" && own != target {
		return fmt.Errorf("the builder's JDK is %s but the target platform's is %s: jlink links only its own release; pin the builder by digest (distill lock) so both platforms' images are the same release", own, target)
	}
	args := []string{"--module-path", jmods, "--add-modules", strings.Join(mods, ","),
		"--strip-debug", "--no-man-pages", "--no-header-files", "--output", out}
	fmt.Fprintf(stdout, "jlink %s\n", strings.Join(args, " "))
	cmd := exec.Command("jlink", args...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	return cmd.Run()
}

// findJmods finds the jmods directory of the JDK in an image's root: the
// one of JAVA_HOME's usual places that has java.base.jmod, else the first
// found under /opt, /usr/lib/jvm and /usr/local.
func findJmods(root string) (string, error) {
	for _, c := range []string{"opt/java/openjdk/jmods"} {
		p := filepath.Join(root, c)
		if _, err := os.Stat(filepath.Join(p, "java.base.jmod")); err == nil {
			return p, nil
		}
	}
	found := ""
	for _, dir := range []string{"opt", "usr/lib/jvm", "usr/local"} {
		base := filepath.Join(root, dir)
		_ = filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
			if err != nil || found != "" {
				return fs.SkipDir
			}
			rel, _ := filepath.Rel(base, p)
			if d.IsDir() && strings.Count(rel, string(filepath.Separator)) > 3 {
				return fs.SkipDir
			}
			if !d.IsDir() && d.Name() == "java.base.jmod" && filepath.Base(filepath.Dir(p)) == "jmods" {
				found = filepath.Dir(p)
				return fs.SkipAll
			}
			return nil
		})
		if found != "" {
			return found, nil
		}
	}
	return "", errors.New("the target platform's builder image has no JDK modules (jmods/java.base.jmod): jlink needs a JDK that ships them; use a builder that does, or leave runtime: jlink out")
}

// javaVersion is JAVA_VERSION from a JDK's release file ("" if none).
func javaVersion(home string) string {
	data, err := os.ReadFile(filepath.Join(home, "release"))
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "JAVA_VERSION="); ok {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return ""
}
