package golang

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	goruntime "runtime"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/providers"
)

// BuildHelper is `go-build --cgo auto|off --main PKG [--cc CC
// --cross-packages P,...] -- go build ...`: it finds the packages the main
// package imports that need cgo for the target (GOOS, GOARCH of its
// environment), not only the module's own, and runs the build with cgo
// on when one does (auto), installing the C cross compiler first when
// the target is another platform. With --cgo off such a package is an
// error unless it builds without cgo (its !cgo files), which the build
// then uses. It prints what it decided.
func BuildHelper(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fl.SetOutput(stderr)
	mode := fl.String("cgo", "auto", "auto: cgo when a dependency needs it; off: never")
	mainPkg := fl.String("main", ".", "the main package")
	cc := fl.String("cc", "", "the C cross compiler of the target, when it is another platform")
	crossPkgs := fl.String("cross-packages", "", "Debian packages that install --cc (comma separated)")
	why := fl.String("why", "cgo: false", "what turned cgo off, for --cgo off's messages")
	if err := fl.Parse(args[1:]); err != nil {
		return 2
	}
	build := fl.Args()
	if len(build) == 0 || (*mode != "auto" && *mode != "off") {
		fmt.Fprintln(stderr, "usage: go-build --cgo auto|off --main PKG [--cc CC --cross-packages P,...] -- go build ...")
		return 2
	}
	needs, err := cgoPackages(*mainPkg)
	if err != nil {
		fmt.Fprintln(stderr, "distill:", err)
		return 1
	}
	cgo := false
	switch {
	case len(needs) == 0:
		fmt.Fprintf(stdout, "cgo: off (no package %s imports needs it)\n", *mainPkg)
	case *mode == "off":
		stubs, missing, err := fallbacks(needs)
		if err != nil {
			fmt.Fprintln(stderr, "distill:", err)
			return 1
		}
		if len(missing) > 0 {
			fmt.Fprintf(stderr, "distill: %s, but %s needs cgo and has no Go files without it.\n"+
				"Remove %s (distill then builds with cgo onto a base with a C library), or replace the package with a pure-Go one.\n",
				*why, describe(missing), *why)
			return 1
		}
		fmt.Fprintf(stdout, "cgo: off (%s); built without cgo from their !cgo files, check they work without it: %s\n", *why, describe(stubs))
	default:
		cgo = true
		fmt.Fprintf(stdout, "cgo: on, %s needs it\n", describe(needs))
		if target := os.Getenv("GOARCH"); *cc == "" && target != "" && target != goruntime.GOARCH {
			fmt.Fprintf(stderr, "distill: %s needs cgo, and distill has no C cross compiler for %s on this build platform (%s).\n"+
				"Set cgo: true: distill then builds this platform's binary in its own builder, emulated.\n", describe(needs), target, goruntime.GOARCH)
			return 1
		}
	}
	env := setEnv(os.Environ(), "CGO_ENABLED", map[bool]string{true: "1", false: "0"}[cgo])
	if cgo && *cc != "" {
		if _, err := exec.LookPath(*cc); err != nil {
			pkgs := strings.Split(*crossPkgs, ",")
			fmt.Fprintf(stdout, "installing the C cross compiler: %s\n", strings.Join(pkgs, " "))
			run := providers.AptInstall(pkgs)
			apt := exec.Command(run.Args[0], run.Args[1:]...)
			apt.Env, apt.Stdout, apt.Stderr = append(os.Environ(), run.Env...), stdout, stderr
			if err := apt.Run(); err != nil {
				fmt.Fprintln(stderr, "distill: installing the C cross compiler:", err)
				return 1
			}
		}
		env = setEnv(env, "CC", *cc)
	}
	cmd := exec.Command(build[0], build[1:]...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, stdout, stderr
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		fmt.Fprintln(stderr, "distill:", err)
		return 1
	}
	return 0
}

// cgoPackage is a package that needs cgo and the first of its cgo files.
type cgoPackage struct{ path, file string }

func describe(pkgs []cgoPackage) string {
	var out []string
	for _, p := range pkgs {
		out = append(out, fmt.Sprintf("%s (%s imports \"C\")", p.path, p.file))
	}
	return strings.Join(out, ", ")
}

// cgoPackages lists the packages outside the standard library that the
// main package imports, itself included, which have cgo files for the
// target (the standard library's have pure-Go fallbacks: net, os/user).
func cgoPackages(mainPkg string) ([]cgoPackage, error) {
	out, err := goList(true, "-deps", "-f", `{{if not .Standard}}{{if .CgoFiles}}{{.ImportPath}} {{index .CgoFiles 0}}{{end}}{{end}}`, mainPkg)
	if err != nil {
		return nil, err
	}
	var pkgs []cgoPackage
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if p, f, ok := strings.Cut(strings.TrimSpace(sc.Text()), " "); ok {
			pkgs = append(pkgs, cgoPackage{p, f})
		}
	}
	return pkgs, nil
}

// fallbacks splits packages that need cgo into those with Go files when
// cgo is off and those without.
func fallbacks(pkgs []cgoPackage) (with, without []cgoPackage, err error) {
	args := []string{"-e", "-f", `{{.ImportPath}} {{len .GoFiles}}`}
	for _, p := range pkgs {
		args = append(args, p.path)
	}
	out, err := goList(false, args...)
	if err != nil {
		return nil, nil, err
	}
	files := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if p, n, ok := strings.Cut(l, " "); ok {
			files[p] = n
		}
	}
	for _, p := range pkgs {
		if n := files[p.path]; n == "" || n == "0" {
			without = append(without, p)
		} else {
			with = append(with, p)
		}
	}
	return with, without, nil
}

func goList(cgo bool, args ...string) ([]byte, error) {
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Env = setEnv(os.Environ(), "CGO_ENABLED", map[bool]string{true: "1", false: "0"}[cgo])
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

// setEnv sets NAME=value in env, replacing an earlier value.
func setEnv(env []string, name, value string) []string {
	env = slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, name+"=") })
	return append(env, name+"="+value)
}
