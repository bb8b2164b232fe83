package helper

import (
	"debug/elf"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestResolveStaysInRoot(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(root, "usr/lib/x"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "usr/lib/x/libz.so.1.3"), []byte("z"), 0o644))
	must(t, os.Symlink("usr/lib", filepath.Join(root, "lib")))
	must(t, os.Symlink("libz.so.1.3", filepath.Join(root, "usr/lib/x/libz.so.1")))
	// An absolute target resolves inside the root, never on the host.
	must(t, os.Symlink("/usr/lib/x/libz.so.1", filepath.Join(root, "usr/lib/abs")))
	must(t, os.Symlink("/etc/passwd", filepath.Join(root, "escape")))
	r := Root{Dir: root}
	for in, want := range map[string]string{
		"/lib/x/libz.so.1": "/usr/lib/x/libz.so.1.3",
		"/usr/lib/abs":     "/usr/lib/x/libz.so.1.3",
		"/lib/../lib/x":    "/usr/lib/x",
	} {
		got, err := r.Resolve(in)
		if err != nil || got != want {
			t.Errorf("Resolve(%s) = %q, %v; want %s", in, got, err, want)
		}
	}
	if r.Exists("/escape") {
		t.Error("/escape resolved outside the root")
	}
}

// TestClosureOnHost finds the libraries of a host program that a runtime
// holding only libc lacks (needs a Debian-like host).
func TestClosureOnHost(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("linux only")
	}
	prog := ""
	for _, p := range []string{"/usr/bin/curl", "/usr/bin/git"} {
		if _, err := os.Stat(p); err == nil {
			prog = p
			break
		}
	}
	if prog == "" {
		t.Skip("no dynamically linked program to inspect")
	}
	libc, err := filepath.EvalSymlinks("/lib/" + triples[machineOf(t, prog)] + "/libc.so.6")
	if err != nil {
		t.Skipf("no multiarch libc: %v", err)
	}
	rt := t.TempDir()
	dir := filepath.Join(rt, "usr/lib", triples[machineOf(t, prog)])
	must(t, os.MkdirAll(dir, 0o755))
	data, err := os.ReadFile(libc)
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "libc.so.6"), data, 0o644))
	must(t, os.Symlink("usr/lib", filepath.Join(rt, "lib")))
	out := t.TempDir()
	c := &Closure{Builder: Root{Dir: "/"}, Runtime: Root{Dir: rt}, Out: out}
	must(t, c.Add(prog))
	if len(c.Copied) == 0 {
		t.Fatalf("%s needs nothing beyond libc?", prog)
	}
	for _, f := range c.Copied {
		if strings.HasSuffix(f, "/libc.so.6") {
			t.Errorf("copied libc, which the runtime has")
		}
		if strings.HasPrefix(f, "/lib/") {
			t.Errorf("%s written under /lib, a link in merged-usr images", f)
		}
		if _, err := os.Lstat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s listed but not written", f)
		}
	}
	if len(c.Missing) > 0 {
		t.Errorf("missing: %v", c.Missing)
	}
	if prog == "/usr/bin/curl" && !slices.ContainsFunc(c.Copied, func(f string) bool { return strings.HasSuffix(f, "/libcurl.so.4") }) {
		t.Errorf("libcurl.so.4 not copied: %v", c.Copied)
	}
	pk := &Packages{Root: Root{Dir: "/"}}
	pkgs, err := pk.WriteStatus(c.Sources, Root{Dir: rt}, out)
	must(t, err)
	if len(pkgs) == 0 {
		t.Errorf("no Debian package recorded for %v", c.Sources)
	}
	for _, p := range pkgs {
		st, err := os.ReadFile(filepath.Join(out, "var/lib/dpkg/status.d", p))
		must(t, err)
		if !strings.HasPrefix(string(st), "Package: "+p+"\n") || strings.Contains(string(st), "\nStatus:") {
			t.Errorf("status.d/%s:\n%s", p, st)
		}
	}
}

