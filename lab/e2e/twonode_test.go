package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distill-build/distill/lab/e2e/imagetest"
)

// The scale-out tests build on a buildx builder with one node per
// platform (lab/second-node.sh): the lab's buildkitd pinned to
// linux/amd64, a second buildkitd of the same release pinned to
// linux/arm64. Both run on this amd64 machine, so the arm64 node's build
// platform is amd64 too: what is proven is where each platform is
// solved, not native arm64 building.

var (
	twoNodeBuilder = env("DISTILL_2NODE_BUILDER", "distill-lab-2node")
	// nodeAddr is the buildkitd of each platform's node.
	nodeAddr = map[string]string{
		"linux/amd64": env("BUILDKIT_HOST", "unix://"+filepath.Join(labDir, "run", "buildkitd.sock")),
		"linux/arm64": "unix://" + filepath.Join(labDir, "run", "buildkitd-2.sock"),
	}
)

var (
	twoNodeOnce sync.Once
	twoNodeErr  error
)

// requireTwoNodes is requireLab for the two-node builder: it starts the
// second buildkitd and the builder when they are not up
// (lab/second-node.sh is idempotent; a fraction of a second when they
// are), and fails, never skips, when they cannot start.
func requireTwoNodes(t *testing.T) {
	t.Helper()
	requireLab(t)
	twoNodeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(repoRoot, "lab", "second-node.sh"))
		cmd.Env = append(os.Environ(), "DISTILL_2NODE_BUILDER="+twoNodeBuilder)
		if out, err := cmd.CombinedOutput(); err != nil {
			twoNodeErr = fmt.Errorf("lab/second-node.sh: %v\n%s", err, out)
		}
	})
	if twoNodeErr != nil {
		t.Fatalf("the two-node builder is not usable: %v", twoNodeErr)
	}
}

// buildRecord is the part of a buildkitd build record (its history) the
// tests read.
type buildRecord struct {
	Ref           string
	FrontendAttrs map[string]string
	Exporters     []recordExporter
	CreatedAt     struct{ Seconds int64 }
	Result        *struct {
		ResultDeprecated *struct{ Digest string } // the exported index
	}
}

type recordExporter struct {
	Type  string
	Attrs map[string]string
}

// records lists the build records of the buildkitd at addr that exported
// an image named name (repository only: buildx pushes a multi-node
// build's images by digest) and started at since or later.
func records(t *testing.T, addr, name string, since time.Time) []buildRecord {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "buildctl", "--addr", addr, "debug", "histories", "--format", "{{json .}}").Output()
	if err != nil {
		t.Fatalf("buildctl --addr %s debug histories: %v", addr, err)
	}
	var recs []buildRecord
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var ev struct{ Record buildRecord }
		if err := dec.Decode(&ev); err != nil {
			t.Fatalf("buildctl --addr %s debug histories: %v", addr, err)
		}
		r := ev.Record
		if r.CreatedAt.Seconds < since.Unix() || !slices.ContainsFunc(r.Exporters, func(e recordExporter) bool { return e.Type == "image" && e.Attrs["name"] == name }) {
			continue
		}
		recs = append(recs, r)
	}
	return recs
}

