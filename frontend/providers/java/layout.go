package java

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/helper"
)

// LayoutHelper is the java-layout helper: `java-layout --jars DIR --deps
// DIR --out DIR` finds the app's jar among the build's (DIR/*.jar, less
// sources, javadoc, tests and plain jars) and writes the image's layers
// under --out, each a directory copied onto /app:
//
//   - a Spring Boot jar (it has Boot's layer index) is extracted by Boot's
//     own tool, `java -Djarmode=tools -jar app.jar extract --layers`: the
//     layers its index names (dependencies, spring-boot-loader,
//     snapshot-dependencies, application), application/app.jar's manifest
//     naming lib/ as its class path;
//   - any other jar must name its Main-Class: the runtime dependencies
//     (--deps, Maven's copy-dependencies or Gradle's runtime classpath) go
//     to dependencies/lib (snapshot-dependencies/lib for snapshots) and
//     the jar to application/app.jar, its manifest's Class-Path set to
//     them.
//
// Either way the image runs `java -jar /app/app.jar`; every layer
// directory exists, empty or not.
func LayoutHelper(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("java-layout", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jars := fs.String("jars", "", "directory of the built jar")
	deps := fs.String("deps", "", "directory of the runtime dependencies")
	out := fs.String("out", "", "directory of the layers")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if err := layout(*jars, *deps, *out, stdout); err != nil {
		fmt.Fprintf(stderr, "java-layout: %v\n", err)
		return 1
	}
	return 0
}

func layout(jarDir, depsDir, out string, log io.Writer) error {
	jar, err := appJarIn(jarDir)
	if err != nil {
		return err
	}
	for _, l := range appLayers {
		if err := os.MkdirAll(filepath.Join(out, l), 0o755); err != nil {
			return err
		}
	}
	mf, boot, err := readManifest(jar)
	if err != nil {
		return fmt.Errorf("%s: %w", jar, err)
	}
	if boot {
		fmt.Fprintf(log, "%s is a Spring Boot jar (Spring Boot %s): extracting its layers with Boot's tools jar mode\n", filepath.Base(jar), mf["Spring-Boot-Version"])
		return extractBoot(jar, out, mf, log)
	}
	if mf["Main-Class"] == "" {
		return fmt.Errorf("%s names no Main-Class in its manifest, so it cannot run with java -jar: set it (Maven: maven-jar-plugin's <archive><manifest><mainClass>; Gradle: jar { manifest { attributes(\"Main-Class\": …) } } or the application plugin's mainClass)", filepath.Base(jar))
	}
	var classPath []string
	entries, err := os.ReadDir(depsDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".jar") {
			continue
		}
		layer := "dependencies"
		if strings.Contains(e.Name(), "-SNAPSHOT") {
			layer = "snapshot-dependencies"
		}
		dst := filepath.Join(out, layer, "lib", e.Name())
		if err := helper.CopyFile(filepath.Join(depsDir, e.Name()), dst); err != nil {
			return err
		}
		classPath = append(classPath, "lib/"+e.Name())
	}
	slices.Sort(classPath)
	fmt.Fprintf(log, "%s: Main-Class %s, %d runtime dependencies on its class path\n", filepath.Base(jar), mf["Main-Class"], len(classPath))
	return withClassPath(jar, filepath.Join(out, "application", "app.jar"), classPath)
}

// appJarIn is the one runnable jar in dir.
func appJarIn(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("the build left no jar: %w", err)
	}
	var jars []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".jar") {
			continue
		}
		if slices.ContainsFunc([]string{"-sources.jar", "-javadoc.jar", "-tests.jar", "-test-sources.jar", "-plain.jar"}, func(s string) bool { return strings.HasSuffix(n, s) }) {
			continue
		}
		jars = append(jars, filepath.Join(dir, n))
	}
	switch len(jars) {
	case 0:
		return "", fmt.Errorf("the build left no jar in %s: does the module have jar packaging?", dir)
	case 1:
		return jars[0], nil
	}
	return "", fmt.Errorf("the build left several jars in %s (%s): distill cannot tell which one runs", dir, strings.Join(jars, ", "))
}

// readManifest reads a jar's META-INF/MANIFEST.MF main attributes, and
// whether it is a Spring Boot jar with a layer index.
func readManifest(jar string) (map[string]string, bool, error) {
	zr, err := zip.OpenReader(jar)
	if err != nil {
		return nil, false, err
	}
	defer zr.Close()
	attrs := map[string]string{}
	boot := false
	for _, f := range zr.File {
		switch f.Name {
		case "BOOT-INF/layers.idx":
			boot = true
		case "META-INF/MANIFEST.MF":
			rc, err := f.Open()
			if err != nil {
				return nil, false, err
			}
			data, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				return nil, false, err
			}
			attrs = parseManifest(data)
		}
	}
	return attrs, boot, nil
}

