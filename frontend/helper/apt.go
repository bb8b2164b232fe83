package helper

import (
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/lock"
)

// aptMain is the apt helper: distill-frontend apt --arch ARCH --suite
// SUITE pkg... installs the packages with apt for a Debian architecture,
// each the architecture's own build (a package for all architectures as
// it is), none recommended; an unknown package, or one the architecture
// lacks, is an error naming it. It runs in a Debian builder (apt, dpkg).
//
// With --resolve FILE it installs nothing and writes to FILE what the
// install would download today (lock.Packages: name, architecture,
// version and SHA-256 of each .deb), which distill.lock keeps. With
// --pin name:arch=version=sha256 for each of those, it installs exactly
// them: a version the archive no longer has, another hash for the same
// version, or a download the lock does not list is an error saying to
// run `distill lock`.
func aptMain(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fl.SetOutput(stderr)
	var arch, suite, resolve string
	var pins []lock.Deb
	fl.StringVar(&arch, "arch", "", "Debian architecture")
	fl.StringVar(&suite, "suite", "", "Debian suite, for messages")
	fl.StringVar(&resolve, "resolve", "", "write what the install would download to this file, install nothing")
	fl.Func("pin", "install this package version (name:arch=version=sha256), repeated", func(s string) error {
		d, err := lock.ParsePin(s)
		pins = append(pins, d)
		return err
	})
	if err := fl.Parse(args[1:]); err != nil {
		return 2
	}
	if arch == "" || fl.NArg() == 0 {
		fmt.Fprintln(stderr, "apt: --arch and packages are required")
		return 2
	}
	a := &apt{arch: arch, suite: suite, stdout: stdout, stderr: stderr}
	if err := a.main(fl.Args(), resolve, pins); err != nil {
		fmt.Fprintln(stderr, "distill: runtime-packages:", err)
		return 1
	}
	return 0
}

type apt struct {
	arch, suite    string
	stdout, stderr io.Writer
}

func (a *apt) main(pkgs []string, resolve string, pins []lock.Deb) error {
	if err := a.setup(); err != nil {
		return err
	}
	install, err := a.names(pkgs)
	if err != nil {
		return err
	}
	if resolve != "" {
		debs, err := a.downloads(install)
		if err != nil {
			return err
		}
		out, _ := json.MarshalIndent(lock.Packages{Requested: pkgs, Debs: debs}, "", "  ")
		if err := os.MkdirAll(filepath.Dir(resolve), 0o755); err != nil {
			return err
		}
		return os.WriteFile(resolve, append(out, '\n'), 0o644)
	}
	if len(pins) > 0 {
		if install, err = a.pinned(install, pins); err != nil {
			return err
		}
	}
	if err := a.run("apt-get", append([]string{"install", "-y", "-qq", "--no-install-recommends", "--allow-downgrades"}, install...)...); err != nil {
		return fmt.Errorf("apt-get install %s failed", strings.Join(install, " "))
	}
	_ = os.RemoveAll("/var/lib/apt/lists")
	return nil
}

func (a *apt) run(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = a.stdout, a.stderr
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	return cmd.Run()
}

// setup adds the target architecture and reads the archive's index.
func (a *apt) setup() error {
	native, err := exec.Command("dpkg", "--print-architecture").Output()
	if err != nil {
		return fmt.Errorf("dpkg: %v", err)
	}
	if strings.TrimSpace(string(native)) != a.arch {
		if err := a.run("dpkg", "--add-architecture", a.arch); err != nil {
			return fmt.Errorf("dpkg --add-architecture: %v", err)
		}
	}
	if err := a.run("apt-get", "update", "-qq"); err != nil {
		return fmt.Errorf("apt-get update failed (is the Debian archive reachable from the builder?)")
	}
	return nil
}

