package e2e

// Reading a build's plain progress (--progress=plain): which steps ran,
// came from the cache, ran emulated.

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// vertexLines returns the plain-progress lines (without "#N ") of the
// vertices whose name contains name: found is whether there is one.
func vertexLines(out, name string) (found bool, lines []string) {
	ids := map[string]bool{}
	re := regexp.MustCompile(`^#(\d+) (.*)$`)
	for _, line := range strings.Split(out, "\n") {
		m := re.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if strings.Contains(m[2], name) && strings.HasPrefix(m[2], "[") {
			ids[m[1]] = true
			found = true
		}
		if ids[m[1]] {
			lines = append(lines, m[2])
		}
	}
	return found, lines
}

// stepStatus finds the plain-progress vertex whose name contains name and
// reports whether it was CACHED.
func stepStatus(out, name string) (found, cached bool) {
	found, lines := vertexLines(out, name)
	return found, slices.Contains(lines, "CACHED")
}

// stepImported finds the plain-progress vertex whose name contains name
// and reports whether its result came from the cache without running:
// CACHED, or (a result a later step needs, taken from an imported cache)
// its layers pulled and extracted with no output of a process of its own
// (a step that runs prints its process's lines, "#N 0.123 …").
func stepImported(out, name string) (found, imported bool) {
	found, lines := vertexLines(out, name)
	ran := regexp.MustCompile(`^\d+\.\d+ `)
	cached, pulled, output := false, false, false
	for _, l := range lines {
		switch {
		case l == "CACHED":
			cached = true
		case strings.HasPrefix(l, "extracting sha256:"):
			pulled = true
		case ran.MatchString(l):
			output = true
		}
	}
	return found, cached || (pulled && !output)
}

// checkEmulatedOnly checks that the build ran exactly the steps named in
// want emulated (each shown with "(emulated: " and its reason), and no
// other.
func checkEmulatedOnly(t *testing.T, out string, want []string) {
	t.Helper()
	seen := map[string]bool{}
	re := regexp.MustCompile(`^#\d+ (\[.*\(emulated: .*)$`)
	for _, line := range strings.Split(out, "\n") {
		m := re.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		known := false
		for _, w := range want {
			if strings.Contains(m[1], w) {
				seen[w], known = true, true
			}
		}
		if !known {
			t.Errorf("step ran emulated: %s", m[1])
		}
	}
	for _, w := range want {
		if !seen[w] {
			t.Errorf("no emulated step %q:\n%s", w, tail(out, 60))
		}
	}
}