// parseManifest reads a manifest's main section (continuation lines
// start with a space).
func parseManifest(data []byte) map[string]string {
	attrs := map[string]string{}
	last := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			break // the end of the main section
		}
		if strings.HasPrefix(line, " ") && last != "" {
			attrs[last] += line[1:]
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		last = strings.TrimSpace(k)
		attrs[last] = strings.TrimPrefix(v, " ")
	}
	return attrs
}

// extractBoot runs Boot's tools jar mode (Spring Boot 3.3 and later).
func extractBoot(jar, out string, mf map[string]string, log io.Writer) error {
	tmp, err := os.MkdirTemp("", "distill-boot-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	// Named app.jar, so the extracted application jar is too.
	src := filepath.Join(tmp, "app.jar")
	if err := helper.CopyFile(jar, src); err != nil {
		return err
	}
	dest := filepath.Join(tmp, "layers")
	cmd := exec.Command("java", "-Djarmode=tools", "-jar", src, "extract", "--layers", "--destination", dest)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("extracting the Spring Boot jar with `java -Djarmode=tools -jar app.jar extract --layers` failed (%v): distill needs Spring Boot 3.3 or later (the jar says %q) with its layers enabled", err, mf["Spring-Boot-Version"])
	}
	layers, err := os.ReadDir(dest)
	if err != nil {
		return err
	}
	for _, l := range layers {
		if !slices.Contains(appLayers, l.Name()) {
			return fmt.Errorf("the Spring Boot jar has a layer %q of its own; distill copies only %s", l.Name(), strings.Join(appLayers, ", "))
		}
		if err := copyTree(filepath.Join(dest, l.Name()), filepath.Join(out, l.Name())); err != nil {
			return err
		}
	}
	if _, err := os.Stat(filepath.Join(out, "application", "app.jar")); err != nil {
		return fmt.Errorf("Boot's extraction left no application/app.jar: %w", err)
	}
	return nil
}

// withClassPath copies a jar with its manifest's Class-Path set, entries
// and their times kept.
func withClassPath(src, dst string, classPath []string) error {
	zr, err := zip.OpenReader(src)
	if err != nil {
		return err
	}
	defer zr.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	found := false
	for _, e := range zr.File {
		if e.Name != "META-INF/MANIFEST.MF" {
			if err := zw.Copy(e); err != nil {
				f.Close()
				return err
			}
			continue
		}
		found = true
		rc, err := e.Open()
		if err != nil {
			f.Close()
			return err
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			f.Close()
			return err
		}
		h := e.FileHeader
		h.Method = zip.Deflate
		w, err := zw.CreateHeader(&h)
		if err != nil {
			f.Close()
			return err
		}
		if _, err := w.Write(setClassPath(data, classPath)); err != nil {
			f.Close()
			return err
		}
	}
	if !found {
		f.Close()
		return fmt.Errorf("%s has no META-INF/MANIFEST.MF", src)
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// setClassPath replaces (or adds) the Class-Path attribute of a
// manifest's main section, wrapped at 72 bytes as the jar format wants.
func setClassPath(mf []byte, classPath []string) []byte {
	text := strings.ReplaceAll(string(mf), "\r\n", "\n")
	main, rest, _ := strings.Cut(text, "\n\n")
	var lines []string
	skipping := false
	for _, l := range strings.Split(main, "\n") {
		if skipping && strings.HasPrefix(l, " ") {
			continue
		}
		skipping = strings.HasPrefix(strings.ToLower(l), "class-path:")
		if !skipping && l != "" {
			lines = append(lines, l)
		}
	}
	if len(classPath) > 0 {
		lines = append(lines, wrap72("Class-Path: "+strings.Join(classPath, " ")))
	}
	out := strings.Join(lines, "\r\n") + "\r\n\r\n"
	if strings.TrimSpace(rest) != "" {
		out += strings.ReplaceAll(rest, "\n", "\r\n")
	}
	return []byte(out)
}

// wrap72 splits a manifest line into lines of at most 72 bytes,
// continuations starting with a space.
func wrap72(s string) string {
	var b strings.Builder
	first := true
	for len(s) > 0 {
		n := 72
		if !first {
			n = 71
			b.WriteString("\r\n ")
		}
		if n > len(s) {
			n = len(s)
		}
		b.WriteString(s[:n])
		s = s[n:]
		first = false
	}
	return b.String()
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		return helper.CopyFile(p, target)
	})
}
