package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/distill-build/distill/lab/realworld"
)

// The corpus of real applications (lab/realworld) against their own
// Dockerfiles: for each app distill builds, its image and cold build
// time, and the same for the Dockerfile the app publishes (as published,
// or adapted to the lab's base images where the lab forces it:
// Dockerfile.upstream beside its app.yaml), each from an empty cache.

type realworldReport struct {
	Date    string `json:"date"`
	Machine string `json:"machine"`
	Runs    int    `json:"runs"`
	// Note is what else the machine did during the run (-note).
	Note string          `json:"note,omitempty"`
	Apps []realworldCell `json:"apps"`
}

type realworldCell struct {
	Name       string          `json:"name"`
	Language   string          `json:"language"`
	Source     string          `json:"source"`
	Verdict    string          `json:"verdict"`
	Distill    *realworldImage `json:"distill,omitempty"`
	Dockerfile *realworldImage `json:"dockerfile,omitempty"`
	// DockerfileNote says what the lab changed in the app's Dockerfile
	// (Dockerfile.upstream's first comment lines), or why it was not
	// built.
	DockerfileNote string `json:"dockerfileNote,omitempty"`
}

type realworldImage struct {
	File    string  `json:"file"`
	Seconds float64 `json:"seconds"`
	// Steps are the cold build's vertices (the per-step breakdown).
	Steps []stepTime `json:"steps,omitempty"`
	imageStats
}

