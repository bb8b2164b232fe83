package helper

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// aptMain is the apt helper: distill-frontend apt --arch ARCH --suite
// SUITE pkg... installs the packages with apt for a Debian architecture,
// each the architecture's own build (a package for all architectures as
// it is), none recommended; an unknown package, or one the architecture
// lacks, is an error naming it. It runs in a Debian builder (apt, dpkg).
func aptMain(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fl.SetOutput(stderr)
	var arch, suite string
	fl.StringVar(&arch, "arch", "", "Debian architecture")
	fl.StringVar(&suite, "suite", "", "Debian suite, for messages")
	if err := fl.Parse(args[1:]); err != nil {
		return 2
	}
	if arch == "" || fl.NArg() == 0 {
		fmt.Fprintln(stderr, "apt: --arch and packages are required")
		return 2
	}
	run := func(name string, args ...string) error {
		cmd := exec.Command(name, args...)
		cmd.Stdout, cmd.Stderr = stdout, stderr
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		return cmd.Run()
	}
	show := func(p string) (string, bool) {
		out, err := exec.Command("apt-cache", "show", "--no-all-versions", p).Output()
		if err != nil || len(bytes.TrimSpace(out)) == 0 {
			return "", false
		}
		for _, line := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(line, "Architecture:"); ok {
				return strings.TrimSpace(v), true
			}
		}
		return "", true
	}
	// provided says a virtual package has a provider (libmagic1, which
	// libmagic1t64 provides since the 64-bit time_t transition).
	provided := func(p string) bool {
		out, err := exec.Command("apt-cache", "showpkg", p).Output()
		if err != nil {
			return false
		}
		_, rev, ok := strings.Cut(string(out), "Reverse Provides:")
		return ok && strings.TrimSpace(rev) != ""
	}
	native, err := exec.Command("dpkg", "--print-architecture").Output()
	if err != nil {
		fmt.Fprintln(stderr, "distill: runtime-packages: dpkg:", err)
		return 1
	}
	if strings.TrimSpace(string(native)) != arch {
		if err := run("dpkg", "--add-architecture", arch); err != nil {
			fmt.Fprintln(stderr, "distill: runtime-packages: dpkg --add-architecture:", err)
			return 1
		}
	}
	if err := run("apt-get", "update", "-qq"); err != nil {
		fmt.Fprintln(stderr, "distill: runtime-packages: apt-get update failed (is the Debian archive reachable from the builder?)")
		return 1
	}
	var install []string
	for _, p := range fl.Args() {
		if a, ok := show(p); ok && a == "all" {
			install = append(install, p)
		} else if _, ok := show(p + ":" + arch); ok || provided(p+":"+arch) {
			install = append(install, p+":"+arch)
		} else {
			fmt.Fprintf(stderr, "distill: runtime-packages: %s is not a package of Debian %s for %s: check its name at packages.debian.org/%s\n", p, suite, arch, suite)
			return 1
		}
	}
	if err := run("apt-get", append([]string{"install", "-y", "-qq", "--no-install-recommends"}, install...)...); err != nil {
		fmt.Fprintf(stderr, "distill: runtime-packages: apt-get install %s failed\n", strings.Join(install, " "))
		return 1
	}
	_ = os.RemoveAll("/var/lib/apt/lists")
	return 0
}
