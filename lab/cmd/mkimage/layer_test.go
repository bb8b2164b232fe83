package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// entry is what the tests compare of a tar header.
type entry struct {
	Name     string
	Type     byte
	Mode     int64
	Link     string
	Content  string
	UID, GID int
}

func readTar(t *testing.T, r io.Reader) []entry {
	t.Helper()
	var out []entry
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, entry{hdr.Name, hdr.Typeflag, hdr.Mode, hdr.Linkname, string(b), hdr.Uid, hdr.Gid})
	}
}

func mkfile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // not subject to umask
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(path, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func intp(i int) *int { return &i }

func TestWriteDirTar(t *testing.T) {
	uid, gid := os.Getuid(), os.Getgid()
	tests := []struct {
		name      string
		setup     func(t *testing.T, root string)
		overrides map[string]Override
		want      []entry
	}{
		{
			name: "sorted files, dirs and symlinks with modes from disk",
			setup: func(t *testing.T, root string) {
				mkfile(t, filepath.Join(root, "z.txt"), "z", 0o644)
				mkfile(t, filepath.Join(root, "usr/bin/tool"), "#!", 0o755)
				mkdir(t, filepath.Join(root, "usr/bin"), 0o755)
				mkdir(t, filepath.Join(root, "usr"), 0o755)
				if err := os.Symlink("usr/bin", filepath.Join(root, "bin")); err != nil {
					t.Fatal(err)
				}
			},
			want: []entry{
				{"bin", tar.TypeSymlink, 0o777, "usr/bin", "", uid, gid},
				{"usr/", tar.TypeDir, 0o755, "", "", uid, gid},
				{"usr/bin/", tar.TypeDir, 0o755, "", "", uid, gid},
				{"usr/bin/tool", tar.TypeReg, 0o755, "", "#!", uid, gid},
				{"z.txt", tar.TypeReg, 0o644, "", "z", uid, gid},
			},
		},
		{
			name: "sticky and private directories keep their bits",
			setup: func(t *testing.T, root string) {
				mkdir(t, filepath.Join(root, "tmp"), os.ModeSticky|0o777)
				mkdir(t, filepath.Join(root, "root"), 0o700)
			},
			want: []entry{
				{"root/", tar.TypeDir, 0o700, "", "", uid, gid},
				{"tmp/", tar.TypeDir, 0o1777, "", "", uid, gid},
			},
		},
		{
			name: "hard links are archived once",
			setup: func(t *testing.T, root string) {
				mkfile(t, filepath.Join(root, "a"), "data", 0o755)
				if err := os.Link(filepath.Join(root, "a"), filepath.Join(root, "b")); err != nil {
					t.Fatal(err)
				}
			},
			want: []entry{
				{"a", tar.TypeReg, 0o755, "", "data", uid, gid},
				{"b", tar.TypeLink, 0o755, "a", "", uid, gid},
			},
		},
		{
			name: "overrides set owner and mode",
			setup: func(t *testing.T, root string) {
				mkdir(t, filepath.Join(root, "home/nonroot"), 0o755)
			},
			overrides: map[string]Override{"home/nonroot": {UID: intp(65532), GID: intp(65532), Mode: "0700"}},
			want: []entry{
				{"home/", tar.TypeDir, 0o755, "", "", uid, gid},
				{"home/nonroot/", tar.TypeDir, 0o700, "", "", 65532, 65532},
			},
		},
		{
			name: "sockets are left out",
			setup: func(t *testing.T, root string) {
				mkfile(t, filepath.Join(root, "f"), "", 0o600)
				l, err := net.Listen("unix", filepath.Join(root, "s"))
				if err != nil {
					t.Skip("no unix sockets:", err)
				}
				t.Cleanup(func() { l.Close() })
			},
			want: []entry{{"f", tar.TypeReg, 0o600, "", "", uid, gid}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			tt.setup(t, root)
			epoch := time.Unix(1700000000, 0)
			var buf bytes.Buffer
			if err := writeDirTar(&buf, root, epoch, tt.overrides); err != nil {
				t.Fatal(err)
			}
			got := readTar(t, bytes.NewReader(buf.Bytes()))
			if len(got) != len(tt.want) {
				t.Fatalf("entries:\n got %+v\nwant %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("entry %d:\n got %+v\nwant %+v", i, got[i], tt.want[i])
				}
			}
			// Fixed times, no names.
			tr := tar.NewReader(bytes.NewReader(buf.Bytes()))
			for {
				hdr, err := tr.Next()
				if err != nil {
					break
				}
				if !hdr.ModTime.Equal(epoch) || hdr.Uname != "" || hdr.Gname != "" {
					t.Errorf("%s: mtime %v uname %q gname %q", hdr.Name, hdr.ModTime, hdr.Uname, hdr.Gname)
				}
			}
		})
	}
}

func TestWriteDirTarErrors(t *testing.T) {
	root := t.TempDir()
	mkfile(t, filepath.Join(root, "f"), "", 0o644)
	tests := []struct {
		name      string
		overrides map[string]Override
		wantErr   string
	}{
		{"override of a missing path", map[string]Override{"nope": {Mode: "0700"}}, "missing paths"},
		{"invalid mode", map[string]Override{"f": {Mode: "999"}}, "invalid mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := writeDirTar(io.Discard, root, time.Unix(0, 0), tt.overrides)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func TestLayerCache(t *testing.T) {
	src := t.TempDir()
	mkfile(t, filepath.Join(src, "etc/passwd"), "root:x:0:0:root:/root:/sbin/nologin\n", 0o644)
	tarFile := filepath.Join(t.TempDir(), "rootfs.tar")
	var tb bytes.Buffer
	if err := writeDirTar(&tb, src, time.Unix(0, 0), nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tarFile, tb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		src  string
	}{
		{"directory", src},
		{"tar file", tarFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &LayerCache{Dir: t.TempDir(), Epoch: time.Unix(0, 0)}
			l, err := c.Get(LayerSpec{Path: tt.src})
			if err != nil {
				t.Fatal(err)
			}
			blob, err := os.ReadFile(l.Path)
			if err != nil {
				t.Fatal(err)
			}
			if sha(blob) != l.Digest || int64(len(blob)) != l.Size {
				t.Errorf("digest/size %s %d, blob has %s %d", l.Digest, l.Size, sha(blob), len(blob))
			}
			// A fixed gzip header: no mtime, no name.
			if blob[3]&0x08 != 0 || !bytes.Equal(blob[4:8], []byte{0, 0, 0, 0}) {
				t.Errorf("gzip header %x", blob[:10])
			}
			zr, err := gzip.NewReader(bytes.NewReader(blob))
			if err != nil {
				t.Fatal(err)
			}
			raw, err := io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(raw, tb.Bytes()) || l.DiffID != sha(raw) {
				t.Errorf("uncompressed layer differs from the source tar (diff ID %s)", l.DiffID)
			}

			// Cached: same layer, blob not written again.
			before, _ := os.Stat(l.Path)
			l2, err := c.Get(LayerSpec{Path: tt.src})
			if err != nil {
				t.Fatal(err)
			}
			after, _ := os.Stat(l2.Path)
			if l2 != l || !after.ModTime().Equal(before.ModTime()) {
				t.Errorf("second Get: %+v (mtime %v), want %+v from the cache (mtime %v)", l2, after.ModTime(), l, before.ModTime())
			}
		})
	}
}

func TestLayerSpecJSON(t *testing.T) {
	tests := []struct {
		in   string
		want LayerSpec
	}{
		{`"rootfs/"`, LayerSpec{Path: "rootfs/"}},
		{`{"path":"x.tar","comment":"base"}`, LayerSpec{Path: "x.tar", Comment: "base"}},
	}
	for _, tt := range tests {
		var got LayerSpec
		if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		if got.Path != tt.want.Path || got.Comment != tt.want.Comment {
			t.Errorf("%s: got %+v, want %+v", tt.in, got, tt.want)
		}
	}
	var o LayerSpec
	if err := json.Unmarshal([]byte(`{"path":"d","overrides":{"tmp":{"mode":"1777","uid":0}}}`), &o); err != nil {
		t.Fatal(err)
	}
	if ov := o.Overrides["tmp"]; ov.Mode != "1777" || ov.UID == nil || *ov.UID != 0 || ov.GID != nil {
		t.Errorf("overrides: %+v", o.Overrides)
	}
}

// TestWriteFileAtomicConcurrent: writers of the same file at once (two
// platforms archiving an identical layer) each succeed.
func TestWriteFileAtomicConcurrent(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "layer.json")
	errs := make(chan error, 16)
	for range 16 {
		go func() { errs <- writeFileAtomic(p, []byte(`{"digest":"sha256:x"}`)) }()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if data, err := os.ReadFile(p); err != nil || string(data) != `{"digest":"sha256:x"}` {
		t.Fatalf("read %q, %v", data, err)
	}
}