// names are the packages to install for the architecture: name:arch, or
// the name of a package for all architectures.
func (a *apt) names(pkgs []string) ([]string, error) {
	show := func(p string) (string, bool) {
		out, err := exec.Command("apt-cache", "show", "--no-all-versions", p).Output()
		if err != nil || len(bytes.TrimSpace(out)) == 0 {
			return "", false
		}
		return field(out, "Architecture"), true
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
	var install []string
	for _, p := range pkgs {
		if arch, ok := show(p); ok && arch == "all" {
			install = append(install, p)
		} else if _, ok := show(p + ":" + a.arch); ok || provided(p+":"+a.arch) {
			install = append(install, p+":"+a.arch)
		} else {
			return nil, fmt.Errorf("%s is not a package of Debian %s for %s: check its name at packages.debian.org/%s", p, a.suite, a.arch, a.suite)
		}
	}
	return install, nil
}

// field is the value of a control field in apt-cache show's output.
func field(out []byte, name string) string {
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// instRE is a package apt's simulation installs: "Inst jq (1.7.1-6
// Debian:13.1/stable [amd64])", "Inst libc6:arm64 [2.41-11] (2.41-12 …
// [arm64])".
var instRE = regexp.MustCompile(`^Inst (\S+) (?:\[[^\]]*\] )?\((\S+) .*\[([^\]]+)\]\)`)

// downloads are the packages installing install would download, with
// the archive's SHA-256 of each.
func (a *apt) downloads(install []string) ([]lock.Deb, error) {
	out, err := exec.Command("apt-get", append([]string{"install", "-s", "-qq", "--no-install-recommends", "--allow-downgrades"}, install...)...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("apt-get install %s: %s", strings.Join(install, " "), firstError(out))
	}
	var debs []lock.Deb
	for _, line := range strings.Split(string(out), "\n") {
		m := instRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		name, _, _ := strings.Cut(m[1], ":")
		d := lock.Deb{Name: name, Arch: m[3], Version: m[2]}
		if d.SHA256, err = a.sha256(d); err != nil {
			return nil, err
		}
		debs = append(debs, d)
	}
	return debs, nil
}

// sha256 is the archive's SHA-256 of the deb's version.
func (a *apt) sha256(d lock.Deb) (string, error) {
	out, err := exec.Command("apt-cache", "show", "--no-all-versions", d.Name+":"+d.Arch+"="+d.Version).Output()
	if sum := field(out, "SHA256"); err == nil && sum != "" {
		return sum, nil
	}
	return "", fmt.Errorf("%s %s for %s is not in Debian %s's archive", d.Name, d.Version, d.Arch, a.suite)
}

// pinned checks the lock's packages against the archive and what the
// install would download, and returns the install that takes them.
func (a *apt) pinned(install []string, pins []lock.Deb) ([]string, error) {
	var stale []string
	for _, p := range pins {
		sum, err := a.sha256(p)
		switch {
		case err != nil:
			stale = append(stale, fmt.Sprintf("%s:%s %s is no longer in the archive (it has %s)", p.Name, p.Arch, p.Version, a.candidate(p)))
		case sum != p.SHA256:
			stale = append(stale, fmt.Sprintf("%s:%s %s has SHA-256 %s in the archive, the lock %s", p.Name, p.Arch, p.Version, sum, p.SHA256))
		}
	}
	if len(stale) == 0 {
		// Every package at its locked version, then nothing else.
		install = nil
		for _, p := range pins {
			install = append(install, p.Name+":"+p.Arch+"="+p.Version)
		}
		debs, err := a.downloads(install)
		if err != nil {
			return nil, err
		}
		for _, d := range debs {
			if !slices.Contains(pins, d) {
				stale = append(stale, fmt.Sprintf("%s:%s %s would be downloaded but the lock does not list it", d.Name, d.Arch, d.Version))
			}
		}
	}
	if len(stale) > 0 {
		return nil, fmt.Errorf("the packages distill.lock pins cannot be installed from Debian %s today:\n  %s\nrun `distill lock` to pin what the archive has now (or build with --build-arg DISTILL_LOCK=false)", a.suite, strings.Join(stale, "\n  "))
	}
	return install, nil
}

// candidate is the version of the deb's package the archive has today.
func (a *apt) candidate(d lock.Deb) string {
	out, _ := exec.Command("apt-cache", "show", "--no-all-versions", d.Name+":"+d.Arch).Output()
	return cmp.Or(field(out, "Version"), "none")
}

// firstError is apt's first error line ("E: …") or its whole output.
func firstError(out []byte) string {
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "E: ") {
			return strings.TrimPrefix(line, "E: ")
		}
	}
	return strings.TrimSpace(string(out))
}
