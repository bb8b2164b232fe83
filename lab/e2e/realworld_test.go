package e2e

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/distill-build/distill/lab/e2e/imagetest"
	"github.com/distill-build/distill/lab/realworld"
)

// TestRealworld builds and runs the corpus of real applications
// (lab/realworld/<app>/app.yaml): each downloaded from its registry at
// test time, pinned by version and SHA-256, built with the manifest
// beside its app.yaml through buildx, checked for the distroless
// invariants and proven by what it does (a command's output, an HTTP
// answer); an app distill cannot build must fail with the error its
// app.yaml names. `make realworld` runs it (DISTILL_REALWORLD=1); it is
// not part of `make test` (the corpus compiles for half an hour and more
// from an empty cache).
func TestRealworld(t *testing.T) {
	if os.Getenv("DISTILL_REALWORLD") == "" {
		t.Skip("the corpus of real apps runs with DISTILL_REALWORLD=1 (make realworld)")
	}
	requireLab(t)
	apps, err := realworld.Load("../realworld")
	if err != nil || len(apps) == 0 {
		t.Fatal("no apps in lab/realworld", err)
	}
	var results []realResult
	for _, app := range apps {
		t.Run(app.Name, func(t *testing.T) {
			results = append(results, buildRealApp(t, app))
		})
	}
	if out := os.Getenv("DISTILL_REALWORLD_RESULTS"); out != "" {
		js, _ := json.MarshalIndent(results, "", "  ")
		if err := os.WriteFile(out, append(js, '\n'), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// realResult is one app's figures, for bench/results/realworld-e2e.json.
type realResult struct {
	Name      string  `json:"name"`
	Language  string  `json:"language"`
	Version   string  `json:"version"`
	Verdict   string  `json:"verdict"`
	Passed    bool    `json:"passed"`
	Seconds   float64 `json:"seconds"`
	SizeBytes int64   `json:"sizeBytes"`
}

// buildRealApp downloads, builds and proves one app.
func buildRealApp(t *testing.T, app realworld.App) (res realResult) {
	res = realResult{Name: app.Name, Language: app.Language, Version: app.Source.Version, Verdict: app.Verdict}
	defer func() { res.Passed = !t.Failed() }()
	ctx := t.TempDir()
	if err := app.Context(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out, r := buildx(t, ctx, "--platform", app.Platform)
	res.Seconds = time.Since(start).Seconds()
	t.Logf("%s: build %.0f s", app.Name, res.Seconds)
	if app.Verdict != "ok" {
		if r.err == nil || !strings.Contains(r.out, app.Error) {
			t.Errorf("%s (%s): the build should fail with %q: err %v\n%s", app.Name, app.Verdict, app.Error, r.err, tail(r.out, 30))
		}
		return res
	}
	mustSucceed(t, r)
	if st, err := os.Stat(out); err == nil {
		res.SizeBytes = st.Size()
		t.Logf("%s: image archive %.1f MB", app.Name, float64(st.Size())/1e6)
	}
	img := imagetest.Load(t, out, app.Platform)
	checkDistroless(t, img)
	switch p := app.Prove; {
	case p.HTTP != nil:
		body := img.Run(t, imagetest.RunOpts{Env: p.Env}).HTTPGet(t, p.HTTP.Port, p.HTTP.Path, 90*time.Second)
		if !strings.Contains(body, p.HTTP.Contains) {
			t.Errorf("%s: GET %s = %q, want %q in it", app.Name, p.HTTP.Path, tail(body, 10), p.HTTP.Contains)
		}
	case len(p.Args) > 0:
		stdout, stderr, code := img.RunToCompletion(t, imagetest.RunOpts{Args: p.Args, Env: p.Env}, 90*time.Second)
		if code != 0 || !strings.Contains(stdout+stderr, p.Stdout) {
			t.Errorf("%s: %v: exit %d, output %q, want %q in it", app.Name, p.Args, code, tail(stdout+stderr, 10), p.Stdout)
		}
	default:
		t.Errorf("%s: app.yaml proves nothing (prove: args or http)", app.Name)
	}
	return res
}
