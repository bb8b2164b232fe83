package main

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// refNameAnnotation names a tag in an OCI layout's index.json.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// Layout writes an OCI image layout directory: blobs/sha256/…, oci-layout
// and an index.json listing one entry per tag. Writing into an existing
// layout adds to it; a tag written again replaces the old entry.
type Layout struct {
	Dir string
}

func (l *Layout) blobPath(digest string) (string, error) {
	hex, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(hex) != 64 {
		return "", fmt.Errorf("unsupported digest %q", digest)
	}
	return filepath.Join(l.Dir, "blobs", "sha256", hex), nil
}

// HasBlob reports whether the blob file exists.
func (l *Layout) HasBlob(digest string) (bool, error) {
	p, err := l.blobPath(digest)
	if err != nil {
		return false, err
	}
	_, err = os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// PutBlob copies the blob into the layout, checking its digest.
func (l *Layout) PutBlob(digest string, size int64, open opener) error {
	p, err := l.blobPath(digest)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	in, err := open()
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.CreateTemp(filepath.Dir(p), ".blob-*")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if err != nil {
		return err
	}
	if got := digestString(h); got != digest || n != size {
		return fmt.Errorf("blob %s: wrote %s (%d bytes, want %d)", digest, got, n, size)
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(out.Name(), p)
}

// PutManifest stores the manifest as a blob and, for a tag, lists it in
// index.json.
func (l *Layout) PutManifest(ref, mediaType string, body []byte) error {
	d := Descriptor{MediaType: mediaType, Digest: digestOf(body), Size: int64(len(body))}
	if err := pushBlob(l, d.Digest, d.Size, bytesOpener(body)); err != nil {
		return err
	}
	if strings.HasPrefix(ref, "sha256:") {
		return nil
	}
	if err := writeFileAtomic(filepath.Join(l.Dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return err
	}
	indexPath := filepath.Join(l.Dir, "index.json")
	index := Index{SchemaVersion: 2, MediaType: MediaTypeIndex}
	if b, err := os.ReadFile(indexPath); err == nil {
		if err := json.Unmarshal(b, &index); err != nil {
			return fmt.Errorf("%s: %w", indexPath, err)
		}
	}
	kept := index.Manifests[:0]
	for _, m := range index.Manifests {
		if m.Annotations[refNameAnnotation] != ref {
			kept = append(kept, m)
		}
	}
	d.Annotations = map[string]string{refNameAnnotation: ref}
	index.Manifests = append(kept, d)
	b, err := json.Marshal(index)
	if err != nil {
		return err
	}
	return writeFileAtomic(indexPath, b)
}
