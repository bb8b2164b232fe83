package providers

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/distill-build/distill/frontend/manifest"
)

// Workspace is how a language recognizes the workspace an app is a
// member of, when the workspace is declared above the app's directory
// (a Go go.work, a pnpm-workspace.yaml, a package.json's workspaces, a
// pyproject.toml's uv workspace): the frontend then takes the
// workspace's directory as the app's root, the manifest's directory as
// the member (Manifest.Member), and reads the rest of the repository
// only where the provider asks.
type Workspace struct {
	// Files are the names of the files that can declare a workspace.
	Files []string
	// Has reports whether a file of Files (its name and content) declares
	// a workspace that has member, a directory relative to the file's.
	Has func(name string, data []byte, member string) bool
	// Reach, when set, lists the context paths outside dir (the manifest's
	// directory; paths relative to the context's root, which fsys reads)
	// that the app's own dependency files name: path dependencies
	// (directories, or files such as a wheel), included requirement files.
	// When no file declares a workspace, the app's root is then the
	// deepest directory holding dir and all of them, and dir the member;
	// paths that leave the context are ignored (the provider reports
	// them when it plans the app).
	Reach func(ctx context.Context, fsys FS, m *manifest.Manifest, dir string) ([]string, error)
}

// Prefetcher is an FS that reads on demand (the frontend's, for an app
// in a workspace): it can read several files, or whole directories, in
// one round trip. What a provider copies whole it should prefetch whole.
type Prefetcher interface {
	Prefetch(ctx context.Context, names []string) error
	PrefetchTrees(ctx context.Context, dirs []string) error
}

// PrefetchTrees loads the directories whole when fsys reads on demand.
func PrefetchTrees(ctx context.Context, fsys FS, dirs []string) error {
	if pf, ok := fsys.(Prefetcher); ok {
		return pf.PrefetchTrees(ctx, dirs)
	}
	return nil
}

// FindWorkspace is the nearest directory above dir (both relative to the
// context's root) with a file of ws that declares a workspace with dir
// as a member; else, when ws can Reach, the deepest directory holding
// dir and the paths the app's dependency files (m's) name outside it;
// "" when there is none.
func FindWorkspace(ctx context.Context, fsys FS, m *manifest.Manifest, dir string, ws *Workspace) (string, error) {
	if ws == nil || dir == "." || dir == "" {
		return "", nil
	}
	var parents []string
	for d := path.Dir(dir); ; d = path.Dir(d) {
		parents = append(parents, d)
		if d == "." {
			break
		}
	}
	var names []string
	for _, p := range parents {
		for _, f := range ws.Files {
			names = append(names, path.Join(p, f))
		}
	}
	if pf, ok := fsys.(Prefetcher); ok {
		if err := pf.Prefetch(ctx, names); err != nil {
			return "", err
		}
	}
	for _, p := range parents {
		member := strings.TrimPrefix(dir, p+"/")
		if p == "." {
			member = dir
		}
		for _, f := range ws.Files {
			name := path.Join(p, f)
			ok, err := Exists(ctx, fsys, name)
			if err != nil {
				return "", err
			}
			if !ok {
				continue
			}
			data, err := fsys.ReadFile(ctx, name)
			if err != nil {
				return "", fmt.Errorf("reading %s: %w", name, err)
			}
			if ws.Has != nil && ws.Has(f, data, member) {
				return p, nil
			}
		}
	}
	if ws.Reach == nil {
		return "", nil
	}
	reached, err := ws.Reach(ctx, fsys, m, dir)
	if err != nil {
		return "", err
	}
	root := dir
	for _, p := range reached {
		if p = path.Clean(p); path.IsAbs(p) || p == ".." || strings.HasPrefix(p, "../") {
			continue
		}
		root = commonDir(root, p)
	}
	if root == dir {
		return "", nil
	}
	return root, nil
}

// commonDir is the deepest directory holding both slash paths (relative
// to the same root, clean): "." when they share no directory.
func commonDir(a, b string) string {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	n := 0
	for n < len(as) && n < len(bs) && as[n] == bs[n] {
		n++
	}
	if n == 0 {
		return "."
	}
	return strings.Join(as[:n], "/")
}

// MatchMember reports whether member (a slash path) matches one of the
// workspace's member patterns (path.Match globs, "./" prefixes and
// trailing slashes ignored) and none of its exclusions ("!pattern" in the
// list, or excludes).
func MatchMember(member string, patterns, excludes []string) bool {
	member = path.Clean(member)
	in := false
	for _, p := range patterns {
		neg := strings.HasPrefix(p, "!")
		p = path.Clean(strings.TrimPrefix(strings.TrimPrefix(p, "!"), "./"))
		ok := p == member
		if !ok {
			ok, _ = path.Match(p, member)
		}
		if !ok && strings.HasSuffix(p, "/**") {
			ok = strings.HasPrefix(member, strings.TrimSuffix(p, "**"))
		}
		if ok {
			in = !neg
		}
	}
	for _, e := range excludes {
		if ok, _ := path.Match(path.Clean(strings.TrimPrefix(e, "./")), member); ok {
			return false
		}
	}
	return in
}
