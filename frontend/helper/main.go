package helper

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	goruntime "runtime"
	"slices"
	"strings"
)

// Main runs a helper subcommand, libs or one of more (the languages'
// helpers, by name); it returns the exit code.
func Main(args []string, stdout, stderr io.Writer, more map[string]func(args []string, stdout, stderr io.Writer) int) int {
	if len(args) == 0 {
		fmt.Fprintf(stderr, "usage: distill-frontend {%s} [flags]\n", strings.Join(append([]string{"apt", "choose", "libs", "packages", "present"}, slices.Sorted(maps.Keys(more))...), "|"))
		return 2
	}
	switch args[0] {
	case "choose":
		return chooseMain(args, stdout, stderr)
	case "packages":
		return packagesMain(args, stdout, stderr)
	case "apt":
		return aptMain(args, stdout, stderr)
	case "present":
		return presentMain(args, stderr)
	case "libs":
		fl := flag.NewFlagSet(args[0], flag.ContinueOnError)
		fl.SetOutput(stderr)
		var runtime, scan, out, arch string
		fl.StringVar(&runtime, "runtime", "", "runtime image root")
		fl.StringVar(&arch, "arch", goruntime.GOARCH, "architecture (GOARCH) of the objects to follow; others are left as they are")
		fl.StringVar(&out, "out", "/out/sysroot", "output tree")
		fl.StringVar(&scan, "scan", "/app", "directories whose ELF objects need libraries (comma separated)")
		if err := fl.Parse(args[1:]); err != nil {
			return 2
		}
		if runtime == "" {
			fmt.Fprintln(stderr, "libs: --runtime is required")
			return 2
		}
		if err := os.MkdirAll(out, 0o755); err != nil {
			fmt.Fprintln(stderr, "distill:", err)
			return 1
		}
		err := CarryLibraries(LibsOptions{Builder: Root{Dir: "/"}, Runtime: Root{Dir: runtime}, Out: out,
			Scan: strings.Split(scan, ","), Machine: Machines[arch], Log: stdout})
		if err != nil {
			fmt.Fprintln(stderr, "distill:", err)
			return 1
		}
		return 0
	}
	if h, ok := more[args[0]]; ok {
		return h(args, stdout, stderr)
	}
	fmt.Fprintf(stderr, "unknown helper %q\n", args[0])
	return 2
}

// packagesMain is the packages helper: distill-frontend packages
// --runtime DIR --out DIR --arch ARCH pkg...
func packagesMain(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fl.SetOutput(stderr)
	var runtime, out, arch string
	fl.StringVar(&runtime, "runtime", "", "runtime image root")
	fl.StringVar(&out, "out", "/out/runtime-packages", "output tree")
	fl.StringVar(&arch, "arch", "", "the target's Debian architecture")
	if err := fl.Parse(args[1:]); err != nil {
		return 2
	}
	if runtime == "" || arch == "" || fl.NArg() == 0 {
		fmt.Fprintln(stderr, "packages: --runtime, --arch and packages are required")
		return 2
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		fmt.Fprintln(stderr, "distill:", err)
		return 1
	}
	added, err := AddPackages(PackagesOptions{Builder: Root{Dir: "/"}, Runtime: Root{Dir: runtime}, Out: out, Arch: arch, Packages: fl.Args(), Log: stdout})
	if err != nil {
		fmt.Fprintln(stderr, "distill: runtime-packages:", err)
		return 1
	}
	fmt.Fprintf(stdout, "Debian packages added to the runtime, recorded in /var/lib/dpkg/status.d: %s\n", strings.Join(added, " "))
	return 0
}

// presentMain is the present helper: distill-frontend present --out FILE
// PATH writes "true" to FILE when PATH exists, else "false" (the frontend
// asks with it whether the client gave a secret, mounted optionally).
func presentMain(args []string, stderr io.Writer) int {
	fl := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fl.SetOutput(stderr)
	out := fl.String("out", "", "the file to write the answer to")
	if err := fl.Parse(args[1:]); err != nil {
		return 2
	}
	if *out == "" || fl.NArg() != 1 {
		fmt.Fprintln(stderr, "present: --out and one path are required")
		return 2
	}
	_, err := os.Stat(fl.Arg(0))
	if err := os.WriteFile(*out, []byte(fmt.Sprint(err == nil)), 0o644); err != nil {
		fmt.Fprintln(stderr, "distill:", err)
		return 1
	}
	return 0
}
