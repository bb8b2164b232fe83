package realworld

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// TestCorpus: every app.yaml of the corpus reads, names its source and
// proves something.
func TestCorpus(t *testing.T) {
	apps, err := Load(".")
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) == 0 {
		t.Fatal("no apps")
	}
	for _, a := range apps {
		if a.Name == "" || a.Language == "" || a.Verdict == "" || (a.Source.Registry != "none" && (a.Source.Version == "" || len(a.Source.SHA256) != 64)) {
			t.Errorf("%s: name, language, verdict and a pinned source are required: %+v", a.Dir, a)
		}
		if a.Verdict == "ok" && a.Prove.HTTP == nil && len(a.Prove.Args) == 0 {
			t.Errorf("%s: prove: args or http is required", a.Dir)
		}
		if _, err := os.Stat(filepath.Join(a.Dir, "distill.yaml")); err != nil {
			t.Errorf("%s: %v", a.Dir, err)
		}
	}
}

// TestContext: a tarball's top directory goes, the app's directory
// stays, a wrong SHA-256 is refused, our files go over the app's.
func TestContext(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range map[string]string{"package/server.js": "app", "package/sub/x.js": "x", "package/distill.yaml": "theirs"} {
		_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		_, _ = tw.Write([]byte(body))
	}
	tw.Close()
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(buf.Bytes()) }))
	defer srv.Close()
	sum := sha256.Sum256(buf.Bytes())
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "distill.yaml"), []byte("ours"), 0o644); err != nil {
		t.Fatal(err)
	}
	app := App{Dir: dir, Source: Source{Registry: "url", URL: srv.URL + "/a.tgz", SHA256: hex.EncodeToString(sum[:])}}
	ctx := t.TempDir()
	if err := app.Context(ctx); err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]string{"server.js": "app", "sub/x.js": "x", "distill.yaml": "ours"} {
		if got, err := os.ReadFile(filepath.Join(ctx, f)); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", f, got, err, want)
		}
	}
	app.Source.SHA256 = "00"
	if err := app.Context(t.TempDir()); err == nil {
		t.Error("a wrong SHA-256 was accepted")
	}
}
