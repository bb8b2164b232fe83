package helper

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTree makes files (path → content; "->target" makes a symlink)
// under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		host := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(host), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(c, "->"); ok {
			if err := os.Symlink(target, host); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(host, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const testStatus = `Package: jq
Status: install ok installed
Architecture: arm64
Version: 1.7.1-6
Depends: libjq1 (= 1.7.1-6), libc6 (>= 2.34)
Description: lightweight and flexible command-line JSON processor

Package: libjq1
Status: install ok installed
Multi-Arch: same
Architecture: arm64
Version: 1.7.1-6
Depends: libonig5 (>= 6.9.1) | libonig-virtual, libc6 (>= 2.38)
Description: the jq library

Package: libonig5
Status: install ok installed
Multi-Arch: same
Architecture: arm64
Version: 6.9.9-1
Provides: libonig-virtual
Depends: libc6 (>= 2.14)
Description: regular expressions library

Package: libc6
Status: install ok installed
Multi-Arch: same
Architecture: arm64
Version: 2.41-12
Description: GNU C Library

Package: needs-shell
Status: install ok installed
Architecture: arm64
Version: 1
Depends: dash
Description: runs sh

Package: dash
Status: install ok installed
Architecture: arm64
Version: 0.5.12-12
Essential: yes
Description: POSIX shell
`

func TestAddPackages(t *testing.T) {
	t.Parallel()
	builder, runtime, out := t.TempDir(), t.TempDir(), t.TempDir()
	writeTree(t, builder, map[string]string{
		"var/lib/dpkg/status":                       testStatus,
		"var/lib/dpkg/info/jq.list":                 "/.\n/usr\n/usr/bin\n/usr/bin/jq\n/usr/share/doc/jq/copyright\n/usr/share/doc/jq/changelog.Debian.gz\n/usr/share/man/man1/jq.1.gz\n",
		"var/lib/dpkg/info/jq.md5sums":              "abc  usr/bin/jq\n",
		"var/lib/dpkg/info/libjq1:arm64.list":       "/usr/lib/aarch64-linux-gnu/libjq.so.1.0.4\n/usr/lib/aarch64-linux-gnu/libjq.so.1\n",
		"var/lib/dpkg/info/libonig5:arm64.list":     "/lib/aarch64-linux-gnu/libonig.so.5\n",
		"var/lib/dpkg/info/libonig5:arm64.postinst": "#!/bin/sh\nldconfig\n",
		"var/lib/dpkg/info/libc6:arm64.list":        "/usr/lib/aarch64-linux-gnu/libc.so.6\n",
		"var/lib/dpkg/info/needs-shell.list":        "/usr/bin/needs-shell\n",
		"usr/bin/jq":                                "ELF jq",
		"usr/bin/needs-shell":                       "x",
		"usr/share/doc/jq/copyright":                "MIT",
		"usr/share/doc/jq/changelog.Debian.gz":      "log",
		"usr/share/man/man1/jq.1.gz":                "man",
		"usr/lib/aarch64-linux-gnu/libjq.so.1.0.4":  "ELF libjq",
		"usr/lib/aarch64-linux-gnu/libjq.so.1":      "->libjq.so.1.0.4",
		"lib":                                       "->usr/lib",
		"usr/lib/aarch64-linux-gnu/libonig.so.5":    "ELF onig",
		"usr/lib/aarch64-linux-gnu/libc.so.6":       "ELF libc",
	})
	// The runtime: merged /usr, and libc6 recorded.
	writeTree(t, runtime, map[string]string{
		"lib":                                 "->usr/lib",
		"usr/lib/aarch64-linux-gnu/libc.so.6": "runtime's libc",
		"var/lib/dpkg/status.d/libc6":         "Package: libc6\nArchitecture: arm64\n",
	})
	added, err := AddPackages(PackagesOptions{Builder: Root{Dir: builder}, Runtime: Root{Dir: runtime}, Out: out, Arch: "arm64", Packages: []string{"jq"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(added, " "); got != "jq libjq1 libonig5" {
		t.Errorf("added %q, want jq libjq1 libonig5 (libc6 is the runtime's)", got)
	}
	for _, p := range []string{"usr/bin/jq", "usr/share/doc/jq/copyright", "usr/lib/aarch64-linux-gnu/libjq.so.1.0.4", "usr/lib/aarch64-linux-gnu/libonig.so.5",
		"var/lib/dpkg/status.d/jq", "var/lib/dpkg/status.d/jq.md5sums", "var/lib/dpkg/status.d/libonig5"} {
		if _, err := os.Lstat(filepath.Join(out, p)); err != nil {
			t.Errorf("%s not added: %v", p, err)
		}
	}
	for _, p := range []string{"lib", "usr/share/doc/jq/changelog.Debian.gz", "usr/share/man", "usr/lib/aarch64-linux-gnu/libc.so.6", "var/lib/dpkg/status.d/libc6"} {
		if _, err := os.Lstat(filepath.Join(out, p)); err == nil {
			t.Errorf("%s added", p)
		}
	}
	if target, err := os.Readlink(filepath.Join(out, "usr/lib/aarch64-linux-gnu/libjq.so.1")); err != nil || target != "libjq.so.1.0.4" {
		t.Errorf("libjq.so.1 link: %q, %v", target, err)
	}
	st, _ := os.ReadFile(filepath.Join(out, "var/lib/dpkg/status.d/jq"))
	if strings.Contains(string(st), "Status:") || !strings.Contains(string(st), "Version: 1.7.1-6") {
		t.Errorf("status.d/jq:\n%s", st)
	}

	_, err = AddPackages(PackagesOptions{Builder: Root{Dir: builder}, Runtime: Root{Dir: runtime}, Out: t.TempDir(), Arch: "arm64", Packages: []string{"needs-shell"}})
	if want := "needs-shell needs a shell at run time (needs-shell → dash)"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a package that needs a shell: %v, want %q", err, want)
	}
}

// TestAddPackagesAlternatives: a program reached by its generic name
// through update-alternatives gets both links.
func TestAddPackagesAlternatives(t *testing.T) {
	t.Parallel()
	builder, runtime, out := t.TempDir(), t.TempDir(), t.TempDir()
	writeTree(t, builder, map[string]string{
		"var/lib/dpkg/status":           "Package: mawk\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.3.4\nDescription: awk\n",
		"var/lib/dpkg/info/mawk.list":   "/usr/bin/mawk\n/usr/share/man/man1/mawk.1.gz\n",
		"var/lib/dpkg/alternatives/awk": "auto\n/usr/bin/awk\nnawk\n/usr/bin/nawk\nawk.1.gz\n/usr/share/man/man1/awk.1.gz\n\n/usr/bin/mawk\n5\n/usr/bin/mawk\n/usr/share/man/man1/mawk.1.gz\n\n",
		"etc/alternatives/awk":          "->/usr/bin/mawk",
		"etc/alternatives/nawk":         "->/usr/bin/mawk",
		"etc/alternatives/awk.1.gz":     "->/usr/share/man/man1/mawk.1.gz",
		"usr/bin/mawk":                  "ELF mawk",
		"usr/share/man/man1/mawk.1.gz":  "man",
	})
	writeTree(t, runtime, map[string]string{"etc/passwd": "root:x:0:0::/root:/sbin/nologin\n"})
	if _, err := AddPackages(PackagesOptions{Builder: Root{Dir: builder}, Runtime: Root{Dir: runtime}, Out: out, Arch: "amd64", Packages: []string{"mawk"}}); err != nil {
		t.Fatal(err)
	}
	for link, want := range map[string]string{"usr/bin/awk": "/etc/alternatives/awk", "etc/alternatives/awk": "/usr/bin/mawk", "usr/bin/nawk": "/etc/alternatives/nawk"} {
		if got, err := os.Readlink(filepath.Join(out, link)); err != nil || got != want {
			t.Errorf("%s -> %q (%v), want %s", link, got, err, want)
		}
	}
	if _, err := os.Lstat(filepath.Join(out, "etc/alternatives/awk.1.gz")); err == nil {
		t.Error("the manual's alternative is added, without its manual")
	}
}

func TestInstRE(t *testing.T) {
	for line, want := range map[string]string{
		"Inst jq (1.7.1-6+deb13u1 Debian:13.2/stable [amd64])":                                        "jq 1.7.1-6+deb13u1 amd64",
		"Inst libc6:arm64 [2.41-11] (2.41-12 Debian:13.2/stable [arm64])":                             "libc6:arm64 2.41-12 arm64",
		"Inst fonts-dejavu-core (2.37-8 Debian:13.0/stable [all])":                                    "fonts-dejavu-core 2.37-8 all",
		"Inst libmagic1t64 (1:5.46-5 Debian:13.2/stable, Debian-Security:13/stable-security [amd64])": "libmagic1t64 1:5.46-5 amd64",
		"Conf jq (1.7.1-6+deb13u1 Debian:13.2/stable [amd64])":                                        "",
	} {
		got := ""
		if m := instRE.FindStringSubmatch(line); m != nil {
			got = m[1] + " " + m[2] + " " + m[3]
		}
		if got != want {
			t.Errorf("%q: %q, want %q", line, got, want)
		}
	}
}
