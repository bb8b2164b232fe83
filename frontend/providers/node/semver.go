package node

import (
	"regexp"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// rangeSet is a node-semver range, as package.json engines.node writes
// it: "||" unions of comparators, caret and tilde ranges, x-ranges and
// hyphen ranges.
type rangeSet struct {
	c *semver.Constraints
	// bounds are the release numbers the range names.
	bounds []*semver.Version
}

var boundRE = regexp.MustCompile(`[0-9]+(?:\.[0-9]+){0,2}`)

// parseRange reads a node-semver range; an empty one is "*", as in npm.
func parseRange(s string) (rangeSet, error) {
	if strings.TrimSpace(s) == "" {
		s = "*"
	}
	c, err := semver.NewConstraint(s)
	if err != nil {
		return rangeSet{}, err
	}
	rs := rangeSet{c: c}
	for _, b := range boundRE.FindAllString(s, -1) {
		if v, err := semver.NewVersion(b); err == nil {
			rs.bounds = append(rs.bounds, v)
		}
	}
	return rs, nil
}

// allowsMajor reports whether some release of the major satisfies the
// range. The releases of a major that satisfy a range form intervals,
// each starting at M.0.0 or at a bound the range names or the first
// release past it (next patch, minor or major), so checking those
// releases answers for all of them.
func (rs rangeSet) allowsMajor(major int) bool {
	m := uint64(major)
	cands := []semver.Version{*semver.New(m, 0, 0, "", "")}
	for _, b := range rs.bounds {
		cands = append(cands, *b, b.IncPatch(), b.IncMinor(), b.IncMajor())
	}
	for _, v := range cands {
		if v.Major() == m && rs.c.Check(&v) {
			return true
		}
	}
	return false
}
