package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/distill-build/distill/bench/chart"
)

// writeReport writes docs/benchmarks.md and docs/benchmarks.png from the
// results present in the results directory.
func writeReport(results, docs string) error {
	var seeds *seedReport
	var multi *report
	var java *javaReport
	var rust *rustReport
	var pkgs *packagesReport
	var real *realworldReport
	var ld *loadReport
	for file, v := range map[string]any{"seeds.json": &seeds, "multiplatform.json": &multi, "java.json": &java, "rust.json": &rust, "packages.json": &pkgs, "realworld.json": &real, "load.json": &ld} {
		data, err := os.ReadFile(filepath.Join(results, file))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal(data, v); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
	}
	if seeds == nil && multi == nil && java == nil && rust == nil && pkgs == nil && real == nil && ld == nil {
		return fmt.Errorf("no results in %s (run make bench)", results)
	}
	if err := os.MkdirAll(docs, 0o755); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("# Benchmarks\n\n")
	b.WriteString("Written by `make bench` (bench/), in the build lab: real buildkitd and buildx, the fixture images of `lab/` (their differences from the real images are in lab/README.md), packages through this machine's proxy. Every figure is compared with a baseline built in the same run. Regenerate with `make bench`; `go run ./bench -suite report` rewrites this page from `bench/results/`.\n\n")
	if seeds != nil {
		if err := seedsMarkdown(&b, seeds); err != nil {
			return err
		}
		if err := seedsChart(filepath.Join(docs, "benchmarks.png"), seeds); err != nil {
			return err
		}
	}
	if multi != nil {
		b.WriteString("## Multi-platform builds\n\n")
		b.WriteString(multiplatformMarkdown(*multi, "###"))
	}
	if java != nil {
		if multi != nil {
			b.WriteString("\n")
		}
		if err := javaMarkdown(&b, java); err != nil {
			return err
		}
	}
	if rust != nil {
		if err := rustMarkdown(&b, rust); err != nil {
			return err
		}
	}
	if pkgs != nil {
		packagesMarkdown(&b, pkgs)
	}
	if real != nil {
		realworldMarkdown(&b, real)
	}
	if ld != nil {
		loadMarkdown(&b, ld)
	}
	return os.WriteFile(filepath.Join(docs, "benchmarks.md"), []byte(b.String()), 0o644)
}

