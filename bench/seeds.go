package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// seedApp is a seed article's app: the example that reproduces it and the
// source file a rebuild edits.
type seedApp struct {
	Title   string `json:"title"`
	Seed    string `json:"seed"`
	Example string `json:"example"`
	Source  string `json:"source"`
}

var seedApps = []seedApp{
	{"FastAPI", "000", "python-fastapi", "main.py"},
	{"emoji", "001", "python-emoji", "src/app.py"},
	{"Go server", "003", "go-hello", "main.go"},
	{"Express API", "004", "node-express", "server.js"},
}

// The variants of each app: the seeds' single-stage Dockerfiles on the
// full and the slim image, their hand-written distroless multi-stage
// Dockerfile (the baseline), the same Dockerfile through the Dockerfile
// frontend's image, and distill. A variant with Syntax is its File
// written from Dockerfile.seed with that `# syntax=` line first.
type seedVariant struct{ Name, File, Syntax string }

var seedVariants = []seedVariant{
	{"full", "Dockerfile.full", ""},
	{"slim", "Dockerfile.slim", ""},
	{baseline, "Dockerfile.seed", ""},
	{viaImage, "Dockerfile.seed-syntax", "docker/dockerfile:1"},
	{"distill", "distill.yaml", ""},
}

// baseline is the variant ratios are taken against: the hand-written
// Dockerfile built by BuildKit's built-in Dockerfile frontend. viaImage
// is the same Dockerfile with a `# syntax=docker/dockerfile:1` line, as
// Docker's documentation writes them: BuildKit pulls and starts the
// frontend's image, as it does distill's, the startup the built-in
// frontend does not pay.
const (
	baseline = "hand-written distroless"
	viaImage = "hand-written via docker/dockerfile:1"
)

type seedImage struct {
	Variant string `json:"variant"`
	File    string `json:"file"`
	imageStats
	// Seconds is the cold build (empty BuildKit cache); Rebuild the build
	// after a source-only change that follows it.
	Seconds float64 `json:"seconds"`
	Rebuild float64 `json:"rebuildSeconds"`
	// Steps are the cold build's vertices, RebuildSteps the rebuild's
	// (of the run whose time is the median).
	Steps        []stepTime `json:"steps,omitempty"`
	RebuildSteps []stepTime `json:"rebuildSteps,omitempty"`
}

type seedResult struct {
	App    seedApp     `json:"app"`
	Images []seedImage `json:"images"`
}

// llbCost is the frontend's time to produce an example's LLB, and the
// Dockerfile frontend's for its hand-written Dockerfile (go test -bench).
type llbCost struct {
	Example    string  `json:"example"`
	Distill    float64 `json:"distillMicroseconds"`
	Dockerfile float64 `json:"dockerfileMicroseconds,omitempty"`
}

type seedReport struct {
	Date    string       `json:"date"`
	Machine string       `json:"machine"`
	Runs    int          `json:"runs"`
	Results []seedResult `json:"results"`
	LLB     []llbCost    `json:"llb"`
	// FrontendImage is the compressed size of the frontend image
	// (linux/amd64), as the lab registry serves it.
	FrontendImage int64  `json:"frontendImageBytes"`
	FrontendRef   string `json:"frontendRef"`
}

