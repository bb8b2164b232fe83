// Package load is a dozen distill builds run at once on one buildkitd,
// and the same builds one by one: every example language, some apps
// twice under different output names. The e2e test (lab/e2e, TestLoad)
// asserts that they all succeed with the digests of the builds run one
// by one; the bench (`make bench BENCH_SUITE=load`) measures the wall
// time of the dozen at once against the sum of the builds alone, each
// from an empty cache, and the frontend's peak memory per build.
package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/distill-build/distill/frontend/manifest"
)

// Build is one of the dozen: an example of examples/, under a name of
// its own (its output's).
type Build struct {
	Name    string `json:"name"`
	Example string `json:"example"`
}

// Dozen are the builds: quick examples of every language; of each
// language but Java one app is built twice, so that two clients ask the
// daemon for the same steps at the same time.
var Dozen = []Build{
	{"go-hello-1", "go-hello"},
	{"go-hello-2", "go-hello"},
	{"go-server", "go-server"},
	{"python-fastapi-1", "python-fastapi"},
	{"python-fastapi-2", "python-fastapi"},
	{"python-flask", "python-flask"},
	{"node-express-1", "node-express"},
	{"node-express-2", "node-express"},
	{"node-typescript", "node-typescript"},
	{"java-maven", "java-maven"},
	{"rust-cli-1", "rust-cli"},
	{"rust-cli-2", "rust-cli"},
}

// Platform is the one every build is for.
const Platform = "linux/amd64"

// metaPeakMemory is the metadata key under which the frontend reports
// its peak memory in bytes, as docs/building.md tells users to read it.
const metaPeakMemory = "frontend.distill.peak-memory"

// Options say where and how the builds run.
type Options struct {
	Repo     string // the repository's root: the examples are under examples/
	Builder  string // the buildx builder (its buildkitd runs every build)
	CABundle string // passed as the ca-bundle secret
	// Syntax, when set, is the frontend image the builds use instead of
	// their manifests' syntax line (BUILDKIT_SYNTAX).
	Syntax string
	// Epoch is SOURCE_DATE_EPOCH, so that the same inputs give the same
	// digest whenever they are built.
	Epoch string
	// Out is the directory of each build's OCI archive (Name.tar) and
	// metadata file (Name.json).
	Out string
}

// Result is one build's outcome.
type Result struct {
	Build
	Archive string
	// Digest is the image manifest's (containerimage.digest).
	Digest string
	// PeakMemory is the frontend's peak memory in bytes, 0 when it did
	// not say.
	PeakMemory int64
	// Duration is the client's wall time, from its start to its exit.
	Duration time.Duration
	// Output is the client's plain progress and errors.
	Output string
	Err    error
}

// Language is the language the example's manifest names.
func Language(repo string, b Build) (string, error) {
	file := filepath.Join(repo, "examples", b.Example, "distill.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	m, err := manifest.Parse(file, data)
	if err != nil {
		return "", err
	}
	return m.Language.Value, nil
}

// Run runs one build with `docker buildx build`, exported as an OCI
// archive, and reads its digest and the frontend's peak memory from the
// metadata file. A cancelled ctx kills the client, which cancels the build.
func Run(ctx context.Context, o Options, b Build) Result {
	res := Result{Build: b, Archive: filepath.Join(o.Out, b.Name+".tar")}
	meta := filepath.Join(o.Out, b.Name+".json")
	dir := filepath.Join(o.Repo, "examples", b.Example)
	args := []string{"buildx", "build", "--builder", o.Builder, "--progress=plain",
		"--platform", Platform, "-f", filepath.Join(dir, "distill.yaml"),
		"--secret", "id=ca-bundle,src=" + o.CABundle,
		// Attestations would make the digest an index's, with the build's
		// time in the provenance.
		"--provenance=false", "--sbom=false",
		"--build-arg", "SOURCE_DATE_EPOCH=" + o.Epoch,
		"--metadata-file", meta, "-o", "type=oci,dest=" + res.Archive}
	if o.Syntax != "" {
		args = append(args, "--build-arg", "BUILDKIT_SYNTAX="+o.Syntax)
	}
	cmd := Docker(ctx, append(args, dir)...)
	// Without the git state of the examples' repository: buildx would pass
	// its commit (and -dirty) as vcs:revision, which distill labels the
	// image with, so a commit between two builds would change the digest.
	cmd.Env = append(os.Environ(), "BUILDX_GIT_INFO=false")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	start := time.Now()
	err := cmd.Run()
	res.Duration, res.Output = time.Since(start), buf.String()
	if err != nil {
		res.Err = fmt.Errorf("%s: %w", b.Name, err)
		return res
	}
	res.Digest, res.PeakMemory, res.Err = readMetadata(meta)
	if res.Err != nil {
		res.Err = fmt.Errorf("%s: %w", b.Name, res.Err)
	}
	return res
}

// Docker is a docker command that a cancelled ctx kills with its
// children: docker runs buildx as a plugin, a child process, which must go
// too for buildkitd to cancel the build.
func Docker(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// readMetadata reads buildx's metadata file: the image's digest, and the
// frontend's peak memory when it reported it.
func readMetadata(file string) (string, int64, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", 0, err
	}
	var md map[string]any
	if err := json.Unmarshal(data, &md); err != nil {
		return "", 0, fmt.Errorf("%s: %w", file, err)
	}
	digest, _ := md["containerimage.digest"].(string)
	if digest == "" {
		return "", 0, fmt.Errorf("%s has no containerimage.digest", file)
	}
	var peak int64
	if s, ok := md[metaPeakMemory].(string); ok {
		if peak, err = strconv.ParseInt(s, 10, 64); err != nil {
			return "", 0, fmt.Errorf("%s: %s: %w", file, metaPeakMemory, err)
		}
	}
	return digest, peak, nil
}

// Concurrent starts every build at once and returns their results, in
// the builds' order, and the wall time from the start to the last one's
// end.
func Concurrent(ctx context.Context, o Options, builds []Build) ([]Result, time.Duration) {
	res := make([]Result, len(builds))
	var wg sync.WaitGroup
	start := time.Now()
	for i, b := range builds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = Run(ctx, o, b)
		}()
	}
	wg.Wait()
	return res, time.Since(start)
}

// Sequential runs the builds one after the other, each after before
// (nil: nothing; the bench empties the cache), which it stops at.
func Sequential(ctx context.Context, o Options, builds []Build, before func() error) ([]Result, error) {
	var res []Result
	for _, b := range builds {
		if before != nil {
			if err := before(); err != nil {
				return res, err
			}
		}
		res = append(res, Run(ctx, o, b))
	}
	return res, nil
}
