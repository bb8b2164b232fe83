package golang

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// goMod is what distill needs from go.mod.
type goMod struct {
	path      string
	goLine    string // "1.26" or "1.26.8"
	toolchain string // "go1.26.8" or ""
	// localReplaces are replacement directories inside the module tree
	// (replace x => ./y): the download step needs their go.mod files.
	localReplaces []string
	// requires says go.mod requires other modules.
	requires bool
}

// version is the Go release the module asks for, as major.minor: the
// toolchain line wins over the go line. The builder tag names only the
// minor release so the newest patch (which satisfies any go line of that
// minor) is used.
func (m goMod) version() string {
	v := m.goLine
	if t := strings.TrimPrefix(m.toolchain, "go"); t != m.toolchain && t != "" {
		v = t
	}
	if parts := strings.SplitN(v, ".", 3); len(parts) == 3 {
		v = parts[0] + "." + parts[1]
	}
	// Pre-releases (1.27rc1) have no official image: keep them visible.
	return v
}

func parseGoMod(data []byte) (goMod, error) {
	var m goMod
	inReplace := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "//"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if strings.HasPrefix(line, "require ") || line == "require (" {
			m.requires = true
		}
		switch {
		case line == "replace (":
			inReplace = true
			continue
		case inReplace && line == ")":
			inReplace = false
			continue
		case inReplace || strings.HasPrefix(line, "replace "):
			if _, target, ok := strings.Cut(line, "=>"); ok {
				if t := strings.Fields(target); len(t) == 1 && (strings.HasPrefix(t[0], "./") || strings.HasPrefix(t[0], "../")) {
					m.localReplaces = append(m.localReplaces, t[0])
				}
			}
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			continue
		}
		switch fields[0] {
		case "module":
			m.path = strings.Trim(fields[1], `"`)
		case "go":
			m.goLine = fields[1]
		case "toolchain":
			m.toolchain = fields[1]
		}
	}
	if err := sc.Err(); err != nil {
		return m, err
	}
	if m.path == "" {
		return m, fmt.Errorf("no module line")
	}
	if m.goLine == "" {
		return m, fmt.Errorf("no go line: add `go 1.26` (or set version: in the manifest)")
	}
	return m, nil
}
