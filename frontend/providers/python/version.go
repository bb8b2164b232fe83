package python

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	pep440 "github.com/aquasecurity/go-pep440-version"
	"github.com/distill-build/distill/frontend/providers"
)

// Releases are the CPython minors the official images ship on Debian 13,
// newest first, with the patch release their tags carried when this list
// was written (used only to evaluate requires-python bounds such as
// ">=3.12.4"; the builder tag names the minor).
var Releases = []string{"3.14.6", "3.13.14", "3.12.13", "3.11.15", "3.10.20"}

// DefaultVersion is the minor used when nothing asks for another: the one
// distroless publishes (python3-debian13).
const DefaultVersion = "3.13"

// DistrolessMinor is the CPython minor of gcr.io/distroless/python3-debian13.
const DistrolessMinor = "3.13"

// Minors lists the supported minors, newest first.
func Minors() []string {
	out := make([]string, len(Releases))
	for i, r := range Releases {
		out[i] = minorOf(r)
	}
	return out
}

func minorOf(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	return parts[0] + "." + parts[1]
}

func release(minor string) string {
	for _, r := range Releases {
		if minorOf(r) == minor {
			return r
		}
	}
	return minor + ".0"
}

var versionRE = regexp.MustCompile(`^3\.[0-9]+(\.[0-9]+)?$`)

// pythonVersionRE finds the version in a .python-version line such as
// "3.12", "3.12.4" or "cpython-3.12.4-linux-x86_64-gnu".
var pythonVersionRE = regexp.MustCompile(`(?:^|[^0-9.])(3\.[0-9]+)(?:\.[0-9]+)?`)

// specifier is a requires-python constraint: a PEP 440 specifier set,
// or Poetry's constraint syntax (^3.12, ~3.12, 3.12.*, *).
type specifier struct{ pep440.Specifiers }

// poetryRE is a Poetry caret or tilde clause.
var poetryRE = regexp.MustCompile(`^([~^])\s*([0-9]+)(?:\.([0-9]+))?((?:\.[0-9]+)*)$`)

func parseSpecifier(s string) (specifier, error) {
	var alts []string
	for _, alt := range strings.Split(s, "||") {
		var parts []string
		for _, part := range strings.Split(alt, ",") {
			part = strings.TrimSpace(part)
			m := poetryRE.FindStringSubmatch(part)
			switch {
			case part == "" || part == "*":
			case m == nil:
				parts = append(parts, part)
			default:
				// ^3.12 means >=3.12,<4; ~3.12 means >=3.12,<3.13.
				major, _ := strconv.Atoi(m[2])
				upper := strconv.Itoa(major + 1)
				if m[1] == "~" && m[3] != "" {
					minor, _ := strconv.Atoi(m[3])
					upper = m[2] + "." + strconv.Itoa(minor+1)
				}
				parts = append(parts, ">="+strings.TrimLeft(part[1:], " \t"), "<"+upper)
			}
		}
		if len(parts) == 0 {
			parts = append(parts, "*")
		}
		alts = append(alts, strings.Join(parts, ","))
	}
	spec, err := pep440.NewSpecifiers(strings.Join(alts, "||"))
	if err != nil {
		return specifier{}, fmt.Errorf("cannot read version constraint %q: %w", s, err)
	}
	return specifier{spec}, nil
}

// allows reports whether the release v satisfies the specifier.
func (s specifier) allows(v string) bool {
	return s.Check(pep440.MustParse(v))
}

// pickMinor chooses the minor for a requires-python constraint: the
// default when allowed, else the newest allowed.
func pickMinor(s specifier) (string, bool) {
	if s.allows(release(DefaultVersion)) {
		return DefaultVersion, true
	}
	for _, r := range Releases {
		if s.allows(r) {
			return minorOf(r), true
		}
	}
	return "", false
}

// version picks the CPython minor: the manifest's, else the project's
// (.python-version, requires-python, Pipfile.lock), else the default.
func (pl *planner) version(ctx context.Context) error {
	if pl.m.Version.Set() {
		return pl.manifestVersion()
	}
	if found, err := pl.pythonVersionFile(ctx); found || err != nil {
		return err
	}
	return pl.projectVersion(ctx)
}

// supported lists the supported minors, for hints.
func supported() string { return "supported: " + strings.Join(Minors(), ", ") }

// manifestVersion is the manifest's version.
func (pl *planner) manifestVersion() error {
	m := pl.m
	v := m.Version.Value
	if !versionRE.MatchString(v) {
		return providers.Fail(pl.m, m.Version.Range, `write a CPython release such as "3.13" or "3.12.13"`, "invalid Python version %q", v)
	}
	pl.minor = minorOf(v)
	if !slices.Contains(Minors(), pl.minor) {
		return providers.Fail(pl.m, m.Version.Range, supported(), "Python %s has no official slim trixie image", v)
	}
	return nil
}

// pythonVersionFile reads .python-version, in the project's directory or
// the context's root; found is false when there is none.
func (pl *planner) pythonVersionFile(ctx context.Context) (found bool, err error) {
	for _, f := range []string{path.Join(pl.dir, ".python-version"), ".python-version"} {
		data, ok, err := pl.read(ctx, f)
		if err != nil {
			return false, err
		}
		if !ok {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			mm := pythonVersionRE.FindStringSubmatch(line)
			if mm == nil || !slices.Contains(Minors(), mm[1]) {
				return true, providers.Fail(pl.m, pl.m.Language.Range, "write a supported version in "+f+" or set `version:` ("+supported()+")", "%s asks for Python %q", f, line)
			}
			pl.minor = mm[1]
			return true, nil
		}
	}
	return false, nil
}

// projectVersion is the Python the lock or pyproject.toml asks for, else
// the default.
func (pl *planner) projectVersion(ctx context.Context) error {
	var constraint, from string
	switch {
	case pl.ws != nil:
		constraint, from = pl.ws.requiresPython(pl.pyproject)
	case pl.kind == managerPipenv:
		data, _, err := pl.read(ctx, pl.file)
		if err != nil {
			return err
		}
		if _, v, err := pipenvRequirements(data); err == nil && v != "" {
			if !slices.Contains(Minors(), v) {
				return providers.Fail(pl.m, pl.depsRange, "set `version:` or lock with a supported Python ("+supported()+")", "%s is locked for Python %s", pl.file, v)
			}
			pl.minor = v
			return nil
		}
	case pl.kind == managerUV:
		data, _, err := pl.read(ctx, pl.file)
		if err != nil {
			return err
		}
		constraint, from = uvLockRequiresPython(data), pl.file
	}
	if constraint == "" && pl.pyproject != nil {
		constraint, from = pl.pyproject.requiresPython(), path.Join(pl.dir, "pyproject.toml")
	}
	if constraint == "" {
		pl.minor = DefaultVersion
		return nil
	}
	spec, err := parseSpecifier(constraint)
	if err != nil {
		return providers.Fail(pl.m, pl.depsRange, "set `version:` in the manifest", "%s: %v", from, err)
	}
	minor, ok := pickMinor(spec)
	if !ok {
		return providers.Fail(pl.m, pl.depsRange, "set `version:` or widen requires-python ("+supported()+")", "%s requires Python %s, which no supported release satisfies", from, constraint)
	}
	pl.minor = minor
	return nil
}
