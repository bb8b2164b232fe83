package imagetest

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// manifestTypes are the manifest media types Pull accepts from a registry.
var manifestTypes = strings.Join([]string{
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.docker.distribution.manifest.v2+json",
}, ", ")

// Pull downloads the image index (or manifest) registry/name:ref over
// plain HTTP with everything it references and writes it as an OCI
// archive, for Load and the other readers here: images pushed by a build
// (a multi-node build cannot export an archive itself) are run as any
// other. Every blob is checked against its digest.
func Pull(t testing.TB, registry, name, ref string) string {
	t.Helper()
	p := &puller{t: t, base: "http://" + registry + "/v2/" + name, blobs: map[string][]byte{}}
	top := p.fetch("manifests/"+ref, "")
	p.walk(top)
	layout, _ := json.Marshal(map[string]any{"schemaVersion": 2, "manifests": []descriptor{top}})
	files := map[string][]byte{"oci-layout": []byte(`{"imageLayoutVersion":"1.0.0"}`), "index.json": layout}
	for d, b := range p.blobs {
		files["blobs/"+strings.Replace(d, ":", "/", 1)] = b
	}
	return writeArchive(t, files)
}

// writeArchive writes files (by name) as a tar archive in a temporary
// directory of the test and returns its path.
func writeArchive(t testing.TB, files map[string][]byte) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "image.tar")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	for n, b := range files {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

type puller struct {
	t     testing.TB
	base  string
	blobs map[string][]byte
}

// walk fetches what the manifest or index d names, recursively.
func (p *puller) walk(d descriptor) {
	var m index
	if err := json.Unmarshal(p.blobs[d.Digest], &m); err != nil {
		p.t.Fatalf("%s@%s: %v", p.base, d.Digest, err)
	}
	for _, c := range m.Manifests {
		p.walk(p.fetch("manifests/"+c.Digest, c.Digest))
	}
	if m.Config.Digest != "" {
		p.fetch("blobs/"+m.Config.Digest, m.Config.Digest)
	}
	for _, l := range m.Layers {
		p.fetch("blobs/"+l.Digest, l.Digest)
	}
}

// fetch GETs base/path, checks it against want (when given), keeps it
// and returns its descriptor.
func (p *puller) fetch(path, want string) descriptor {
	p.t.Helper()
	req, err := http.NewRequest("GET", p.base+"/"+path, nil)
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Accept", manifestTypes)
	client := &http.Client{Timeout: 2 * time.Minute}
	resp, err := client.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		p.t.Fatalf("GET %s/%s: %s %v: %.200s", p.base, path, resp.Status, err, b)
	}
	d := fmt.Sprintf("sha256:%x", sha256.Sum256(b))
	if want != "" && d != want {
		p.t.Fatalf("GET %s/%s: content has digest %s", p.base, path, d)
	}
	p.blobs[d] = b
	return descriptor{MediaType: strings.TrimSpace(strings.Split(resp.Header.Get("Content-Type"), ";")[0]), Digest: d, Size: int64(len(b))}
}