// solvedOn checks, from the records of the buildkitd of platform's node
// alone, that it solved name for that platform and no other since since,
// and that the index it exported (read from its own content store) holds
// the image manifest want. The other node's records must not name the
// platform.
func solvedOn(t *testing.T, platform, name, want string, since time.Time) {
	t.Helper()
	addr := nodeAddr[platform]
	recs := records(t, addr, name, since)
	if len(recs) != 1 {
		t.Fatalf("%s: %d build records exporting %s, want 1", addr, len(recs), name)
	}
	r := recs[0]
	if got := r.FrontendAttrs["platform"]; got != platform {
		t.Errorf("%s solved %s for %q, want %s", addr, name, got, platform)
	}
	if r.Result == nil || r.Result.ResultDeprecated == nil {
		t.Fatalf("%s: record %s has no result", addr, r.Ref)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	blob, err := exec.CommandContext(ctx, "buildctl", "--addr", addr, "debug", "get", r.Result.ResultDeprecated.Digest).Output()
	if err != nil {
		t.Fatalf("buildctl --addr %s debug get %s: %v", addr, r.Result.ResultDeprecated.Digest, err)
	}
	var idx struct{ Manifests []struct{ Digest string } }
	if err := json.Unmarshal(blob, &idx); err != nil {
		t.Fatalf("%s: the exported index %s: %v", addr, r.Result.ResultDeprecated.Digest, err)
	}
	if !slices.ContainsFunc(idx.Manifests, func(m struct{ Digest string }) bool { return m.Digest == want }) {
		t.Errorf("%s exported %s without the %s image %s of the pushed index: %s", addr, r.Result.ResultDeprecated.Digest, platform, want, blob)
	}
	for p, other := range nodeAddr {
		if p == platform {
			continue
		}
		for _, o := range records(t, other, name, since) {
			if o.FrontendAttrs["platform"] == platform {
				t.Errorf("%s (the %s node) also solved %s for %s (record %s)", other, p, name, platform, o.Ref)
			}
		}
	}
}

// twoNodeApp is an example built on the two nodes: stampFile gets a
// comment line of the run's own (so every dependency step is new to
// both daemons), the app answers want on port at path, and importSteps
// are the linux/arm64 steps a build on the other node must take from
// the registry cache.
type twoNodeApp struct {
	example, stampFile, comment string
	port                        int
	path, want                  string
	importSteps                 []string
}

// TestTwoNodes builds a Go and a Python example for linux/amd64 and
// linux/arm64 in one `docker buildx build` on the two-node builder: each
// daemon's own build records show it solved its platform and not the
// other, the pushed index has both, and both images answer (arm64 under
// qemu). Then the arm64 node exports its cache to the registry and a
// build on the amd64 node's daemon (the lab's builder) for linux/arm64
// takes the dependency steps from it.
func TestTwoNodes(t *testing.T) {
	requireTwoNodes(t)
	for _, tc := range []twoNodeApp{
		{"go-server", "go.mod", "//", 8081, "/api/hello?name=distill", `"message":"hello, distill"`,
			// go mod download runs on the build platform, the same step
			// for both targets here (both nodes are amd64 machines): the
			// amd64 node has it already; go build for arm64 it has not.
			[]string{"[go] go mod download", "[go] go build ./cmd/server"}},
		{"python-fastapi", "requirements.txt", "#", 8000, "/", `"message":"Hello, World!"`,
			[]string{"[python] pip install -r requirements.txt (for linux/arm64, from linux/amd64)",
				"compile bytecode of the environment (for linux/arm64, from linux/amd64)"}},
	} {
		t.Run(tc.example, func(t *testing.T) { checkTwoNodes(t, tc) })
	}
}

func checkTwoNodes(t *testing.T, tc twoNodeApp) {
	registry := env("DISTILL_REGISTRY", "127.0.0.1:5000")
	dir := copyDir(t, example(tc.example))
	stamp := fmt.Sprintf("twonode-%d", time.Now().UnixNano())
	f, err := os.OpenFile(filepath.Join(dir, tc.stampFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "%s %s\n", tc.comment, stamp)
	f.Close()

	repo := "distill-e2e/twonode/" + tc.example
	name := registry + "/" + repo
	since := time.Now()
	r := run(t, dir, nil, "docker", "buildx", "build", "--builder", twoNodeBuilder, "--progress=plain",
		"--platform", "linux/amd64,linux/arm64", "-f", filepath.Join(dir, "distill.yaml"),
		"--secret", "id=ca-bundle,src="+caBundle,
		"--output", "type=image,name="+name+":"+stamp+",push=true,registry.insecure=true", dir)
	mustSucceed(t, r)

	archive := imagetest.Pull(t, registry, repo, stamp)
	digests := imagetest.IndexDigests(t, archive)
	if len(digests) != 2 || digests["linux/amd64"] == "" || digests["linux/arm64"] == "" {
		t.Fatalf("pushed index platforms = %v, want linux/amd64 and linux/arm64", digests)
	}
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		solvedOn(t, p, name, digests[p], since)
		img := imagetest.Load(t, archive, p)
		if got := img.Config.OS + "/" + img.Config.Architecture; got != p {
			t.Errorf("image for %s has config platform %s", p, got)
		}
		c := img.Run(t, imagetest.RunOpts{})
		if body := c.HTTPGet(t, tc.port, tc.path, 90*time.Second); !strings.Contains(body, tc.want) {
			t.Errorf("GET %s on %s = %q, want %s", tc.path, p, body, tc.want)
		}
		if uid := c.ProcessUID(t); uid != 65532 {
			t.Errorf("%s: process uid = %d, want 65532", p, uid)
		}
	}

	// The registry cache: exported by the arm64 node (an arm64-only build
	// goes to it; everything is in its own cache), imported for the same
	// platform on the lab's daemon, which has never solved this arm64
	// build (solvedOn above). buildx sends --cache-to to every node of a
	// multi-node build alike, and each overwrites the ref with its own
	// platform's cache, so the export is a build of one platform.
	cacheRef := registry + "/distill-e2e/twonode-cache:" + tc.example
	exported := registry + "/distill-e2e/twonode/" + tc.example + "-cache-export"
	since = time.Now()
	r = run(t, dir, nil, "docker", "buildx", "build", "--builder", twoNodeBuilder, "--progress=plain",
		"--platform", "linux/arm64", "-f", filepath.Join(dir, "distill.yaml"),
		"--secret", "id=ca-bundle,src="+caBundle,
		"--output", "type=image,name="+exported+",push=false",
		"--cache-to", "type=registry,ref="+cacheRef+",mode=max", dir)
	mustSucceed(t, r)
	if recs := records(t, nodeAddr["linux/arm64"], exported, since); len(recs) != 1 {
		t.Errorf("the arm64 node has %d records of the cache export build, want 1", len(recs))
	}
	if recs := records(t, nodeAddr["linux/amd64"], exported, since); len(recs) != 0 {
		t.Errorf("the amd64 node ran the cache export build (%d records)", len(recs))
	}

	out, r := buildx(t, dir, "--platform", "linux/arm64", "--cache-from", "type=registry,ref="+cacheRef)
	mustSucceed(t, r)
	if !strings.Contains(r.out, "importing cache manifest from "+cacheRef) {
		t.Errorf("the build on %s did not import %s:\n%s", builder, cacheRef, tail(r.out, 40))
	}
	for _, step := range tc.importSteps {
		if found, imported := stepImported(r.out, step); !found || !imported {
			t.Errorf("%s on %s: found %v, from the cache %v (want it from the arm64 node's cache, not run):\n%s", step, builder, found, imported, tail(r.out, 60))
		}
	}
	t.Logf("linux/arm64 image: %s from the arm64 node, %s from the imported cache on the lab's daemon",
		digests["linux/arm64"], imagetest.IndexDigests(t, out)["linux/arm64"])
}
