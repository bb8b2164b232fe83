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

// ModulesHelper is the java-modules helper: `java-modules --in DIR…
// --release N --out FILE` runs the builder's jdeps over every jar under
// the directories and writes the Java modules they need, comma-separated,
// to FILE (none: an empty file).
func ModulesHelper(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("java-modules", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var dirs stringList
	fl.Var(&dirs, "in", "directory of jars (repeated)")
	release := fl.String("release", "", "the Java release of multi-release jars to read")
	out := fl.String("out", "", "file to write the modules to")
	if err := fl.Parse(args[1:]); err != nil {
		return 2
	}
	var jars []string
	for _, d := range dirs {
		_ = filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() && strings.HasSuffix(p, ".jar") {
				jars = append(jars, p)
			}
			return nil
		})
	}
	slices.Sort(jars)
	mods := ""
	if len(jars) > 0 {
		var o bytes.Buffer
		cmd := exec.Command("jdeps", append([]string{"--ignore-missing-deps", "--print-module-deps", "--multi-release", *release}, jars...)...)
		cmd.Stdout, cmd.Stderr = &o, stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(stderr, "java-modules: jdeps could not list the modules %s need (%v); set them with modules: in the manifest, or leave runtime: jlink out\n", strings.Join(dirs, ", "), err)
			return 1
		}
		mods = lastLine(o.String())
	}
	fmt.Fprintf(stdout, "jdeps: %d jars need %q\n", len(jars), mods)
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		fmt.Fprintf(stderr, "java-modules: %v\n", err)
		return 1
	}
	if err := os.WriteFile(*out, []byte(mods+"\n"), 0o644); err != nil {
		fmt.Fprintf(stderr, "java-modules: %v\n", err)
		return 1
	}
	return 0
}

// stringList is a repeated flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

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
// m1,m2] --jdk DIR --out DIR [--probe FILE]` links a Java runtime of the
// modules with the builder's jlink. The JDK under --jdk (the target
// platform's builder image, mounted) gives the modules: its jmods are the
// target's, so the runtime is the target's and nothing runs emulated.
// Both JDKs must be the same release, as jlink requires. A JDK without
// jmods (Temurin 24 and later link from their own run-time image, JEP
// 493) can only link for its own platform: for another one, with
// --probe, the helper writes why to the probe file and links nothing, so
// that the plan's fallback links in the target's builder under emulation
// (where --jdk / is the running JDK); otherwise "ok" once linked.
func JlinkHelper(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("java-jlink", flag.ContinueOnError)
	fl.SetOutput(stderr)
	modulesFile := fl.String("modules", "", "the module lists jdeps wrote: a file or a directory of .txt files")
	add := fl.String("add", "", "modules to add, comma-separated")
	jdk := fl.String("jdk", "", "root of the target platform's JDK image")
	out := fl.String("out", "", "directory of the linked runtime")
	probe := fl.String("probe", "", "file to report to: ok, or why the link must be done elsewhere")
	if err := fl.Parse(args[1:]); err != nil {
		return 2
	}
	if err := jlink(*modulesFile, *add, *jdk, *out, *probe, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "java-jlink: %v\n", err)
		return 1
	}
	return 0
}

func jlink(modulesFile, add, jdkRoot, out, probe string, stdout, stderr io.Writer) error {
	report := func(status string) error {
		if probe == "" {
			return nil
		}
		if err := os.MkdirAll(filepath.Dir(probe), 0o755); err != nil {
			return err
		}
		return os.WriteFile(probe, []byte(status+"\n"), 0o644)
	}
	mods, err := readModules(modulesFile)
	if err != nil {
		return err
	}
	if add != "" {
		mods = append(mods, strings.Split(add, ",")...)
	}
	target, err := findJDK(jdkRoot)
	if err != nil {
		return err
	}
	own := ownJDK()
	if own.version != "" && target.version != "" && own.version != target.version {
		return fmt.Errorf("the builder's JDK is %s but the target platform's is %s: jlink links only its own release; pin the builder by digest (distill lock) so both platforms' images are the same release", own.version, target.version)
	}
	args := []string{"--add-modules", "", "--strip-debug", "--no-man-pages", "--no-header-files", "--output", out}
	if target.jmods != "" {
		args = append([]string{"--module-path", target.jmods}, args...)
	} else if own.arch != target.arch {
		fmt.Fprintf(stdout, "the target platform's JDK (%s) has no jmods: it links only from its own run-time image, on its own platform\n", target.arch)
		return report("the target platform's JDK has no jmods (JEP 493): linked in its own builder")
	}
	for _, m := range defaultModules {
		if target.has(m) {
			mods = append(mods, m)
		}
	}
	slices.Sort(mods)
	mods = slices.Compact(mods)
	args[slices.Index(args, "--add-modules")+1] = strings.Join(mods, ",")
	fmt.Fprintf(stdout, "jlink %s\n", strings.Join(args, " "))
	cmd := exec.Command("jlink", args...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		return err
	}
	return report("ok")
}

