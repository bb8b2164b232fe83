// Package contextfs gives providers read access to a build context: a
// directory on disk (the CLI) or a solved reference (the frontend).
package contextfs

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/distill-build/distill/frontend/providers"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	fstypes "github.com/tonistiigi/fsutil/types"
)

// Dir reads a local directory.
type Dir string

var _ providers.FS = Dir("")

func (d Dir) path(name string) string { return filepath.Join(string(d), filepath.FromSlash(name)) }

// ReadFile implements providers.FS.
func (d Dir) ReadFile(_ context.Context, name string) ([]byte, error) {
	return os.ReadFile(d.path(name))
}

// Stat implements providers.FS.
func (d Dir) Stat(_ context.Context, name string) (bool, error) {
	fi, err := os.Stat(d.path(name))
	if err != nil {
		return false, err
	}
	return fi.IsDir(), nil
}

// ReadDir implements providers.FS.
func (d Dir) ReadDir(_ context.Context, name string) ([]fs.DirEntry, error) {
	return os.ReadDir(d.path(name))
}

// Ref reads a solved reference through the gateway; Dir, when set, is
// the directory of the reference the paths are relative to (the app's
// root in the build context).
type Ref struct {
	Ref gwclient.Reference
	Dir string
}

var _ providers.FS = Ref{}

// maxFile bounds what is read of one file: manifests and sources only.
const maxFile = 4 << 20

// ReadFile implements providers.FS.
func (r Ref) ReadFile(ctx context.Context, name string) ([]byte, error) {
	return r.readFile(ctx, r.clean(name), name)
}

// Stat implements providers.FS.
func (r Ref) Stat(ctx context.Context, name string) (bool, error) {
	return r.stat(ctx, r.clean(name), name)
}

// ReadDir implements providers.FS.
func (r Ref) ReadDir(ctx context.Context, name string) ([]fs.DirEntry, error) {
	return r.readDir(ctx, r.clean(name), name)
}

// readFile reads p of the reference; errors name the caller's name.
func (r Ref) readFile(ctx context.Context, p, name string) ([]byte, error) {
	if _, err := r.stat(ctx, p, name); err != nil {
		return nil, err
	}
	dt, err := r.Ref.ReadFile(ctx, gwclient.ReadRequest{Filename: p, Range: &gwclient.FileRange{Length: maxFile}})
	if err != nil {
		return nil, notExist(name, err)
	}
	return dt, nil
}

func (r Ref) stat(ctx context.Context, p, name string) (bool, error) {
	if r.Ref == nil { // an empty result: nothing matched
		return false, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	st, err := r.Ref.StatFile(ctx, gwclient.StatRequest{Path: p})
	if err != nil {
		return false, notExist(name, err)
	}
	return fs.FileMode(st.Mode).IsDir(), nil
}

func (r Ref) readDir(ctx context.Context, p, name string) ([]fs.DirEntry, error) {
	if r.Ref == nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	sts, err := r.Ref.ReadDir(ctx, gwclient.ReadDirRequest{Path: p})
	if err != nil {
		return nil, notExist(name, err)
	}
	out := make([]fs.DirEntry, len(sts))
	for i, st := range sts {
		out[i] = entry{st}
	}
	return out, nil
}

// clean is name in the reference: under Dir, never above it.
func (r Ref) clean(name string) string {
	return clean(path.Join(r.Dir, clean(name)))
}

func clean(name string) string {
	p := path.Clean("/" + name)
	if p == "/" {
		return "."
	}
	return strings.TrimPrefix(p, "/")
}

// notExist maps the gateway's "no such file" (a gRPC error that loses the
// errno) to fs.ErrNotExist.
func notExist(name string, err error) error {
	if strings.Contains(err.Error(), "no such file or directory") || strings.Contains(err.Error(), "not found") {
		return &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return fmt.Errorf("reading %s from the build context: %w", name, err)
}

type entry struct{ st *fstypes.Stat }

func (e entry) Name() string               { return path.Base(e.st.Path) }
func (e entry) IsDir() bool                { return fs.FileMode(e.st.Mode).IsDir() }
func (e entry) Type() fs.FileMode          { return fs.FileMode(e.st.Mode).Type() }
func (e entry) Info() (fs.FileInfo, error) { return info(e), nil }

type info entry

func (i info) Name() string       { return entry(i).Name() }
func (i info) Size() int64        { return i.st.Size }
func (i info) Mode() fs.FileMode  { return fs.FileMode(i.st.Mode) }
func (i info) ModTime() time.Time { return time.Unix(0, i.st.ModTime) }
func (i info) IsDir() bool        { return entry(i).IsDir() }
func (i info) Sys() any           { return i.st }

// FS is a context held in an fs.FS (tests: an fstest.MapFS).
type FS struct{ fs.FS }

// ReadFile implements providers.FS.
func (f FS) ReadFile(_ context.Context, name string) ([]byte, error) {
	return fs.ReadFile(f.FS, clean(name))
}

// Stat implements providers.FS.
func (f FS) Stat(_ context.Context, name string) (bool, error) {
	fi, err := fs.Stat(f.FS, clean(name))
	if err != nil {
		return false, err
	}
	return fi.IsDir(), nil
}

// ReadDir implements providers.FS.
func (f FS) ReadDir(_ context.Context, name string) ([]fs.DirEntry, error) {
	return fs.ReadDir(f.FS, clean(name))
}

// Sub is the directory dir of fsys as a context of its own.
func Sub(fsys providers.FS, dir string) providers.FS {
	if d := clean(dir); d != "." && d != "" {
		return sub{fsys: fsys, dir: d}
	}
	return fsys
}

type sub struct {
	fsys providers.FS
	dir  string
}

func (s sub) path(name string) string { return path.Join(s.dir, clean(name)) }

func (s sub) ReadFile(ctx context.Context, name string) ([]byte, error) {
	return s.fsys.ReadFile(ctx, s.path(name))
}

func (s sub) Stat(ctx context.Context, name string) (bool, error) {
	return s.fsys.Stat(ctx, s.path(name))
}

func (s sub) ReadDir(ctx context.Context, name string) ([]fs.DirEntry, error) {
	return s.fsys.ReadDir(ctx, s.path(name))
}
