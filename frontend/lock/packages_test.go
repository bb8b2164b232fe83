package lock

import (
	"strings"
	"testing"
)

const sum = "53f653873216b135570b42c423ea93825c008ac464780b4578e80ee424237a4e"

func TestPin(t *testing.T) {
	d := Deb{Name: "libmagic1t64", Arch: "amd64", Version: "1:5.46-5", SHA256: sum}
	got, err := ParsePin(d.Pin())
	if err != nil || got != d {
		t.Fatalf("ParsePin(%q) = %+v, %v; want %+v", d.Pin(), got, err, d)
	}
	for _, bad := range []string{"jq", "jq:amd64=1.7", "jq=1.7=" + sum, "jq:amd64=1.7=abc", "jq:amd64=v1=" + sum, "JQ:amd64=1.7=" + sum} {
		if _, err := ParsePin(bad); err == nil {
			t.Errorf("ParsePin(%q) passed", bad)
		}
	}
}

func TestPackages(t *testing.T) {
	out := `{"requested": ["mawk", "jq"], "debs": [
	  {"name": "libjq1", "arch": "arm64", "version": "1.7.1-6+deb13u1", "sha256": "` + sum + `"},
	  {"name": "jq", "arch": "arm64", "version": "1.7.1-6+deb13u1", "sha256": "` + sum + `"}]}`
	ps, err := ParsePackages("linux/arm64", []byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if ps.Platform != "linux/arm64" || strings.Join(ps.Requested, ",") != "jq,mawk" || ps.Debs[0].Name != "jq" {
		t.Fatalf("ParsePackages = %+v: want the platform set, names sorted", ps)
	}
	f := &File{Version: Version, Packages: []Packages{ps}}
	back, err := Parse("distill.lock", f.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if debs, ok := back.Debs("linux/arm64", []string{"mawk", "jq", "jq"}); !ok || len(debs) != 2 {
		t.Errorf("Debs for the same request = %v, %v", debs, ok)
	}
	if _, ok := back.Debs("linux/arm64", []string{"jq"}); ok {
		t.Error("a lock for jq and mawk pins a request for jq alone")
	}
	if _, ok := back.Debs("linux/amd64", []string{"jq", "mawk"}); ok {
		t.Error("a lock for arm64 pins amd64")
	}
	if _, ok := (*File)(nil).Debs("linux/arm64", []string{"jq"}); ok {
		t.Error("no lock pins something")
	}

	bad := strings.Replace(string(f.Marshal()), sum, "abc", 1)
	if _, err := Parse("distill.lock", []byte(bad)); err == nil || !strings.Contains(err.Error(), "distill.lock: packages for linux/arm64") || !strings.Contains(err.Error(), "distill lock") {
		t.Errorf("a bad hash: %v", err)
	}
}

func TestChanged(t *testing.T) {
	jq := Deb{Name: "jq", Arch: "amd64", Version: "1.7.1-6", SHA256: sum}
	lib := Deb{Name: "libjq1", Arch: "amd64", Version: "1.7.1-6", SHA256: sum}
	if c := Changed([]Deb{jq, lib}, []Deb{lib, jq}); len(c) != 0 {
		t.Errorf("same debs: %v", c)
	}
	newer, other, onig := jq, lib, Deb{Name: "libonig5", Arch: "amd64", Version: "6.9.9-1", SHA256: sum}
	newer.Version = "1.7.1-6+deb13u1"
	other.SHA256 = strings.Repeat("0", 64)
	got := strings.Join(Changed([]Deb{jq, lib}, []Deb{newer, other, onig}), "; ")
	want := "jq:amd64 1.7.1-6 → 1.7.1-6+deb13u1; libjq1:amd64 1.7.1-6 has SHA-256 " + other.SHA256 + ", the lock " + sum + "; libonig5:amd64 6.9.9-1 is new"
	if got != want {
		t.Errorf("Changed = %q\nwant %q", got, want)
	}
	if got := Changed([]Deb{jq, lib}, []Deb{jq}); len(got) != 1 || got[0] != "libjq1:amd64 1.7.1-6 is no longer needed" {
		t.Errorf("Changed = %q", got)
	}
}
