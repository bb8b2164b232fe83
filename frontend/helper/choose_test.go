package helper

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestChoose builds C programs on the host and chooses among runtimes
// that hold copies of the host's libraries: a static program gets
// static, one that needs only libc gets base, one that needs libgcc_s
// gets cc, and a library no candidate has does not push it to cc.
func TestChoose(t *testing.T) {
	t.Parallel()
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler")
	}
	src := filepath.Join(t.TempDir(), "m.c")
	must(t, os.WriteFile(src, []byte("#include <stdio.h>\nint main(void){puts(\"hi\");return 0;}\n"), 0o644))
	build := func(name string, flags ...string) string {
		dir := t.TempDir()
		out := filepath.Join(dir, name)
		if b, err := exec.Command(cc, append([]string{"-o", out, src}, flags...)...).CombinedOutput(); err != nil {
			t.Skipf("cc %v: %v\n%s", flags, err, b)
		}
		return dir
	}
	probe := filepath.Join(build("probe"), "probe")
	m := machineOf(t, probe)
	triple := triples[m]
	// runtimeWith makes a runtime root holding copies of host libraries.
	runtimeWith := func(libs ...string) Root {
		root := t.TempDir()
		dir := filepath.Join(root, "usr/lib", triple)
		must(t, os.MkdirAll(dir, 0o755))
		must(t, os.Symlink("usr/lib", filepath.Join(root, "lib")))
		for _, l := range libs {
			real, err := filepath.EvalSymlinks(filepath.Join("/lib", triple, l))
			if err != nil {
				t.Skipf("host has no %s: %v", l, err)
			}
			data, err := os.ReadFile(real)
			must(t, err)
			must(t, os.WriteFile(filepath.Join(dir, l), data, 0o644))
		}
		return Root{Dir: root}
	}
	cands := []Candidate{
		{"static", Root{Dir: t.TempDir()}},
		{"base", runtimeWith("libc.so.6")},
		{"cc", runtimeWith("libc.so.6", "libgcc_s.so.1")},
	}
	for _, tc := range []struct {
		name  string
		flags []string
		want  string
	}{
		{"static", []string{"-static"}, "static"},
		{"libc", nil, "base"},
		{"libgcc_s", []string{"-Wl,--no-as-needed", "-lgcc_s"}, "cc"},
		// libm is in neither runtime here: carried whichever is chosen.
		{"libm", []string{"-Wl,--no-as-needed", "-lm"}, "base"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := build("app", tc.flags...)
			got, why, err := Choose(ChooseOptions{Builder: Root{Dir: "/"}, Scan: []string{dir}, Machine: m, Candidates: cands})
			must(t, err)
			if got != tc.want {
				t.Errorf("chose %s (%s), want %s", got, why, tc.want)
			}
			if tc.name == "libm" && !strings.Contains(why, "libm.so.6 (carried") {
				t.Errorf("why = %q, want libm named as carried", why)
			}
		})
	}
}