// runSeeds builds every variant of every seed app and reads the images.
func runSeeds(o options, only string) (seedReport, error) {
	rep := seedReport{Date: o.date, Machine: machine(), Runs: o.runs}
	for _, app := range seedApps {
		if only != "" && !slices.Contains(strings.Split(only, ","), app.Example) {
			continue
		}
		dir, err := copyExample(filepath.Join("examples", app.Example))
		if err != nil {
			return rep, err
		}
		defer os.RemoveAll(filepath.Dir(dir))
		res := seedResult{App: app}
		for i, v := range seedVariants {
			// DISTILL_BENCH_VARIANTS (comma-separated names) builds only
			// those, for work on one comparison: distill against the
			// baseline without the long full and slim builds.
			if want := os.Getenv("DISTILL_BENCH_VARIANTS"); want != "" && !slices.Contains(strings.Split(want, ","), v.Name) {
				continue
			}
			img := seedImage{Variant: v.Name, File: v.File}
			if v.Syntax != "" {
				if err := withSyntax(dir, v.File, v.Syntax); err != nil {
					return rep, err
				}
			}
			edit := func(run int) error { return touchSource(filepath.Join(dir, app.Source), 100*i+run) }
			cold, warm, err := measureSteps(o, dir, v.File, edit, func(cold, _ string) error {
				st, err := analyzeImage(cold)
				if st != nil {
					img.imageStats = *st
				}
				return err
			})
			img.Seconds, img.Rebuild, img.Steps, img.RebuildSteps = cold.Seconds, warm.Seconds, cold.Steps, warm.Steps
			if err != nil {
				return rep, fmt.Errorf("%s, %s: %w", app.Example, v.Name, err)
			}
			fmt.Fprintf(os.Stderr, "bench: %s, %s: %s compressed, %d packages, %.1f s cold, %.1f s rebuild\n",
				app.Example, v.Name, mb(img.Compressed), img.Packages, img.Seconds, img.Rebuild)
			res.Images = append(res.Images, img)
		}
		rep.Results = append(rep.Results, res)
	}
	var err error
	if rep.LLB, err = llbCosts(o.goCmd); err != nil {
		return rep, err
	}
	rep.FrontendRef = o.frontendRef
	if rep.FrontendImage, err = registryImageSize(o.registry, o.frontendRef); err != nil {
		return rep, err
	}
	return rep, nil
}

// withSyntax writes file in dir: the app's Dockerfile.seed with a
// `# syntax=ref` line first.
func withSyntax(dir, file, ref string) error {
	src, err := os.ReadFile(filepath.Join(dir, "Dockerfile.seed"))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, file), append([]byte("# syntax="+ref+"\n"), src...), 0o644)
}

var benchLineRE = regexp.MustCompile(`^BenchmarkLLB/([^/]+)/(distill|dockerfile)-\d+\s+\d+\s+([0-9.]+) ns/op`)

// llbCosts runs the frontend's LLB benchmark (frontend/resolve).
func llbCosts(goCmd string) ([]llbCost, error) {
	cmd := exec.Command(goCmd, "test", "-run", "^$", "-bench", "^BenchmarkLLB$", "-benchtime", "2s", "./frontend/resolve")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go test -bench: %v\n%s", err, tail(buf.String(), 20))
	}
	var out []llbCost
	byName := map[string]int{}
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		m := benchLineRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		ns, _ := strconv.ParseFloat(m[3], 64)
		i, ok := byName[m[1]]
		if !ok {
			i, byName[m[1]] = len(out), len(out)
			out = append(out, llbCost{Example: m[1]})
		}
		if m[2] == "distill" {
			out[i].Distill = ns / 1e3
		} else {
			out[i].Dockerfile = ns / 1e3
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("go test -bench printed no BenchmarkLLB results:\n%s", tail(buf.String(), 20))
	}
	return out, nil
}

// registryImageSize is the compressed size (config and layers) of ref's
// linux/amd64 image in the lab registry; ref is host-less
// (ghcr.io/distill-build/distill:1 is mirrored as distill-build/distill:1).
func registryImageSize(registry, ref string) (int64, error) {
	r, err := name.ParseReference(registry+"/"+ref[strings.Index(ref, "/")+1:], name.Insecure)
	if err != nil {
		return 0, err
	}
	img, err := remote.Image(r, remote.WithPlatform(v1.Platform{OS: "linux", Architecture: "amd64"}))
	if err != nil {
		return 0, err
	}
	m, err := img.Manifest()
	if err != nil {
		return 0, err
	}
	size := m.Config.Size
	for _, l := range m.Layers {
		size += l.Size
	}
	return size, nil
}

func mb(n int64) string {
	v := float64(n) / 1e6
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f MB", v)
	case v >= 10:
		return fmt.Sprintf("%.1f MB", v)
	}
	return fmt.Sprintf("%.2f MB", v)
}

// size is a byte count in B, kB or MB.
func size(n int64) string {
	switch {
	case n < 1e3:
		return fmt.Sprintf("%d B", n)
	case n < 1e6:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return mb(n)
}
