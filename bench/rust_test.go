package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAxumLiteral: the Rust suite's edit finds the greeting in the
// example's source and changes it on one line.
func TestAxumLiteral(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "examples", axum.Example, axum.Source))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "main.rs")
	if err := os.WriteFile(file, src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := editLiteral(file, axum.Literal, 1); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) == string(src) || strings.Count(string(got), "\n") != strings.Count(string(src), "\n") || !strings.Contains(string(got), `message: "hello from distill, bench edit 1 `) {
		t.Errorf("edit:\n%s", got)
	}
}

// TestMultiCell: times stopped at the limit are lower bounds, and so are
// their ratios; a ratio against a lower bound is an upper bound.
func TestMultiCell(t *testing.T) {
	for _, c := range []struct {
		im, base rustImage
		want     string
	}{
		{rustImage{MultiSeconds: 60}, rustImage{MultiSeconds: 600}, "60.0 s (0.10×)"},
		{rustImage{MultiSeconds: 1800, MultiTimedOut: true}, rustImage{MultiSeconds: 600}, "> 30 min (stopped) (> 3.00×)"},
		{rustImage{MultiSeconds: 90}, rustImage{MultiSeconds: 1800, MultiTimedOut: true}, "90.0 s (< 0.05×)"},
		{rustImage{MultiSeconds: 132.5}, rustImage{MultiSeconds: 1800, MultiTimedOut: true}, "132.5 s (< 0.08×)"},
		{rustImage{MultiSeconds: 638.8, MultiTimedOut: true}, rustImage{MultiSeconds: 100}, "> 10 min (stopped) (> 6.38×)"},
		{rustImage{MultiSeconds: 1800, MultiTimedOut: true}, rustImage{MultiSeconds: 1800, MultiTimedOut: true}, "> 30 min (stopped) (–)"},
		{rustImage{MultiSeconds: 60}, rustImage{}, "60.0 s (–)"},
		{rustImage{}, rustImage{MultiSeconds: 600}, "not measured"},
	} {
		if got := multiCell(&c.im, &c.base); got != c.want {
			t.Errorf("multiCell(%+v, %+v) = %q, want %q", c.im, c.base, got, c.want)
		}
	}
}

// TestRustMarkdown: ratios against the hand-written Dockerfile, the
// two-platform column with a stopped build, the altered layers and
// distill's emulated steps.
func TestRustMarkdown(t *testing.T) {
	im := func(variant, file string, compressed, push int64, multi float64, stopped bool, changed ...changedLayer) rustImage {
		return rustImage{
			javaImage:    javaImage{seedImage: seedImage{Variant: variant, File: file, imageStats: imageStats{Compressed: compressed}, Seconds: 100, Rebuild: 50}, PushBytes: push, ChangedLayers: changed},
			MultiSeconds: multi, MultiTimedOut: stopped,
		}
	}
	rep := &rustReport{App: axum, Runs: 1, Platforms: rustPlatforms, Images: []rustImage{
		im(baseline, "Dockerfile.seed", 20e6, 2e6, 1800, true, changedLayer{Index: 5, Of: 6, Size: 2e6, CreatedBy: "COPY /src/target/release/hello-axum /app/hello-axum"}),
		im("distill", "distill.yaml", 18e6, 1e6, 180, false, changedLayer{Index: 6, Of: 7, Size: 1e6, CreatedBy: "distill: add application"}),
	}}
	var b strings.Builder
	if err := rustMarkdown(&b, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"## Rust: axum (`examples/rust-axum`)",
		"| linux/amd64 + linux/arm64 cold |",
		"| " + baseline + " (`Dockerfile.seed`) | 20.0 MB (1.00×) |",
		"| > 30 min (stopped) (–) |",
		"| distill (`distill.yaml`) | 18.0 MB (0.90×) |",
		"| 180.0 s (< 0.10×) |",
		"- distill: layer 7 of 7, 1.00 MB, `distill: add application`",
		"ran emulated: none.",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in\n%s", want, b.String())
		}
	}
	rep.Images = rep.Images[1:]
	if err := rustMarkdown(&b, rep); err == nil {
		t.Error("no error without the baseline")
	}
}

func TestBuildLimit(t *testing.T) {
	m := time.Minute
	for _, c := range []struct{ limit, budget, spent, want time.Duration }{
		{30 * m, 0, 50 * m, 30 * m},
		{30 * m, 60 * m, 10 * m, 30 * m},
		{30 * m, 60 * m, 40 * m, 20 * m},
		{30 * m, 60 * m, 70 * m, 0},
	} {
		if got := buildLimit(c.limit, c.budget, c.spent); got != c.want {
			t.Errorf("buildLimit(%v, %v, %v) = %v, want %v", c.limit, c.budget, c.spent, got, c.want)
		}
	}
}
