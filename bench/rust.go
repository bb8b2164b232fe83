package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// axum is the Rust suite's app and the code change its rebuilds make: text
// inserted into the greeting the server returns (javaApp's fields).
var axum = javaApp{"axum", "rust-axum", "src/main.rs", `"hello from distill`}

// rustPlatforms are the two-platform builds' platforms: the Dockerfiles run
// their arm64 stages under QEMU, distill cross-compiles.
const rustPlatforms = "linux/amd64,linux/arm64"

// The variants of the Rust suite: the hand-written two-stage Dockerfile
// (the baseline), the same with cargo-chef, and distill with the example's
// manifest.
var rustVariants = []struct{ Name, File string }{
	{baseline, "Dockerfile.seed"},
	{"cargo-chef", "Dockerfile.chef"},
	{"distill", "distill.yaml"},
}

type rustImage struct {
	javaImage
	// MultiSeconds is the cold build for rustPlatforms, measured once; when
	// MultiTimedOut it was stopped after that long, a lower bound.
	MultiSeconds  float64 `json:"multiPlatformSeconds"`
	MultiTimedOut bool    `json:"multiPlatformTimedOut,omitempty"`
	// Emulated lists the distill steps of that build that ran emulated.
	Emulated []string `json:"emulated,omitempty"`
}

type rustReport struct {
	Date      string      `json:"date"`
	Machine   string      `json:"machine"`
	Runs      int         `json:"runs"`
	App       javaApp     `json:"app"`
	Platforms string      `json:"platforms"`
	Images    []rustImage `json:"images"`
}