// readModules reads the module lists jdeps wrote: a file, or every .txt
// file of a directory; java.base when they name none.
func readModules(p string) ([]string, error) {
	files := []string{p}
	if fi, err := os.Stat(p); err == nil && fi.IsDir() {
		files, _ = filepath.Glob(filepath.Join(p, "*.txt"))
	}
	mods := []string{"java.base"}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, m := range strings.Split(strings.TrimSpace(string(data)), ",") {
			if m = strings.TrimSpace(m); m != "" {
				mods = append(mods, m)
			}
		}
	}
	return mods, nil
}

// jdk is a JDK found in an image: its release, architecture and jmods
// directory ("" when it ships none).
type jdk struct {
	home, version, arch, jmods string
}

// has reports whether the JDK has a module (its jmod, or, linking from
// the run-time image, the module in its lib/modules index).
func (j jdk) has(module string) bool {
	if j.jmods != "" {
		_, err := os.Stat(filepath.Join(j.jmods, module+".jmod"))
		return err == nil
	}
	data, err := os.ReadFile(filepath.Join(j.home, "release"))
	return err == nil && strings.Contains(string(data), module)
}

// ownJDK is the JDK whose jlink runs.
func ownJDK() jdk {
	p, err := exec.LookPath("jlink")
	if err != nil {
		return jdk{}
	}
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		return jdk{}
	}
	home := filepath.Dir(filepath.Dir(r))
	return jdk{home: home, version: releaseField(home, "JAVA_VERSION"), arch: releaseField(home, "OS_ARCH")}
}

// findJDK finds the JDK in an image's root: the one at JAVA_HOME's usual
// places, else the first found under /opt, /usr/lib/jvm and /usr/local
// (a directory with a release file and bin/jlink). Symbolic links are
// not followed: an image mounted elsewhere has absolute links that point
// into the step's own root.
func findJDK(root string) (jdk, error) {
	found := ""
	for _, dir := range []string{"opt/java/openjdk", "opt", "usr/lib/jvm", "usr/local"} {
		base := filepath.Join(root, dir)
		_ = filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
			if err != nil || found != "" {
				return fs.SkipDir
			}
			rel, _ := filepath.Rel(base, p)
			if d.IsDir() && strings.Count(rel, string(filepath.Separator)) > 3 {
				return fs.SkipDir
			}
			if d.IsDir() {
				if _, err := os.Lstat(filepath.Join(p, "bin", "jlink")); err == nil {
					if _, err := os.Lstat(filepath.Join(p, "release")); err == nil {
						found = p
						return fs.SkipAll
					}
				}
			}
			return nil
		})
		if found != "" {
			break
		}
	}
	if found == "" {
		return jdk{}, errors.New("the target platform's builder image has no JDK (a directory with bin/jlink and a release file under /opt or /usr/lib/jvm): jlink needs one; use a JDK builder, or leave runtime: jlink out")
	}
	j := jdk{home: found, version: releaseField(found, "JAVA_VERSION"), arch: releaseField(found, "OS_ARCH")}
	if _, err := os.Stat(filepath.Join(found, "jmods", "java.base.jmod")); err == nil {
		j.jmods = filepath.Join(found, "jmods")
	}
	return j, nil
}

// releaseField is a field of a JDK's release file ("" if none).
func releaseField(home, name string) string {
	data, err := os.ReadFile(filepath.Join(home, "release"))
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, name+"="); ok {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return ""
}
