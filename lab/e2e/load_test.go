package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/distill-build/distill/lab/e2e/imagetest"
	"github.com/distill-build/distill/lab/load"
)

// TestLoad: a dozen builds at once on one buildkitd (lab/load: every
// example language, some apps twice under different names), with
// SOURCE_DATE_EPOCH, all succeed, each with the digest of the same build
// run alone afterwards, and each reports the frontend's peak memory;
// some of the images run and answer. Times are logged, not asserted (the
// bench's load suite measures them from an empty cache).
//
// DISTILL_E2E_SYNTAX names another frontend image for the builds (a
// development build published under its own tag); BUILDX_BUILDER, as for
// every test, another builder.
func TestLoad(t *testing.T) {
	requireLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	o := load.Options{Repo: repoRoot, Builder: builder, CABundle: caBundle,
		Syntax: os.Getenv("DISTILL_E2E_SYNTAX"), Epoch: "1700000000"}

	o.Out = t.TempDir()
	together, wall := load.Concurrent(ctx, o, load.Dozen)
	for _, r := range together {
		if r.Err != nil {
			t.Errorf("at once: %v\n%s", r.Err, tail(r.Output, 40))
			continue
		}
		// The frontend's own process: tens of MB; neither nothing nor
		// the machine.
		if r.PeakMemory < 1e6 || r.PeakMemory > 2e9 {
			t.Errorf("%s: the frontend's peak memory = %d bytes", r.Name, r.PeakMemory)
		}
		if !strings.Contains(r.Output, "[distill] frontend: peak memory ") {
			t.Errorf("%s: no peak memory in the progress:\n%s", r.Name, tail(r.Output, 20))
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	o.Out = t.TempDir()
	alone, err := load.Sequential(ctx, o, load.Dozen, nil)
	if err != nil {
		t.Fatal(err)
	}
	var sum time.Duration
	for i, r := range alone {
		sum += r.Duration
		if r.Err != nil {
			t.Errorf("alone: %v\n%s", r.Err, tail(r.Output, 40))
			continue
		}
		if c := together[i]; c.Digest != r.Digest {
			t.Errorf("%s: %s at once, %s alone", r.Name, c.Digest, r.Digest)
		}
		t.Logf("%s: %s, %s at once, %s alone; frontend peak %.1f MB at once, %.1f MB alone", r.Name, r.Digest,
			together[i].Duration.Round(time.Millisecond), r.Duration.Round(time.Millisecond), float64(together[i].PeakMemory)/1e6, float64(r.PeakMemory)/1e6)
	}
	t.Logf("the dozen at once: %s; one by one: %s", wall.Round(time.Millisecond), sum.Round(time.Millisecond))
	if t.Failed() {
		t.FailNow()
	}

	byName := map[string]load.Result{}
	for _, r := range together {
		byName[r.Name] = r
	}
	// One image of each app built twice, from the builds at once.
	t.Run("go-hello-2", func(t *testing.T) {
		checkHello(t, byName["go-hello-2"].Archive, load.Platform, 30*time.Second)
	})
	t.Run("python-fastapi-1", func(t *testing.T) {
		c := imagetest.Load(t, byName["python-fastapi-1"].Archive, load.Platform).Run(t, imagetest.RunOpts{})
		if body := c.HTTPGet(t, 8000, "/", 30*time.Second); !strings.Contains(body, `"message":"Hello, World!"`) {
			t.Errorf("GET / = %q\n%s", body, c.Logs())
		}
	})
	t.Run("node-express-2", func(t *testing.T) {
		c := imagetest.Load(t, byName["node-express-2"].Archive, load.Platform).Run(t, imagetest.RunOpts{})
		if body := c.HTTPGet(t, 3000, "/", 30*time.Second); !strings.Contains(body, `"message":"Hello from Express"`) {
			t.Errorf("GET / = %q\n%s", body, c.Logs())
		}
	})
	t.Run("rust-cli-1", func(t *testing.T) {
		img := imagetest.Load(t, byName["rust-cli-1"].Archive, load.Platform)
		stdout, stderr, code := img.RunToCompletion(t, imagetest.RunOpts{Args: []string{"/app/wordcount", "one two", "three"}}, 30*time.Second)
		if code != 0 || !strings.Contains(stdout, "3 words") {
			t.Errorf("wordcount exited %d: %q %q", code, stdout, stderr)
		}
	})
}
