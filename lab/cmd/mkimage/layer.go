package main

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Layer is a compressed layer on disk.
type Layer struct {
	Path   string // the .tar.gz
	Digest string // of the compressed bytes
	DiffID string // of the uncompressed tar
	Size   int64
}

// epoch is every entry's mtime: fixtures are reproducible.
var epoch = time.Unix(0, 0).UTC()

// makeLayer compresses src (a directory or a .tar) into a layer, reusing a
// cached result when src has not changed.
func makeLayer(src, cache string) (Layer, error) {
	fi, err := os.Stat(src)
	if err != nil {
		return Layer{}, err
	}
	dir := cache
	if dir == "" {
		dir = os.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Layer{}, err
	}
	key := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%d\x00%d", mustAbs(src), fi.ModTime().UnixNano(), fi.Size())))
	out := filepath.Join(dir, hex.EncodeToString(key[:8])+".tar.gz")
	meta := out + ".meta"
	if cache != "" && !fi.IsDir() {
		if l, ok := readMeta(out, meta); ok {
			return l, nil
		}
	}
	f, err := os.Create(out)
	if err != nil {
		return Layer{}, err
	}
	defer f.Close()
	compressed := sha256.New()
	counter := &countWriter{}
	gz, err := gzip.NewWriterLevel(io.MultiWriter(f, compressed, counter), gzip.BestSpeed)
	if err != nil {
		return Layer{}, err
	}
	uncompressed := sha256.New()
	w := io.MultiWriter(gz, uncompressed)
	if fi.IsDir() {
		err = writeDirTar(w, src)
	} else {
		var in *os.File
		if in, err = os.Open(src); err == nil {
			_, err = io.Copy(w, in)
			in.Close()
		}
	}
	if err != nil {
		return Layer{}, err
	}
	if err := gz.Close(); err != nil {
		return Layer{}, err
	}
	l := Layer{
		Path:   out,
		Digest: "sha256:" + hex.EncodeToString(compressed.Sum(nil)),
		DiffID: "sha256:" + hex.EncodeToString(uncompressed.Sum(nil)),
		Size:   counter.n,
	}
	if cache != "" && !fi.IsDir() {
		os.WriteFile(meta, []byte(l.Digest+" "+l.DiffID+" "+fmt.Sprint(l.Size)), 0o644)
	}
	return l, nil
}

func readMeta(out, meta string) (Layer, bool) {
	b, err := os.ReadFile(meta)
	if err != nil {
		return Layer{}, false
	}
	l := Layer{Path: out}
	if _, err := fmt.Sscanf(string(b), "%s %s %d", &l.Digest, &l.DiffID, &l.Size); err != nil {
		return Layer{}, false
	}
	if _, err := os.Stat(out); err != nil {
		return Layer{}, false
	}
	return l, true
}

func mustAbs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// writeDirTar archives root's contents (not root itself) in lexical order
// with ownership and modes from disk and fixed times. Hard links are
// written as separate files.
func writeDirTar(w io.Writer, root string) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		if fi.IsDir() {
			hdr.Name += "/"
		}
		hdr.Format = tar.FormatPAX
		hdr.ModTime, hdr.AccessTime, hdr.ChangeTime = epoch, time.Time{}, time.Time{}
		hdr.Uname, hdr.Gname = "", ""
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			hdr.Uid, hdr.Gid = int(st.Uid), int(st.Gid)
		}
		if strings.HasPrefix(hdr.Name, "dev/") && fi.Mode()&fs.ModeDevice != 0 {
			return nil
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tw.Close()
}