// runRust builds every Rust variant for linux/amd64 (cold, and again after
// a one-line code change), reads the images and what the change makes a
// push upload, then builds each for two platforms from an empty cache,
// each stopped after limit, and all of them together after budget when it
// is not zero (a build started late gets what is left). save is called with the report so far after every
// measurement, so that a long run interrupted keeps what it measured.
func runRust(o options, limit, budget time.Duration, save func(rustReport) error) (rustReport, error) {
	app := axum
	rep := rustReport{Date: o.date, Machine: machine(), Runs: o.runs, App: app, Platforms: rustPlatforms}
	dir, err := copyExample(filepath.Join("examples", app.Example))
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(filepath.Dir(dir))
	for i, v := range rustVariants {
		img := rustImage{javaImage: javaImage{seedImage: seedImage{Variant: v.Name, File: v.File}}}
		edit := func(run int) error { return editLiteral(filepath.Join(dir, app.Source), app.Literal, 100*i+run) }
		if err := measurePush(o, dir, edit, &img.javaImage); err != nil {
			return rep, fmt.Errorf("%s, %s: %w", app.Example, v.Name, err)
		}
		fmt.Fprintf(os.Stderr, "bench: %s, %s: %s compressed, %.1f s cold, %.1f s rebuild, %s pushed for a code change (%d layers)\n",
			app.Example, v.Name, mb(img.Compressed), img.Seconds, img.Rebuild, size(img.PushBytes), len(img.ChangedLayers))
		rep.Images = append(rep.Images, img)
		if err := save(rep); err != nil {
			return rep, err
		}
	}
	// distill first: the Dockerfiles' QEMU builds are the long ones.
	start := time.Now()
	for _, i := range []int{2, 0, 1} {
		img := &rep.Images[i]
		if err := prune(); err != nil {
			return rep, err
		}
		limit := buildLimit(limit, budget, time.Since(start))
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		secs, emulated, err := buildContext(ctx, o, dir, img.File, rustPlatforms, "")
		timedOut := ctx.Err() != nil
		cancel()
		switch {
		case timedOut:
			img.MultiSeconds, img.MultiTimedOut = limit.Seconds(), true
			fmt.Fprintf(os.Stderr, "bench: %s, %s, %s: stopped after %s\n", app.Example, img.Variant, rustPlatforms, limit)
		case err != nil:
			return rep, fmt.Errorf("%s, %s, %s: %w", app.Example, img.Variant, rustPlatforms, err)
		default:
			img.MultiSeconds, img.Emulated = secs, emulated
			fmt.Fprintf(os.Stderr, "bench: %s, %s, %s: %.1f s cold\n", app.Example, img.Variant, rustPlatforms, secs)
		}
		if err := save(rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// buildLimit is how long a two-platform build may run: limit, or what is
// left of budget (when not zero) after spent, whichever is less.
func buildLimit(limit, budget, spent time.Duration) time.Duration {
	if budget > 0 && budget-spent < limit {
		return max(budget-spent, 0)
	}
	return limit
}

// multiCell is a two-platform time, and its ratio against the baseline's;
// either may be a lower bound (stopped at the limit).
func multiCell(im, base *rustImage) string {
	secs := fmt.Sprintf("%.1f s", im.MultiSeconds)
	if im.MultiTimedOut {
		secs = fmt.Sprintf("> %d min (stopped)", int(im.MultiSeconds/60))
	}
	if im.MultiSeconds == 0 {
		return "not measured"
	}
	q := im.MultiSeconds / base.MultiSeconds
	r := ratio(im.MultiSeconds, base.MultiSeconds)
	switch {
	case base.MultiSeconds == 0, im.MultiTimedOut && base.MultiTimedOut:
		r = "–"
	case im.MultiTimedOut: // a lower bound, rounded down
		r = fmt.Sprintf("> %.2f×", math.Floor(q*100)/100)
	case base.MultiTimedOut: // an upper bound, rounded up
		r = fmt.Sprintf("< %.2f×", math.Ceil(q*100)/100)
	}
	return fmt.Sprintf("%s (%s)", secs, r)
}

func rustMarkdown(b *strings.Builder, rep *rustReport) error {
	var h *rustImage
	for i := range rep.Images {
		if rep.Images[i].Variant == baseline {
			h = &rep.Images[i]
		}
	}
	if h == nil {
		return errors.New("rust.json: results lack the baseline image")
	}
	fmt.Fprintf(b, "## Rust: %s (`examples/%s`)\n\n", rep.App.Title, rep.App.Example)
	fmt.Fprintf(b, "Run on %s, %s; %d build(s) per variant, median times; the two-platform builds once. The hand-written two-stage Dockerfile (`Dockerfile.seed`: `cargo build --release --locked` in `rust:1.85-trixie`, the binary onto `gcr.io/distroless/cc-debian13:nonroot`; the baseline), the same with cargo-chef as its README recommends (`Dockerfile.chef`: a planner stage's `cargo chef prepare`, `cargo chef cook --release` in the builder, then the sources and the build; cargo-chef 0.1.71 installed with `cargo install` in a stage of its own, so its cold builds include compiling cargo-chef: the README's `lukemathwalker/cargo-chef` image, which ships it, is not in the lab) and distill with the example's manifest. Both Dockerfiles keep Cargo's release profile (debug info stripped, symbols kept); distill strips symbols too (`CARGO_PROFILE_RELEASE_STRIP=symbols`). The size, cold build, rebuild and push columns are linux/amd64 builds. Cold builds start from an empty BuildKit cache (`buildctl prune --all`); the rebuild follows after a one-line code change: text added to the greeting `hello` in `%s` returns. *Push* is what pushing the rebuilt image uploads where the cold build's image already is: the compressed layers whose digests that image lacks. *%s cold* is one build for both platforms from an empty cache: the Dockerfiles run their arm64 stages under QEMU, distill cross-compiles on the build platform; a build stopped at its time limit (30 minutes, or what was left of the run's budget) shows that time, a lower bound. Ratios are against the hand-written Dockerfile.\n\n", rep.Date, rep.Machine, rep.Runs, filepath.Base(rep.App.Source), strings.ReplaceAll(strings.ReplaceAll(rep.Platforms, "linux/", ""), ",", "+"))
	fmt.Fprintf(b, "| variant | size (compressed) | unpacked | layers | packages | cold build | rebuild | push after a code change | %s cold |\n|---|---|---|---|---|---|---|---|---|\n", strings.ReplaceAll(rep.Platforms, ",", " + "))
	for i := range rep.Images {
		im := &rep.Images[i]
		fmt.Fprintf(b, "| %s (`%s`) | %s (%s) | %s | %d | %d | %.1f s (%s) | %.1f s (%s) | %s (%s) | %s |\n",
			im.Variant, im.File, mb(im.Compressed), ratio(float64(im.Compressed), float64(h.Compressed)), mb(im.Uncompressed), im.Layers, im.Packages,
			im.Seconds, ratio(im.Seconds, h.Seconds), im.Rebuild, ratio(im.Rebuild, h.Rebuild),
			size(im.PushBytes), ratio(float64(im.PushBytes), float64(h.PushBytes)), multiCell(im, h))
	}
	fmt.Fprintf(b, "\nThe layers the code change altered:\n\n")
	for _, im := range rep.Images {
		changedMarkdown(b, im.Variant, im.ChangedLayers)
	}
	for _, im := range rep.Images {
		if im.File != "distill.yaml" || im.MultiSeconds == 0 || im.MultiTimedOut {
			continue
		}
		fmt.Fprintf(b, "\nSteps of distill's two-platform build that ran emulated: ")
		if len(im.Emulated) == 0 {
			b.WriteString("none.\n")
		}
		for _, s := range im.Emulated {
			fmt.Fprintf(b, "\n- `%s`", s)
		}
		if len(im.Emulated) > 0 {
			b.WriteString("\n")
		}
	}
	b.WriteString("\n")
	return nil
}
