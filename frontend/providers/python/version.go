package python

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
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

// version is a dotted release, compared numerically.
type version []int

func parseVersion(s string) (version, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, false
	}
	var v version
	for _, p := range strings.Split(s, ".") {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, false
		}
		v = append(v, n)
	}
	return v, true
}

func (v version) cmp(w version) int {
	for i := 0; i < max(len(v), len(w)); i++ {
		a, b := 0, 0
		if i < len(v) {
			a = v[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			if a < b {
				return -1
			}
			return 1
		}
	}
	return 0
}

// specifier is a PEP 440 version specifier set ("," joined clauses), or
// Poetry's constraint syntax (^3.12, ~3.12, 3.12.*).
type specifier []clause

type clause struct {
	op  string
	ver version
	// prefix is set for "==3.12.*" / "!=3.12.*".
	prefix bool
}

var clauseRE = regexp.MustCompile(`^(===|~=|==|!=|<=|>=|<|>|\^|~)?\s*([0-9]+(?:\.[0-9]+)*)(\.\*)?$`)

func parseSpecifier(s string) (specifier, error) {
	var out specifier
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' }) {
		part = strings.TrimSpace(part)
		if part == "" || part == "*" {
			continue
		}
		m := clauseRE.FindStringSubmatch(part)
		if m == nil {
			return nil, fmt.Errorf("cannot read version constraint %q", part)
		}
		v, _ := parseVersion(m[2])
		op := m[1]
		switch op {
		case "":
			op = "=="
		case "===":
			op = "=="
		case "^":
			// Poetry: ^3.12 means >=3.12,<4.
			out = append(out, clause{op: ">=", ver: v}, clause{op: "<", ver: version{v[0] + 1}})
			continue
		case "~":
			// Poetry: ~3.12 means >=3.12,<3.13.
			upper := version{v[0] + 1}
			if len(v) >= 2 {
				upper = version{v[0], v[1] + 1}
			}
			out = append(out, clause{op: ">=", ver: v}, clause{op: "<", ver: upper})
			continue
		}
		out = append(out, clause{op: op, ver: v, prefix: m[3] != ""})
	}
	return out, nil
}

func (s specifier) allows(v version) bool {
	for _, c := range s {
		if !c.allows(v) {
			return false
		}
	}
	return true
}

func (c clause) allows(v version) bool {
	if c.prefix {
		eq := len(v) >= len(c.ver) && slices.Equal(v[:len(c.ver)], c.ver)
		if c.op == "!=" {
			return !eq
		}
		return eq
	}
	switch c.op {
	case "==":
		return v.cmp(c.ver) == 0
	case "!=":
		return v.cmp(c.ver) != 0
	case ">=":
		return v.cmp(c.ver) >= 0
	case "<=":
		return v.cmp(c.ver) <= 0
	case ">":
		return v.cmp(c.ver) > 0
	case "<":
		return v.cmp(c.ver) < 0
	case "~=":
		// ~=3.11 means >=3.11,==3.*; ~=3.11.2 means >=3.11.2,==3.11.*
		if v.cmp(c.ver) < 0 || len(c.ver) < 2 {
			return v.cmp(c.ver) >= 0
		}
		p := c.ver[:len(c.ver)-1]
		return len(v) >= len(p) && slices.Equal(v[:len(p)], p)
	}
	return false
}

// pickMinor chooses the minor for a requires-python constraint: the
// default when allowed, else the newest allowed.
func pickMinor(s specifier) (string, bool) {
	if s.allows(mustVersion(release(DefaultVersion))) {
		return DefaultVersion, true
	}
	for _, r := range Releases {
		if s.allows(mustVersion(r)) {
			return minorOf(r), true
		}
	}
	return "", false
}

func mustVersion(s string) version {
	v, ok := parseVersion(s)
	if !ok {
		panic("bad version " + s)
	}
	return v
}
