package e2e

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRelease runs the release path (`make release`, .ci/release) against
// the lab registry: the frontend image is pushed for amd64 and arm64 under
// X.Y.Z, X.Y, X and latest, one index; the CLI archive holds the binary,
// LICENSE and README.md and matches checksums.txt, and the binary says
// its version; a build pointed at the pushed frontend by BUILDKIT_SYNTAX
// (pinned by digest, as docs/releases.md says to) reports the version and
// gives an image that runs. One CLI platform (the others are the same
// commands cross-compiled).
func TestRelease(t *testing.T) {
	requireLab(t)
	const version = "0.99.0"
	registry := os.Getenv("DISTILL_REGISTRY")
	repo := registry + "/e2e-release/distill"
	dist := t.TempDir()
	r := run(t, "../..", []string{"VERSION=" + version, "REGISTRY=" + registry + "/e2e-release", "BUILDER=" + builder,
		"IMAGE_OUTPUT_OPTS=registry.insecure=true", "CA_BUNDLE=" + caBundle, "CLI_PLATFORMS=linux/amd64", "DIST=" + dist},
		"make", "release")
	mustSucceed(t, r)

	// One index under every tag, with both platforms.
	var digest string
	for _, tag := range []string{version, "0.99", "0", "latest"} {
		d, platforms := indexOf(t, registry, "e2e-release/distill", tag)
		if digest == "" {
			digest = d
		}
		if d != digest {
			t.Errorf("%s:%s is %s, %s:%s %s", repo, tag, d, repo, version, digest)
		}
		if !slices.Contains(platforms, "linux/amd64") || !slices.Contains(platforms, "linux/arm64") {
			t.Errorf("%s:%s has platforms %v", repo, tag, platforms)
		}
	}

	// The archive, its checksum, the binary's version.
	archive := filepath.Join(dist, "distill_"+version+"_linux_amd64.tar.gz")
	sums, err := os.ReadFile(filepath.Join(dist, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if want := hex.EncodeToString(sum[:]) + "  " + filepath.Base(archive); !strings.Contains(string(sums), want) {
		t.Errorf("checksums.txt has no %q:\n%s", want, sums)
	}
	if !strings.Contains(string(sums), "distill.schema.json") {
		t.Errorf("checksums.txt lists no schema:\n%s", sums)
	}
	bin := extract(t, archive, "distill_"+version+"_linux_amd64/", []string{"LICENSE", "README.md", "distill"})
	if r := run(t, dist, nil, bin, "version"); r.err != nil || !strings.Contains(r.out, version) {
		t.Errorf("distill version: %v\n%s", r.err, r.out)
	}

	// The pushed frontend, pinned by digest: its version in the outline
	// and the build's progress, and an image that runs.
	pinned := "BUILDKIT_SYNTAX=" + repo + "@" + digest
	r = call(t, example("go-hello"), "outline", "--build-arg", pinned)
	if !strings.Contains(r.out, "planned by distill "+version) {
		t.Errorf("outline from %s:\n%s", pinned, r.out)
	}
	out, r := buildx(t, example("go-hello"), "--platform", "linux/amd64", "--build-arg", pinned)
	mustSucceed(t, r)
	if !strings.Contains(r.out, "[distill] frontend: distill "+version) {
		t.Errorf("the build does not report the frontend's version:\n%s", tail(r.out, 30))
	}
	checkHello(t, out, "linux/amd64", 20*time.Second)
}

// indexOf reads an image index from the lab registry: its digest and
// the platforms of its images.
func indexOf(t *testing.T, registry, name, tag string) (string, []string) {
	t.Helper()
	req, err := http.NewRequest("GET", fmt.Sprintf("http://%s/v2/%s/manifests/%s", registry, name, tag), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.oci.image.index.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var idx struct {
		Manifests []struct {
			Platform struct{ OS, Architecture string }
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&idx); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%s/%s:%s: %s %v", registry, name, tag, resp.Status, err)
	}
	var ps []string
	for _, m := range idx.Manifests {
		ps = append(ps, m.Platform.OS+"/"+m.Platform.Architecture)
	}
	return resp.Header.Get("Docker-Content-Digest"), ps
}

// extract unpacks a release archive into a temporary directory, checks
// it holds want (under prefix, sorted) and returns the path of its
// distill.
func extract(t *testing.T, archive, prefix string, want []string) string {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tr := tar.NewReader(zr)
	var got []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name, ok := strings.CutPrefix(h.Name, prefix)
		if !ok || name == "" || h.Typeflag != tar.TypeReg {
			continue
		}
		got = append(got, name)
		w, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_WRONLY, os.FileMode(h.Mode))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, tr); err != nil {
			t.Fatal(err)
		}
		w.Close()
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("%s holds %v, want %v", archive, got, want)
	}
	return filepath.Join(dir, "distill")
}
