package helper

import (
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// addAlternatives does what update-alternatives did in the builder's
// maintainer scripts for the files added: a program reached by its
// generic name (awk for mawk) gets the generic link and the
// /etc/alternatives link the builder chose, which no package lists.
func addAlternatives(b, r Root, out string, copied map[string]bool, logf func(string, ...any)) error {
	files, _ := filepath.Glob(b.Host("/var/lib/dpkg/alternatives/*"))
	sort.Strings(files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		lines := strings.Split(string(data), "\n")
		if len(lines) < 2 {
			continue
		}
		// mode, the master link, then slave name and link pairs up to a
		// blank line.
		links := map[string]string{filepath.Base(f): lines[1]}
		for i := 2; i+1 < len(lines) && lines[i] != ""; i += 2 {
			links[lines[i]] = lines[i+1]
		}
		for _, name := range slices.Sorted(maps.Keys(links)) {
			alt := "/etc/alternatives/" + name
			target, err := os.Readlink(b.Host(alt))
			if err != nil || !copied[target] {
				continue
			}
			for _, l := range [][2]string{{alt, target}, {links[name], alt}} {
				dest := path.Join(runtimeDir(r, path.Dir(l[0])), path.Base(l[0]))
				if _, err := os.Lstat(r.Host(dest)); err == nil {
					continue // the runtime's own
				}
				if err := writeLink(filepath.Join(out, filepath.FromSlash(dest)), l[1]); err != nil {
					return err
				}
			}
			logf("alternative %s: %s -> %s (update-alternatives, done here)", name, links[name], target)
		}
	}
	return nil
}

// writeLink makes host a symbolic link to target, replacing what is
// there and making its directory.
func writeLink(host, target string) error {
	if err := os.MkdirAll(filepath.Dir(host), 0o755); err != nil {
		return err
	}
	_ = os.Remove(host)
	return os.Symlink(target, host)
}