func seedsMarkdown(b *strings.Builder, rep *seedReport) error {
	fmt.Fprintf(b, "## The seed articles' apps: size, packages, attack surface\n\n")
	fmt.Fprintf(b, "Run on %s, %s; %d build(s) per variant, median times. For each app: the seed's single-stage Dockerfile on the full image and on the slim one, the seed's hand-written distroless multi-stage Dockerfile (the baseline; each file's header says what the lab forced to change), and distill, all for linux/amd64. Cold builds start from an empty BuildKit cache (`buildctl prune --all`), the rebuild follows after a comment is appended to the app's source.\n\n", rep.Date, rep.Machine, rep.Runs)
	fmt.Fprintf(b, "Sizes: *compressed* is what a registry stores and a pull downloads (config and layers), *unpacked* the layers' tar streams. *Packages* are counted as SBOM scanners count them (Debian: dpkg status and distroless status.d; Python: dist-info/egg-info; npm: package.json name@version under node_modules; Go: the modules in Go binaries' build info, the standard library included), each name@version once. *Shell*, *package managers* and *compilers* are what the filesystem has at their usual paths.\n\n")
	fmt.Fprintf(b, "![Image size and package count per app and variant](benchmarks.png)\n\n")
	fmt.Fprintf(b, "### distill against the hand-written distroless Dockerfile\n\n")
	fmt.Fprintf(b, "*Through docker/dockerfile:1* is the same hand-written Dockerfile with the line `# syntax=docker/dockerfile:1` first: BuildKit then pulls and starts the Dockerfile frontend's image, as it pulls and starts distill's, instead of running the frontend built into buildkitd.\n\n")
	fmt.Fprintf(b, "| app | size (compressed) | packages | files | cold build | rebuild | cold, against through docker/dockerfile:1 | rebuild, against through docker/dockerfile:1 |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range rep.Results {
		d, h := find(r, "distill"), find(r, baseline)
		if d == nil || h == nil {
			return fmt.Errorf("%s: results lack the distill or the baseline image", r.App.Example)
		}
		viaCold, viaRebuild := "–", "–"
		if v := find(r, viaImage); v != nil {
			viaCold = fmt.Sprintf("%.1f s vs %.1f s (%s)", d.Seconds, v.Seconds, ratio(d.Seconds, v.Seconds))
			viaRebuild = fmt.Sprintf("%.1f s vs %.1f s (%s)", d.Rebuild, v.Rebuild, ratio(d.Rebuild, v.Rebuild))
		}
		fmt.Fprintf(b, "| %s (seed %s) | %s vs %s (%s) | %d vs %d (%s) | %d vs %d (%s) | %.1f s vs %.1f s (%s) | %.1f s vs %.1f s (%s) | %s | %s |\n",
			r.App.Title, r.App.Seed, mb(d.Compressed), mb(h.Compressed), ratio(float64(d.Compressed), float64(h.Compressed)),
			d.Packages, h.Packages, ratio(float64(d.Packages), float64(h.Packages)),
			d.Files, h.Files, ratio(float64(d.Files), float64(h.Files)),
			d.Seconds, h.Seconds, ratio(d.Seconds, h.Seconds), d.Rebuild, h.Rebuild, ratio(d.Rebuild, h.Rebuild), viaCold, viaRebuild)
	}
	b.WriteString("\n")
	fmt.Fprintf(b, "Where distill takes longer, each app's breakdown below names the phase. What distill does there that the hand-written Dockerfiles do not: in *frontend startup*, BuildKit pulls and starts distill's image, as it does docker/dockerfile:1's, where the frontend without a syntax line is built into buildkitd; in Python's *build*, the virtual environment, and bytecode compiled for the app as well as the dependencies (unchecked-hash pycs: the image's non-root user never compiles at import, where the hand-written images compile the app's modules at every start); in Go's *image pulls*, the candidate runtimes (static, base, cc) pulled beside the compile, for the choice the built binary decides.\n\n")
	for _, r := range rep.Results {
		h := find(r, baseline)
		fmt.Fprintf(b, "### %s (seed %s, `examples/%s`)\n\n", r.App.Title, r.App.Seed, r.App.Example)
		fmt.Fprintf(b, "| variant | compressed | unpacked | layers | files | packages | shell | package managers | compilers | user | cold build | rebuild | size / hand-written |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, im := range r.Images {
			fmt.Fprintf(b, "| %s (`%s`) | %s | %s | %d | %d | %d (%s) | %s | %s | %s | %s | %.1f s | %.1f s | %s |\n",
				im.Variant, im.File, mb(im.Compressed), mb(im.Uncompressed), im.Layers, im.Files, im.Packages, byEco(im.PackagesByEco),
				orNone(im.Shell), orNone(strings.Join(im.PackageManagers, ", ")), orNone(strings.Join(im.Compilers, ", ")), userName(im.User),
				im.Seconds, im.Rebuild, ratio(float64(im.Compressed), float64(h.Compressed)))
		}
		b.WriteString("\n")
		stepsMarkdown(b, r)
	}
	fmt.Fprintf(b, "### The frontend's own cost\n\n")
	fmt.Fprintf(b, "The frontend image (`%s`, linux/amd64) is %s compressed: BuildKit loads it once per build. Producing the LLB (`go test -bench BenchmarkLLB ./frontend/resolve`, image configs answered at once; the Dockerfile frontend converting the example's hand-written Dockerfile in the same run is the baseline):\n\n", rep.FrontendRef, mb(rep.FrontendImage))
	fmt.Fprintf(b, "| example | distill: manifest → plan → LLB | Dockerfile frontend: Dockerfile.seed → LLB | ratio |\n|---|---|---|---|\n")
	for _, c := range rep.LLB {
		df, r := "–", "–"
		if c.Dockerfile > 0 {
			df, r = fmt.Sprintf("%.0f µs", c.Dockerfile), ratio(c.Distill, c.Dockerfile)
		}
		fmt.Fprintf(b, "| %s | %.0f µs | %s | %s |\n", c.Example, c.Distill, df, r)
	}
	b.WriteString("\n")
	return nil
}

// seedsChart draws size and package count per app and variant.
func seedsChart(file string, rep *seedReport) error {
	size := chart.Panel{Title: "Image size (compressed)", Unit: "MB", Log: true}
	pkgs := chart.Panel{Title: "Packages in the image", Unit: "packages"}
	// The baseline's image again, built through another frontend: no
	// bar of its own.
	variants := slices.DeleteFunc(slices.Clone(seedVariants), func(v seedVariant) bool { return v.Syntax != "" })
	for _, v := range variants {
		size.Series = append(size.Series, chart.Series{Name: v.Name})
		pkgs.Series = append(pkgs.Series, chart.Series{Name: v.Name})
	}
	for _, r := range rep.Results {
		size.Groups = append(size.Groups, r.App.Title)
		pkgs.Groups = append(pkgs.Groups, r.App.Title)
		for i, v := range variants {
			var mbs, n float64
			if im := find(r, v.Name); im != nil {
				mbs, n = float64(im.Compressed)/1e6, float64(im.Packages)
			}
			size.Series[i].Values = append(size.Series[i].Values, mbs)
			pkgs.Series[i].Values = append(pkgs.Series[i].Values, n)
		}
	}
	var buf bytes.Buffer
	if err := chart.PNG(&buf, 900, size, pkgs); err != nil {
		return err
	}
	return os.WriteFile(file, buf.Bytes(), 0o644)
}

func find(r seedResult, variant string) *seedImage {
	for i := range r.Images {
		if r.Images[i].Variant == variant {
			return &r.Images[i]
		}
	}
	return nil
}

func ratio(a, b float64) string {
	switch r := a / b; {
	case b == 0:
		return "–"
	case r > 0 && r < 0.01:
		return fmt.Sprintf("%.2g×", r)
	default:
		return fmt.Sprintf("%.2f×", r)
	}
}

func byEco(m map[string]int) string {
	var parts []string
	for _, eco := range []string{"debian", "python", "npm", "go"} {
		if m[eco] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", eco, m[eco]))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// userName says which user an image config's User runs as.
func userName(u string) string {
	switch u {
	case "", "root (unset)":
		return "root (unset)"
	case "0", "0:0", "root", "root:root":
		return "root (" + u + ")"
	}
	return u
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
