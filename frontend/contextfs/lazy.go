package contextfs

import (
	"context"
	"io/fs"
	"path"
	"strings"
	"sync"

	"github.com/distill-build/distill/frontend/providers"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
)

// Lazy reads a build context the client has not sent: each read asks
// the client for only the files it needs (include and exclude patterns),
// once. Directories a caller will read whole are loaded whole (Tree,
// PrefetchTrees). An app in a workspace reads the workspace's files this
// way without the repository being transferred.
type Lazy struct {
	// Load solves the context with the patterns (fsutil's syntax,
	// relative to the context's root; the client's .dockerignore
	// applies too).
	Load func(ctx context.Context, include, exclude []string) (gwclient.Reference, error)

	mu    sync.Mutex
	trees map[string]gwclient.Reference // directory → a reference with all of it
	files map[string]gwclient.Reference // path → a reference with it, if it exists (a directory without its entries)
	dirs  map[string]gwclient.Reference // directory → a reference with its entries (theirs not)
}

// Tree records a reference that holds the directory whole.
func (l *Lazy) Tree(dir string, ref gwclient.Reference) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.trees == nil {
		l.trees = map[string]gwclient.Reference{}
	}
	l.trees[clean(dir)] = ref
}

// Under is the context seen from dir: paths are relative to it and stay
// under it.
func (l *Lazy) Under(dir string) providers.FS { return view{l: l, dir: clean(dir)} }

// tree is the reference holding p whole, if any.
func (l *Lazy) tree(p string) gwclient.Reference {
	l.mu.Lock()
	defer l.mu.Unlock()
	for d, ref := range l.trees {
		if d == "." || p == d || strings.HasPrefix(p, d+"/") {
			return ref
		}
	}
	return nil
}

// ref is the reference m holds for key, loaded with the patterns when
// missing.
func (l *Lazy) ref(ctx context.Context, m *map[string]gwclient.Reference, key string, include, exclude []string) (gwclient.Reference, error) {
	l.mu.Lock()
	ref, ok := (*m)[key]
	l.mu.Unlock()
	if ok {
		return ref, nil
	}
	ref, err := l.Load(ctx, include, exclude)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if *m == nil {
		*m = map[string]gwclient.Reference{}
	}
	(*m)[key] = ref
	return ref, nil
}

// file is a reference holding p (not its entries, if a directory).
func (l *Lazy) file(ctx context.Context, p string) (Ref, error) {
	if ref := l.tree(p); ref != nil {
		return Ref{Ref: ref}, nil
	}
	ref, err := l.ref(ctx, &l.files, p, []string{p}, []string{p + "/*"})
	return Ref{Ref: ref}, err
}

// Prefetch loads the files (context paths) in one round trip.
func (l *Lazy) Prefetch(ctx context.Context, names []string) error {
	var todo, excl []string
	l.mu.Lock()
	for _, n := range names {
		n = clean(n)
		if _, ok := l.files[n]; !ok && n != "." {
			todo, excl = append(todo, n), append(excl, n+"/*")
		}
	}
	l.mu.Unlock()
	if len(todo) == 0 {
		return nil
	}
	ref, err := l.Load(ctx, todo, excl)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.files == nil {
		l.files = map[string]gwclient.Reference{}
	}
	for _, n := range todo {
		l.files[n] = ref
	}
	return nil
}

// PrefetchTrees loads the directories (context paths) whole, in one
// round trip.
func (l *Lazy) PrefetchTrees(ctx context.Context, dirs []string) error {
	var todo []string
	for _, d := range dirs {
		if d = clean(d); l.tree(d) == nil {
			todo = append(todo, d)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	ref, err := l.Load(ctx, todo, nil)
	if err != nil {
		return err
	}
	for _, d := range todo {
		l.Tree(d, ref)
	}
	return nil
}

type view struct {
	l   *Lazy
	dir string
}

var _ providers.Prefetcher = view{}

func (v view) path(name string) string { return clean(path.Join(v.dir, clean(name))) }

func (v view) ReadFile(ctx context.Context, name string) ([]byte, error) {
	r, err := v.l.file(ctx, v.path(name))
	if err != nil {
		return nil, err
	}
	return r.readFile(ctx, v.path(name), name)
}

func (v view) Stat(ctx context.Context, name string) (bool, error) {
	r, err := v.l.file(ctx, v.path(name))
	if err != nil {
		return false, err
	}
	return r.stat(ctx, v.path(name), name)
}

func (v view) ReadDir(ctx context.Context, name string) ([]fs.DirEntry, error) {
	p := v.path(name)
	var r Ref
	if ref := v.l.tree(p); ref != nil {
		r = Ref{Ref: ref}
	} else {
		pattern := path.Join(p, "*")
		ref, err := v.l.ref(ctx, &v.l.dirs, p, []string{pattern}, []string{path.Join(pattern, "*")})
		if err != nil {
			return nil, err
		}
		r = Ref{Ref: ref}
	}
	return r.readDir(ctx, p, name)
}

func (v view) Prefetch(ctx context.Context, names []string) error {
	full := make([]string, len(names))
	for i, n := range names {
		full[i] = v.path(n)
	}
	return v.l.Prefetch(ctx, full)
}

func (v view) PrefetchTrees(ctx context.Context, dirs []string) error {
	full := make([]string, len(dirs))
	for i, n := range dirs {
		full[i] = v.path(n)
	}
	return v.l.PrefetchTrees(ctx, full)
}
