package node

import (
	"fmt"
	"strconv"
	"strings"
)

// version is a release number; missing parts are zero.
type version [3]int

func (v version) less(w version) bool {
	for i := range v {
		if v[i] != w[i] {
			return v[i] < w[i]
		}
	}
	return false
}

// interval is the half-open range [lo, hi) of versions; hi of nil means
// no upper bound.
type interval struct {
	lo version
	hi *version
}

func (r interval) empty() bool { return r.hi != nil && !r.lo.less(*r.hi) }

func (r interval) intersect(s interval) interval {
	out := r
	if out.lo.less(s.lo) {
		out.lo = s.lo
	}
	if s.hi != nil && (out.hi == nil || s.hi.less(*out.hi)) {
		out.hi = s.hi
	}
	return out
}

// rangeSet is a node-semver range: a union of intervals.
type rangeSet []interval

// allowsMajor reports whether some release of the major satisfies the
// range.
func (rs rangeSet) allowsMajor(major int) bool {
	m := interval{lo: version{major}, hi: &version{major + 1}}
	for _, r := range rs {
		if !r.intersect(m).empty() {
			return true
		}
	}
	return false
}

// parseRange reads the node-semver range syntax package.json engines use:
// "||" unions of space-separated comparators (<, <=, >, >=, =), caret and
// tilde ranges, x-ranges ("22", "22.x", "*") and hyphen ranges
// ("20 - 24"). Pre-release tags are ignored.
func parseRange(s string) (rangeSet, error) {
	var out rangeSet
	for _, alt := range strings.Split(s, "||") {
		alt = strings.TrimSpace(alt)
		r := interval{}
		if lo, hi, ok := strings.Cut(alt, " - "); ok {
			a, _, err := partial(strings.TrimSpace(lo))
			if err != nil {
				return nil, err
			}
			b, n, err := partial(strings.TrimSpace(hi))
			if err != nil {
				return nil, err
			}
			out = append(out, interval{lo: a, hi: upper(b, n)})
			continue
		}
		// Operators may be separated from their version by spaces.
		fields := strings.Fields(alt)
		for i := 0; i < len(fields); i++ {
			f := fields[i]
			if strings.Trim(f, "<>=~^") == "" && i+1 < len(fields) {
				f += fields[i+1]
				i++
			}
			c, err := comparator(f)
			if err != nil {
				return nil, err
			}
			r = r.intersect(c)
		}
		out = append(out, r)
	}
	return out, nil
}

// comparator turns one comparator into an interval.
func comparator(f string) (interval, error) {
	op := ""
	for _, p := range []string{">=", "<=", ">", "<", "=", "^", "~"} {
		if strings.HasPrefix(f, p) {
			op, f = p, strings.TrimSpace(f[len(p):])
			break
		}
	}
	v, n, err := partial(f)
	if err != nil {
		return interval{}, err
	}
	switch op {
	case "", "=":
		if n == 0 {
			return interval{}, nil
		}
		return interval{lo: v, hi: upper(v, n)}, nil
	case ">=":
		return interval{lo: v}, nil
	case ">":
		if n == 0 {
			return interval{}, nil
		}
		return interval{lo: *upper(v, n)}, nil
	case "<":
		return interval{hi: &v}, nil
	case "<=":
		return interval{hi: upper(v, n)}, nil
	case "~":
		if n >= 2 {
			return interval{lo: v, hi: &version{v[0], v[1] + 1}}, nil
		}
		return interval{lo: v, hi: upper(v, n)}, nil
	default: // ^: the leftmost non-zero part stays.
		switch {
		case v[0] > 0 || n <= 1:
			return interval{lo: v, hi: &version{v[0] + 1}}, nil
		case v[1] > 0 || n == 2:
			return interval{lo: v, hi: &version{0, v[1] + 1}}, nil
		default:
			return interval{lo: v, hi: &version{0, 0, v[2] + 1}}, nil
		}
	}
}

// upper is the first version past v given with n parts ("22" → 23.0.0,
// "22.4" → 22.5.0, "22.4.1" → 22.4.2); nil for "*".
func upper(v version, n int) *version {
	switch n {
	case 0:
		return nil
	case 1:
		return &version{v[0] + 1}
	case 2:
		return &version{v[0], v[1] + 1}
	}
	return &version{v[0], v[1], v[2] + 1}
}

// partial parses "v22", "22.x", "22.4", "22.4.1-rc.1"; n is the number of
// parts given (x and * end it).
func partial(s string) (version, int, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	s, _, _ = strings.Cut(s, "-")
	s, _, _ = strings.Cut(s, "+")
	var v version
	if s == "" || s == "*" || s == "x" || s == "X" {
		return v, 0, nil
	}
	parts := strings.Split(s, ".")
	if len(parts) > 3 {
		return v, 0, fmt.Errorf("invalid version %q", s)
	}
	for i, p := range parts {
		if p == "x" || p == "X" || p == "*" {
			return v, i, nil
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, 0, fmt.Errorf("invalid version %q", s)
		}
		v[i] = n
	}
	return v, len(parts), nil
}
