package main

// Running and timing the builds the suites compare: a cold build from an
// empty BuildKit cache, a rebuild after a source edit, medians of the runs.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/distill-build/distill/lab/load"
)

// measure builds file in dir for linux/amd64 o.runs times, each time from
// an empty BuildKit cache and again after edit(run) changed the source, and
// returns the median seconds of the cold builds and of the rebuilds. The
// first run's two images, exported as OCI layouts, go to inspect.
func measure(o options, dir, file string, edit func(run int) error, inspect func(cold, rebuilt string) error) (float64, float64, error) {
	cold, warm, err := measureSteps(o, dir, file, edit, inspect)
	return cold.Seconds, warm.Seconds, err
}

// measureSteps is measure with the steps: of the run whose cold build
// took the median time, its cold build and its rebuild.
func measureSteps(o options, dir, file string, edit func(run int) error, inspect func(cold, rebuilt string) error) (timing, timing, error) {
	var cold, warm []timing
	for run := range o.runs {
		see := inspect
		if run > 0 {
			see = nil
		}
		c, w, err := measureRun(o, dir, file, func() error { return edit(run) }, see)
		if err != nil {
			return timing{}, timing{}, err
		}
		cold, warm = append(cold, c), append(warm, w)
	}
	var cs, ws []float64
	for i := range cold {
		cs, ws = append(cs, cold[i].Seconds), append(ws, warm[i].Seconds)
	}
	return cold[medianRun(cs)], warm[medianRun(ws)], nil
}

// measureRun is one cold build and its rebuild (see measure); inspect may
// be nil.
func measureRun(o options, dir, file string, edit func() error, inspect func(cold, rebuilt string) error) (timing, timing, error) {
	if err := prune(); err != nil {
		return timing{}, timing{}, err
	}
	tmp, err := os.MkdirTemp("", "distill-bench-image-")
	if err != nil {
		return timing{}, timing{}, err
	}
	defer os.RemoveAll(tmp)
	coldDir, warmDir := filepath.Join(tmp, "cold"), filepath.Join(tmp, "rebuilt")
	cold, err := buildTimed(context.Background(), o, dir, file, "linux/amd64", "type=oci,tar=false,dest="+coldDir)
	if err != nil {
		return timing{}, timing{}, err
	}
	if err := edit(); err != nil {
		return timing{}, timing{}, err
	}
	warm, err := buildTimed(context.Background(), o, dir, file, "linux/amd64", "type=oci,tar=false,dest="+warmDir)
	if err != nil {
		return timing{}, timing{}, fmt.Errorf("rebuild: %w", err)
	}
	if inspect == nil {
		return cold, warm, nil
	}
	return cold, warm, inspect(coldDir, warmDir)
}

// prune empties buildkitd's cache, for a cold build.
func prune() error {
	if out, err := exec.Command("buildctl", "prune", "--all").CombinedOutput(); err != nil {
		return fmt.Errorf("buildctl prune: %v: %s", err, out)
	}
	return nil
}

// copyExample copies an example to a temporary directory, which the
// rebuilds edit.
func copyExample(src string) (string, error) {
	tmp, err := os.MkdirTemp("", "distill-bench-src-")
	if err != nil {
		return "", err
	}
	dst := filepath.Join(tmp, filepath.Base(src))
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		return "", fmt.Errorf("cp: %v: %s", err, out)
	}
	return dst, nil
}

// touchSource makes a source-only change: a comment line appended.
func touchSource(file string, n int) error {
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	comment := "//"
	if strings.HasSuffix(file, ".py") {
		comment = "#"
	}
	_, err = fmt.Fprintf(f, "\n%s bench edit %d %d\n", comment, n, time.Now().UnixNano())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// build runs one build, exported to output (an exporter spec; empty: an
// OCI archive thrown away), and returns its wall time and the names of the
// steps that ran emulated.
func build(o options, dir, file, platforms, output string) (float64, []string, error) {
	return buildContext(context.Background(), o, dir, file, platforms, output)
}

// buildContext is build, stopped when ctx is done: the client's process
// group is killed, which cancels the build in buildkitd.
func buildContext(ctx context.Context, o options, dir, file, platforms, output string) (float64, []string, error) {
	t, err := buildTimed(ctx, o, dir, file, platforms, output)
	return t.Seconds, t.emulated(), err
}

// timing is a build's wall time and its steps.
type timing struct {
	Seconds float64
	progress
}

// buildTimed is buildContext with the build's steps, read from its
// rawjson progress.
func buildTimed(ctx context.Context, o options, dir, file, platforms, output string) (timing, error) {
	if output == "" {
		tmp, err := os.MkdirTemp("", "distill-bench-")
		if err != nil {
			return timing{}, err
		}
		defer os.RemoveAll(tmp)
		output = "type=oci,dest=" + filepath.Join(tmp, "image.tar")
	}
	cmd := load.Docker(ctx, "buildx", "build", "--builder", o.builder, "--progress=rawjson",
		"--platform", platforms, "-f", filepath.Join(dir, file),
		"--secret", "id=ca-bundle,src="+o.ca, "-o", output, dir)
	cmd.Args = slices.Insert(cmd.Args, len(cmd.Args)-1, syntaxArgs(file)...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	start := time.Now()
	err := cmd.Run()
	t := timing{Seconds: time.Since(start).Seconds(), progress: parseProgress(buf.String(), start)}
	if err != nil {
		return timing{}, fmt.Errorf("%v\n%s", err, tail(t.Text, 30))
	}
	return t, nil
}

// syntaxArgs builds distill's manifests with the frontend image
// DISTILL_BENCH_SYNTAX names instead of their syntax line's (a branch's
// frontend, published under its own tag); the Dockerfiles keep theirs.
func syntaxArgs(file string) []string {
	if ref := os.Getenv("DISTILL_BENCH_SYNTAX"); ref != "" && strings.HasSuffix(file, ".yaml") {
		return []string{"--build-arg", "BUILDKIT_SYNTAX=" + ref}
	}
	return nil
}
