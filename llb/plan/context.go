package plan

import (
	"path"
	"slices"
)

// ContextPaths are the paths of the build context (relative to the app's
// root) that the plan reads, sorted and without one under another; whole
// is true when a step copies the whole context, so every path is read.
// The frontend asks the client for only these files.
func (p *Plan) ContextPaths() (paths []string, whole bool) {
	var walk func(steps []Step)
	walk = func(steps []Step) {
		for _, s := range steps {
			switch {
			case s.Copy != nil && len(s.Copy.Paths) == 0:
				if dir := path.Clean(s.Copy.Dir); s.Copy.Dir != "" && dir != "." {
					paths = append(paths, dir)
				} else {
					whole = true
				}
			case s.Copy != nil:
				for _, q := range s.Copy.Paths {
					paths = append(paths, path.Join(s.Copy.Dir, q))
				}
			case s.Run != nil:
				if s.Run.Emulated != nil {
					walk(s.Run.Emulated.Setup)
				}
				if s.Run.Fallback != nil {
					walk([]Step{*s.Run.Fallback})
				}
			}
		}
	}
	for _, t := range p.Targets {
		walk(t.Steps)
		for _, a := range t.Artifacts {
			if a.From == FromContext {
				paths = append(paths, a.Src)
			}
		}
	}
	if whole {
		return nil, true
	}
	for i, q := range paths {
		paths[i] = path.Clean("/" + q)[1:]
		if paths[i] == "" {
			return nil, true
		}
	}
	slices.Sort(paths)
	paths = slices.Compact(paths)
	// Drop a path under another one kept.
	out := paths[:0]
	for _, q := range paths {
		if n := len(out); n > 0 && (q == out[n-1] || len(q) > len(out[n-1]) && q[:len(out[n-1])+1] == out[n-1]+"/") {
			continue
		}
		out = append(out, q)
	}
	return out, false
}