func machineOf(t *testing.T, p string) elf.Machine {
	t.Helper()
	info, ok, err := readELF(p, filepath.Dir(p))
	if err != nil || !ok {
		t.Skipf("%s: not ELF (%v)", p, err)
	}
	return info.machine
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestStatusParagraph(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(root, "var/lib/dpkg"), 0o755))
	status := "Package: libc6-dev\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.41-12\n\n" +
		// Multi-line fields: Conffiles starts empty and continues; the
		// description's " ." and tab-indented lines are kept as written.
		"Package: libc6\n" +
		"Status: install ok installed\n" +
		"Architecture: amd64\n" +
		"Conffiles:\n /etc/ld.so.conf 0123 \n /etc/gai.conf 4567\n" +
		"Depends: libgcc-s1,\n libidn2-0\n" +
		"Description: GNU C Library: Shared libraries\n Contains the standard libraries.\n .\n\tindented by a tab\n" +
		"\n\n" +
		// The last stanza has no blank line after it.
		"Package: libsqlite3-0\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: same\n\n" +
		"Package: libsqlite3-0\nStatus: install ok installed\nArchitecture: arm64\nMulti-Arch: same\n\n" +
		"Package: zlib1g\nStatus: install ok installed\nArchitecture: arm64\nVersion: 1:1.3.dfsg-3\n"
	must(t, os.WriteFile(filepath.Join(root, "var/lib/dpkg/status"), []byte(status), 0o644))
	pk := &Packages{Root: Root{Dir: root}}
	for _, tc := range []struct{ pkg, want, arch string }{
		{"libc6-dev", "Package: libc6-dev\nArchitecture: amd64\nVersion: 2.41-12\n", "amd64"},
		{"libc6", "Package: libc6\nArchitecture: amd64\n" +
			"Depends: libgcc-s1,\n libidn2-0\n" +
			"Description: GNU C Library: Shared libraries\n Contains the standard libraries.\n .\n\tindented by a tab\n", "amd64"},
		{"zlib1g", "Package: zlib1g\nArchitecture: arm64\nVersion: 1:1.3.dfsg-3\n", "arm64"},
		{"libc", "", ""},
		// A Multi-Arch: same package installed for two architectures
		// (a cross build's -dev package): the one named.
		{"libsqlite3-0:arm64", "Package: libsqlite3-0\nArchitecture: arm64\nMulti-Arch: same\n", "arm64"},
		{"libsqlite3-0:amd64", "Package: libsqlite3-0\nArchitecture: amd64\nMulti-Arch: same\n", "amd64"},
		{"libsqlite3-0", "Package: libsqlite3-0\nArchitecture: amd64\nMulti-Arch: same\n", "amd64"},
		{"zlib1g:amd64", "", ""},
	} {
		got := pk.Status(tc.pkg)
		if string(got) != tc.want {
			t.Errorf("Status(%s) = %q, want %q", tc.pkg, got, tc.want)
		}
		if a := archOf(got); a != tc.arch {
			t.Errorf("archOf(Status(%s)) = %q, want %q", tc.pkg, a, tc.arch)
		}
	}
	if got := (&Packages{Root: Root{Dir: t.TempDir()}}).Status("libc6"); got != nil {
		t.Errorf("Status without a status file = %q", got)
	}
}

// TestPresent: the present helper answers whether a path exists, in a
// file, as the frontend reads it (exit 0 either way).
func TestPresent(t *testing.T) {
	dir := t.TempDir()
	there := filepath.Join(dir, "secret")
	if err := os.WriteFile(there, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{there: "true", filepath.Join(dir, "none"): "false"} {
		out := filepath.Join(dir, "answer")
		var stderr strings.Builder
		if code := Main([]string{"present", "--out", out, path}, io.Discard, &stderr, nil); code != 0 {
			t.Fatalf("present %s: exit %d: %s", path, code, stderr.String())
		}
		if got, _ := os.ReadFile(out); string(got) != want {
			t.Errorf("present %s = %q, want %q", path, got, want)
		}
	}
	if code := Main([]string{"present", there}, io.Discard, io.Discard, nil); code != 2 {
		t.Errorf("present without --out: exit %d, want 2", code)
	}
}
