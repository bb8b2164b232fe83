package main

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Layer is a gzip-compressed layer blob on disk.
type Layer struct {
	Path   string `json:"-"`
	Digest string `json:"digest"` // of the compressed blob
	DiffID string `json:"diffID"` // of the uncompressed tar
	Size   int64  `json:"size"`
}

// v1Layer is the layer as go-containerregistry has layers: its blob is the
// file as it is, its digests those computed when it was made.
func (l Layer) v1Layer() (v1.Layer, error) {
	return partial.CompressedToLayer(compressedLayer{l})
}

// compressedLayer is a partial.CompressedLayer with a known diff ID.
type compressedLayer struct{ l Layer }

func (c compressedLayer) Digest() (v1.Hash, error)            { return v1.NewHash(c.l.Digest) }
func (c compressedLayer) DiffID() (v1.Hash, error)            { return v1.NewHash(c.l.DiffID) }
func (c compressedLayer) Size() (int64, error)                { return c.l.Size, nil }
func (c compressedLayer) MediaType() (types.MediaType, error) { return types.OCILayer, nil }
func (c compressedLayer) Compressed() (io.ReadCloser, error)  { return os.Open(c.l.Path) }

// LayerCache makes layers and keeps them in Dir, named by diff ID, so that
// an unchanged source is archived again (to learn its diff ID) but not
// compressed again.
type LayerCache struct {
	Dir   string
	Epoch time.Time // mtime of every entry archived from a directory
}

// Get returns the layer of src, compressing it unless the cache has it.
func (c *LayerCache) Get(src LayerSpec) (Layer, error) {
	fi, err := os.Stat(src.Path)
	if err != nil {
		return Layer{}, err
	}
	write := func(w io.Writer) error { return copyFile(w, src.Path) }
	if fi.IsDir() {
		write = func(w io.Writer) error { return writeDirTar(w, src.Path, c.Epoch, src.Overrides) }
	} else if len(src.Overrides) > 0 {
		return Layer{}, fmt.Errorf("%s: overrides apply to directories only", src.Path)
	}

	uncompressed := sha256.New()
	if err := write(uncompressed); err != nil {
		return Layer{}, err
	}
	diffID := digestString(uncompressed)
	base := filepath.Join(c.Dir, diffID[len("sha256:"):])
	if l, err := readLayerMeta(base); err == nil {
		return l, nil
	}
	return c.compress(base, diffID, write)
}

func (c *LayerCache) compress(base, diffID string, write func(io.Writer) error) (Layer, error) {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return Layer{}, err
	}
	f, err := os.CreateTemp(c.Dir, ".layer-*")
	if err != nil {
		return Layer{}, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	compressed, uncompressed := sha256.New(), sha256.New()
	size := &countingWriter{}
	// A zero gzip.Header: no name, no mtime; the output depends only on
	// the input.
	gz, err := gzip.NewWriterLevel(io.MultiWriter(f, compressed, size), gzip.DefaultCompression)
	if err != nil {
		return Layer{}, err
	}
	if err := write(io.MultiWriter(gz, uncompressed)); err != nil {
		return Layer{}, err
	}
	if err := gz.Close(); err != nil {
		return Layer{}, err
	}
	if err := f.Close(); err != nil {
		return Layer{}, err
	}
	if got := digestString(uncompressed); got != diffID {
		return Layer{}, fmt.Errorf("source changed while archiving (diff ID %s, then %s)", diffID, got)
	}
	l := Layer{Path: base + ".tar.gz", Digest: digestString(compressed), DiffID: diffID, Size: size.n}
	if err := os.Rename(f.Name(), l.Path); err != nil {
		return Layer{}, err
	}
	meta, err := json.Marshal(l)
	if err != nil {
		return Layer{}, err
	}
	return l, writeFileAtomic(base+".json", meta)
}

func readLayerMeta(base string) (Layer, error) {
	b, err := os.ReadFile(base + ".json")
	if err != nil {
		return Layer{}, err
	}
	var l Layer
	if err := json.Unmarshal(b, &l); err != nil {
		return Layer{}, err
	}
	l.Path = base + ".tar.gz"
	fi, err := os.Stat(l.Path)
	if err != nil {
		return Layer{}, err
	}
	if fi.Size() != l.Size {
		return Layer{}, fmt.Errorf("%s: size %d, want %d", l.Path, fi.Size(), l.Size)
	}
	return l, nil
}

// writeDirTar archives the contents of root (not root itself) in lexical
// order, with ownership and permissions from disk unless overridden, every
// mtime set to mtime and no user or group names. Files linked more than
// once are archived once and hard-linked after; device nodes and sockets
// are left out (a container runtime provides /dev).
func writeDirTar(w io.Writer, root string, mtime time.Time, overrides map[string]Override) error {
	tw := tar.NewWriter(w)
	linked := map[[2]uint64]string{} // (device, inode) -> first name
	used := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Mode()&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeSocket|fs.ModeIrregular) != 0 {
			return nil
		}
		hdr, err := tarHeader(path, rel, fi, mtime)
		if err != nil {
			return err
		}
		if o, ok := overrides[rel]; ok {
			used[rel] = true
			if err := o.apply(hdr); err != nil {
				return fmt.Errorf("override of %s: %w", rel, err)
			}
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && fi.Mode().IsRegular() && st.Nlink > 1 {
			key := [2]uint64{uint64(st.Dev), uint64(st.Ino)}
			if first, ok := linked[key]; ok {
				hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
				return tw.WriteHeader(hdr)
			}
			linked[key] = rel
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeReg {
			return copyFile(tw, path)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("archiving %s: %w", root, err)
	}
	if len(used) < len(overrides) {
		var missing []string
		for p := range overrides {
			if !used[p] {
				missing = append(missing, p)
			}
		}
		sort.Strings(missing)
		return fmt.Errorf("archiving %s: overrides for missing paths %q", root, missing)
	}
	return tw.Close()
}

// tarHeader is the header of one entry: a PAX header (used only when a
// field needs it) with fixed times and numeric ownership.
func tarHeader(path, name string, fi fs.FileInfo, mtime time.Time) (*tar.Header, error) {
	var link string
	if fi.Mode()&fs.ModeSymlink != 0 {
		var err error
		if link, err = os.Readlink(path); err != nil {
			return nil, err
		}
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return nil, err
	}
	hdr.Name = name
	if fi.IsDir() {
		hdr.Name += "/"
	}
	hdr.Format = tar.FormatPAX
	hdr.ModTime, hdr.AccessTime, hdr.ChangeTime = mtime, time.Time{}, time.Time{}
	hdr.Uname, hdr.Gname = "", ""
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		hdr.Uid, hdr.Gid = int(st.Uid), int(st.Gid)
	}
	return hdr, nil
}

func (o Override) apply(hdr *tar.Header) error {
	if o.UID != nil {
		hdr.Uid = *o.UID
	}
	if o.GID != nil {
		hdr.Gid = *o.GID
	}
	if o.Mode != "" {
		m, err := strconv.ParseUint(o.Mode, 8, 32)
		if err != nil || m > 0o7777 {
			return fmt.Errorf("invalid mode %q", o.Mode)
		}
		hdr.Mode = int64(m)
	}
	return nil
}

func copyFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// writeFileAtomic writes a file under a temporary name of its own and
// renames it, so that a reader never sees it half written. Two platforms
// may archive the same directory (an identical layer) at once: each
// writer needs its own temporary file.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func digestString(h hash.Hash) string {
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}
