package lock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/decode"
)

// KindDebian is the plan's lock kind (plan.Lock.Kind) of runtime
// packages: its output is a Packages document.
const KindDebian = "debian"

// Packages are the Debian packages a build installs for one platform:
// the ones the manifest asked for and every package apt downloaded for
// them, each at the version and with the hash the archive gave.
type Packages struct {
	Platform  string   `json:"platform"`
	Requested []string `json:"requested"`
	Debs      []Deb    `json:"debs"`
}

// Deb is one downloaded package: its name, Debian architecture ("all"
// for an architecture-independent one), version and the SHA-256 of the
// .deb as the archive's signed index lists it.
type Deb struct {
	Name    string `json:"name"`
	Arch    string `json:"arch"`
	Version string `json:"version"`
	SHA256  string `json:"sha256"`
}

// Pin is the deb as the apt helper's --pin takes it:
// name:arch=version=sha256.
func (d Deb) Pin() string { return d.Name + ":" + d.Arch + "=" + d.Version + "=" + d.SHA256 }

// ParsePin reads a Pin.
func ParsePin(s string) (Deb, error) {
	na, rest, ok1 := strings.Cut(s, "=")
	i := strings.LastIndex(rest, "=")
	name, arch, ok2 := strings.Cut(na, ":")
	if !ok1 || !ok2 || i < 0 {
		return Deb{}, fmt.Errorf("%q is not name:arch=version=sha256", s)
	}
	d := Deb{Name: name, Arch: arch, Version: rest[:i], SHA256: rest[i+1:]}
	return d, d.validate()
}

var (
	sha256RE  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	debNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)
	// A Debian version: [epoch:]upstream[-revision].
	debVersionRE = regexp.MustCompile(`^([0-9]+:)?[0-9][A-Za-z0-9.+~:-]*$`)
)

func (d Deb) validate() error {
	switch {
	case !debNameRE.MatchString(d.Name):
		return fmt.Errorf("%q is not a Debian package name", d.Name)
	case !debNameRE.MatchString(d.Arch):
		return fmt.Errorf("%s: %q is not a Debian architecture", d.Name, d.Arch)
	case !debVersionRE.MatchString(d.Version):
		return fmt.Errorf("%s: %q is not a Debian version", d.Name, d.Version)
	case !sha256RE.MatchString(d.SHA256):
		return fmt.Errorf("%s %s: %q is not a SHA-256", d.Name, d.Version, d.SHA256)
	}
	return nil
}

func (ps Packages) validate() error {
	if len(ps.Requested) == 0 || len(ps.Debs) == 0 {
		return fmt.Errorf("requested and debs are required")
	}
	for _, d := range ps.Debs {
		if err := d.validate(); err != nil {
			return err
		}
	}
	return nil
}

// ParsePackages reads what a KindDebian lock step wrote, for platform.
func ParsePackages(platform string, data []byte) (Packages, error) {
	var ps Packages
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ps); err != nil {
		return Packages{}, fmt.Errorf("runtime packages for %s: %v", platform, decode.Explain(err, data))
	}
	ps.Platform = platform
	ps.normalize()
	if err := ps.validate(); err != nil {
		return Packages{}, fmt.Errorf("runtime packages for %s: %v", platform, err)
	}
	return ps, nil
}

func (ps *Packages) normalize() {
	slices.Sort(ps.Requested)
	ps.Requested = slices.Compact(ps.Requested)
	slices.SortFunc(ps.Debs, func(a, b Deb) int {
		return strings.Compare(a.Name+":"+a.Arch, b.Name+":"+b.Arch)
	})
}

// Debs are the packages the lock pins for platform when it was written
// for the same requested packages; ok is false when it was not (no
// entry, or runtime-packages changed since).
func (f *File) Debs(platform string, requested []string) (debs []Deb, ok bool) {
	if f == nil {
		return nil, false
	}
	want := slices.Clone(requested)
	slices.Sort(want)
	want = slices.Compact(want)
	for _, ps := range f.Packages {
		if ps.Platform == platform {
			return ps.Debs, slices.Equal(ps.Requested, want)
		}
	}
	return nil, false
}

// Changed lists how now differs from the locked debs, one line per
// package ("jq:amd64 1.7.1-6 → 1.7.1-6+deb13u1"), empty when equal.
func Changed(locked, now []Deb) []string {
	key := func(d Deb) string { return d.Name + ":" + d.Arch }
	var out []string
	for _, n := range now {
		i := slices.IndexFunc(locked, func(l Deb) bool { return key(l) == key(n) })
		switch {
		case i < 0:
			out = append(out, fmt.Sprintf("%s %s is new", key(n), n.Version))
		case locked[i].Version != n.Version:
			out = append(out, fmt.Sprintf("%s %s → %s", key(n), locked[i].Version, n.Version))
		case locked[i].SHA256 != n.SHA256:
			out = append(out, fmt.Sprintf("%s %s has SHA-256 %s, the lock %s", key(n), n.Version, n.SHA256, locked[i].SHA256))
		}
	}
	for _, l := range locked {
		if !slices.ContainsFunc(now, func(n Deb) bool { return key(n) == key(l) }) {
			out = append(out, fmt.Sprintf("%s %s is no longer needed", key(l), l.Version))
		}
	}
	return out
}