// runRealworld measures the apps, saving the report after each one (the
// corpus takes hours from empty caches: a stopped run keeps what it
// measured).
func runRealworld(o options, only string, save func(realworldReport) error) (realworldReport, error) {
	rep := realworldReport{Date: o.date, Machine: machine(), Runs: o.runs, Note: o.note}
	apps, err := realworld.Load("lab/realworld")
	if err != nil {
		return rep, err
	}
	for _, app := range apps {
		if only != "" && !strings.Contains(","+only+",", ","+app.Name+",") {
			continue
		}
		cell := realworldCell{Name: app.Name, Language: app.Language, Source: app.Source.Registry + " " + app.Source.Name + " " + app.Source.Version, Verdict: app.Verdict}
		if app.Verdict != "ok" {
			rep.Apps = append(rep.Apps, cell)
			continue
		}
		ctx, err := os.MkdirTemp("", "distill-bench-realworld-")
		if err != nil {
			return rep, err
		}
		defer os.RemoveAll(ctx)
		if err := app.Context(ctx); err != nil {
			return rep, fmt.Errorf("%s: %w", app.Name, err)
		}
		if cell.Distill, err = measureImage(o, ctx, "distill.yaml"); err != nil {
			return rep, fmt.Errorf("%s: distill: %w", app.Name, err)
		}
		df, err := app.UpstreamDockerfile(ctx)
		if err != nil {
			return rep, err
		}
		if df != "" {
			rel, _ := filepath.Rel(ctx, df)
			cell.DockerfileNote = adaptation(df)
			if im, err := measureImage(o, ctx, rel); err != nil {
				cell.DockerfileNote = fmt.Sprintf("%s did not build in the lab: %s", app.Dockerfile, firstLine(err.Error()))
			} else {
				cell.Dockerfile = im
			}
		}
		fmt.Fprintf(os.Stderr, "bench: %s: distill %s, %.1f s", app.Name, mb(cell.Distill.Compressed), cell.Distill.Seconds)
		if cell.Dockerfile != nil {
			fmt.Fprintf(os.Stderr, "; its Dockerfile %s, %.1f s", mb(cell.Dockerfile.Compressed), cell.Dockerfile.Seconds)
		}
		fmt.Fprintln(os.Stderr)
		rep.Apps = append(rep.Apps, cell)
		if err := save(rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// measureImage builds file in dir cold o.runs times (and rebuilds it
// unchanged): the median cold build's time and steps, the first image's
// contents.
func measureImage(o options, dir, file string) (*realworldImage, error) {
	im := &realworldImage{File: file}
	cold, _, err := measureSteps(o, dir, file, func(int) error { return nil }, func(coldDir, _ string) error {
		st, err := analyzeImage(coldDir)
		if st != nil {
			im.imageStats = *st
		}
		return err
	})
	im.Seconds, im.Steps = cold.Seconds, cold.Steps
	return im, err
}

// adaptation is the leading comment of an adapted Dockerfile (what the
// lab changed), "" for the app's own.
func adaptation(file string) string {
	if filepath.Base(file) != "Dockerfile.upstream" {
		return ""
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return ""
	}
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		c, ok := strings.CutPrefix(l, "#")
		if !ok || strings.HasPrefix(l, "# syntax=") {
			break
		}
		lines = append(lines, strings.TrimSpace(c))
	}
	return strings.Join(lines, " ")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func realworldMarkdown(b *strings.Builder, rep *realworldReport) {
	fmt.Fprintf(b, "## Real applications against their own Dockerfiles\n\n")
	fmt.Fprintf(b, "Run on %s, %s; %d build(s) each, median times. The apps of the corpus (`lab/realworld`, `make realworld` builds and runs them): each downloaded from its registry, pinned by version and SHA-256, built for linux/amd64 from an empty BuildKit cache with distill and, where the app publishes one, with its own Dockerfile (adapted to the lab's base images only where the lab forces it, as noted). Ratios are distill against the app's Dockerfile.", rep.Date, rep.Machine, rep.Runs)
	if rep.Note != "" {
		fmt.Fprintf(b, " %s", rep.Note)
	}
	b.WriteString("\n\n")
	fmt.Fprintf(b, "| app | language | source | distill: size, packages, cold build | its Dockerfile: size, packages, cold build | size | time |\n|---|---|---|---|---|---|---|\n")
	var notes []string
	for _, c := range rep.Apps {
		if c.Verdict != "ok" {
			fmt.Fprintf(b, "| %s | %s | %s | %s | | | |\n", c.Name, c.Language, c.Source, c.Verdict)
			continue
		}
		d := c.Distill
		theirs, sz, tm := "none published", "", ""
		if f := c.Dockerfile; f != nil {
			theirs = fmt.Sprintf("%s, %d, %.1f s", mb(f.Compressed), f.Packages, f.Seconds)
			sz, tm = ratio(float64(d.Compressed), float64(f.Compressed)), ratio(d.Seconds, f.Seconds)
		} else if c.DockerfileNote != "" {
			theirs = "did not build"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s, %d, %.1f s | %s | %s | %s |\n", c.Name, c.Language, c.Source, mb(d.Compressed), d.Packages, d.Seconds, theirs, sz, tm)
		if c.DockerfileNote != "" {
			notes = append(notes, fmt.Sprintf("- %s: %s", c.Name, c.DockerfileNote))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(b, "\n%s\n", strings.Join(notes, "\n"))
	}
	b.WriteString("\n")
	realworldStepsMarkdown(b, rep)
}

// realworldStepsMarkdown is where each app's cold build spends its time,
// distill against the app's Dockerfile, phase by phase (as the seeds'
// breakdown groups the steps), for the apps whose steps were recorded.
func realworldStepsMarkdown(b *strings.Builder, rep *realworldReport) {
	var rows []string
	for _, c := range rep.Apps {
		d, f := c.Distill, c.Dockerfile
		if d == nil || f == nil || len(d.Steps) == 0 || len(f.Steps) == 0 {
			continue
		}
		ds, fs := phaseSeconds(d.Steps), phaseSeconds(f.Steps)
		row := "| " + c.Name + " |"
		for _, ph := range phases {
			row += fmt.Sprintf(" %s / %s |", phaseCell(ds[ph], d.Steps, ph), phaseCell(fs[ph], f.Steps, ph))
		}
		rows = append(rows, row+fmt.Sprintf(" %.1f s / %.1f s |", d.Seconds, f.Seconds))
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "Where the cold builds' time goes, distill / its Dockerfile (busy time per phase and the steps that ran, as in the seeds' breakdown):\n\n| app |")
	for _, ph := range phases {
		fmt.Fprintf(b, " %s |", ph)
	}
	fmt.Fprintf(b, " wall time |\n|---|%s\n%s\n\n", strings.Repeat("---|", len(phases)+1), strings.Join(rows, "\n"))
}

// The runtime packages' examples against the same app on a slim image
// with the packages installed by apt (Dockerfile.slim beside each).

type packagesReport struct {
	Date    string         `json:"date"`
	Machine string         `json:"machine"`
	Runs    int            `json:"runs"`
	Apps    []packagesCell `json:"apps"`
}

type packagesCell struct {
	Example  string          `json:"example"`
	Packages string          `json:"packages"`
	Distill  *realworldImage `json:"distill"`
	Slim     *realworldImage `json:"slim"`
}

// packageExamples are the examples compared, with their runtime-packages.
var packageExamples = []struct{ example, packages string }{
	{"python-libmagic", "libmagic1, opened through ctypes"},
	{"go-jq", "jq and mawk, run by a Go binary on the static base"},
}

func runPackages(o options) (packagesReport, error) {
	rep := packagesReport{Date: o.date, Machine: machine(), Runs: o.runs}
	for _, ex := range packageExamples {
		dir, err := copyExample(filepath.Join("examples", ex.example))
		if err != nil {
			return rep, err
		}
		defer os.RemoveAll(filepath.Dir(dir))
		cell := packagesCell{Example: ex.example, Packages: ex.packages}
		for _, v := range []struct {
			file string
			dst  **realworldImage
		}{{"distill.yaml", &cell.Distill}, {"Dockerfile.slim", &cell.Slim}} {
			im, err := measureImage(o, dir, v.file)
			if err != nil {
				return rep, fmt.Errorf("%s, %s: %w", ex.example, v.file, err)
			}
			*v.dst = im
		}
		fmt.Fprintf(os.Stderr, "bench: %s: distill %s, %d packages; slim + apt %s, %d packages\n", ex.example, mb(cell.Distill.Compressed), cell.Distill.Packages, mb(cell.Slim.Compressed), cell.Slim.Packages)
		rep.Apps = append(rep.Apps, cell)
	}
	return rep, nil
}

func packagesMarkdown(b *strings.Builder, rep *packagesReport) {
	fmt.Fprintf(b, "## Runtime packages: Debian packages on distroless\n\n")
	fmt.Fprintf(b, "Run on %s, %s; %d build(s) each, median times, linux/amd64 from an empty cache: distill's image (`runtime-packages:`) against the same app on a slim image with the packages installed by apt (`Dockerfile.slim` beside each example, apt's lists removed as the official images' apt configuration does). Packages are counted as SBOM scanners count them (Debian packages, Python distributions, Go modules). The slim images keep apt, dpkg and a shell; the distroless ones have none.\n\n", rep.Date, rep.Machine, rep.Runs)
	fmt.Fprintf(b, "| example | runtime packages | distill | slim + apt | size | packages (distill / slim) | cold build |\n|---|---|---|---|---|---|---|\n")
	for _, c := range rep.Apps {
		fmt.Fprintf(b, "| `examples/%s` | %s | %s | %s | %s | %d / %d | %.1f s / %.1f s (%s) |\n", c.Example, c.Packages, mb(c.Distill.Compressed), mb(c.Slim.Compressed),
			ratio(float64(c.Distill.Compressed), float64(c.Slim.Compressed)), c.Distill.Packages, c.Slim.Packages, c.Distill.Seconds, c.Slim.Seconds, ratio(c.Distill.Seconds, c.Slim.Seconds))
	}
	b.WriteString("\n")
}
