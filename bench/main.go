// Command bench is distill's benchmarks, run in the lab (`make bench`),
// each figure a ratio against a baseline built in the same run:
//
//   - seeds: the seed articles' comparisons. For each seed app, its
//     single-stage Dockerfile on the full and on the slim image, its
//     hand-written distroless Dockerfile (the baseline) and distill, each
//     built from an empty BuildKit cache and again after a source-only
//     change; every image read for its size, layers, files, packages,
//     shell, package managers, compilers and user, and each build's steps
//     (read from buildx's rawjson progress) grouped into phases against
//     the baseline's. Also the frontend's own
//     cost: the time to produce each example's LLB (against the Dockerfile
//     frontend's for the hand-written Dockerfile) and the frontend image's
//     size. Results: bench/results/seeds.json.
//   - multiplatform: for each example, the distill build for linux/amd64
//     alone and for linux/amd64+linux/arm64, and the hand-written
//     Dockerfile (whose arm64 stages run under QEMU) for the same two
//     platforms, cold and after a source-only change. Results:
//     bench/results/multiplatform.md and .json.
//   - java: the Spring Boot example's hand-written Dockerfile (the
//     baseline), distill, and distill with runtime: jlink, each built from
//     an empty BuildKit cache and again after a one-line code change; the
//     images read as the seeds' are, and the layers the change altered,
//     what a push of the rebuilt image uploads. Results:
//     bench/results/java.json.
//   - rust: the axum example's hand-written two-stage Dockerfile (the
//     baseline), the same with cargo-chef, and distill, each built from an
//     empty BuildKit cache and again after a one-line code change, read as
//     the Java suite's are; then each built for linux/amd64+linux/arm64
//     from an empty cache (the Dockerfiles under QEMU), stopped after
//     -rust-limit. Results: bench/results/rust.json.
//   - load: a dozen builds (lab/load: every language, some apps twice)
//     started at once on one buildkitd from an empty cache, against the
//     sum of the same builds run one by one, each from an empty cache;
//     and the frontend's peak memory per build, as it reports it.
//     Results: bench/results/load.json.
//
// From the results it writes the report, docs/benchmarks.md, and its
// chart, docs/benchmarks.png.
//
// It is a benchmark, not a test: it asserts nothing and is never run by
// `make test`.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// variant is one build of an example.
type variant struct {
	Name      string `json:"name"`
	File      string `json:"file"`
	Platforms string `json:"platforms"`
	// Seconds is the cold build; Rebuild the build after a source-only
	// change that follows it (warm cache mounts and base images).
	Seconds float64 `json:"seconds"`
	Rebuild float64 `json:"rebuildSeconds"`
	// Emulated lists the build's steps that ran under emulation.
	Emulated []string `json:"emulated,omitempty"`
}

type result struct {
	Example  string    `json:"example"`
	Variants []variant `json:"variants"`
}

type report struct {
	Date    string   `json:"date"`
	Machine string   `json:"machine"`
	Runs    int      `json:"runs"`
	Results []result `json:"results"`
}

// options are the flags every suite uses.
type options struct {
	builder, ca string
	runs        int
	date        string
	goCmd       string
	registry    string
	frontendRef string
	// syntax, when set, is the frontend image the load suite's builds use
	// instead of their manifests' syntax line; note is recorded with its
	// results (what else the machine was doing).
	syntax, note string
}

func main() {
	out := flag.String("out", "bench/results", "directory for the results (JSON and the multi-platform report)")
	docs := flag.String("docs", "docs", "directory for the report users read (benchmarks.md and its chart)")
	suite := flag.String("suite", "all", "what to run: seeds (the seed articles' comparisons), multiplatform, java (the Spring Boot example), rust (the axum example), packages (runtime packages against slim images), realworld (the corpus against the apps' own Dockerfiles), load (a dozen builds at once against one by one), all, or report (rewrite the report from the results)")
	realApps := flag.String("realworld-apps", "", "realworld: only these apps (comma-separated; default every app)")
	runs := flag.Int("runs", 1, "builds per variant (the median is reported)")
	examples := flag.String("examples", "go-hello:main.go,python-fastapi:main.py,node-express:server.js", "multiplatform: examples with a Dockerfile.seed, each with the source file a rebuild edits")
	rustLimit := flag.Duration("rust-limit", 30*time.Minute, "rust: stop a two-platform build after this long (its time reported as a lower bound)")
	rustBudget := flag.Duration("rust-budget", 0, "rust: stop the two-platform builds after this long all together (0: no budget; a build stopped reports a lower bound)")
	only := flag.String("apps", "", "seeds: only these examples (comma-separated; default every seed app)")
	o := options{date: time.Now().UTC().Format("2006-01-02")}
	flag.StringVar(&o.builder, "builder", envOr("BUILDX_BUILDER", "distill-lab"), "buildx builder")
	flag.StringVar(&o.ca, "ca-bundle", envOr("DISTILL_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt"), "CA bundle passed as the ca-bundle secret")
	flag.StringVar(&o.goCmd, "go", envOr("GO", "go"), "go command (for the LLB benchmark)")
	flag.StringVar(&o.registry, "registry", envOr("DISTILL_REGISTRY", "127.0.0.1:5000"), "the lab registry")
	flag.StringVar(&o.frontendRef, "frontend", "ghcr.io/distill-build/distill:1", "the frontend image whose size is reported")
	flag.StringVar(&o.syntax, "syntax", "", "load: the frontend image the builds use (BUILDKIT_SYNTAX; default: the manifests' syntax line)")
	flag.StringVar(&o.note, "note", "", "load, realworld: a remark on the run recorded with its results (e.g. other work on the machine)")
	flag.Parse()
	o.runs = *runs

	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if *suite == "seeds" || *suite == "all" {
		rep, err := runSeeds(o, *only)
		if err != nil {
			fail(err)
		}
		if err := writeJSON(filepath.Join(*out, "seeds.json"), rep); err != nil {
			fail(err)
		}
	}
	if *suite == "multiplatform" || *suite == "all" {
		rep, err := runMultiplatform(o, *examples)
		if err != nil {
			fail(err)
		}
		if err := write(*out, rep); err != nil {
			fail(err)
		}
	}
	if *suite == "java" || *suite == "all" {
		rep, err := runJava(o)
		if err != nil {
			fail(err)
		}
		if err := writeJSON(filepath.Join(*out, "java.json"), rep); err != nil {
			fail(err)
		}
	}
	if *suite == "rust" || *suite == "all" {
		file := filepath.Join(*out, "rust.json")
		save := func(rep rustReport) error { return writeJSON(file, rep) }
		rep, err := runRust(o, *rustLimit, *rustBudget, save)
		if err != nil {
			fail(err)
		}
		if err := save(rep); err != nil {
			fail(err)
		}
	}
	if *suite == "packages" || *suite == "all" {
		rep, err := runPackages(o)
		if err != nil {
			fail(err)
		}
		if err := writeJSON(filepath.Join(*out, "packages.json"), rep); err != nil {
			fail(err)
		}
	}
	if *suite == "realworld" || *suite == "all" {
		file := filepath.Join(*out, "realworld.json")
		save := func(rep realworldReport) error { return writeJSON(file, rep) }
		rep, err := runRealworld(o, *realApps, save)
		if err != nil {
			fail(err)
		}
		if err := save(rep); err != nil {
			fail(err)
		}
	}
	if *suite == "load" || *suite == "all" {
		rep, err := runLoad(o)
		if err != nil {
			fail(err)
		}
		if err := writeJSON(filepath.Join(*out, "load.json"), rep); err != nil {
			fail(err)
		}
	}
	if err := writeReport(*out, *docs); err != nil {
		fail(err)
	}
}

func writeJSON(file string, v any) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, append(js, '\n'), 0o644)
}

func write(dir string, rep report) error {
	if err := writeJSON(filepath.Join(dir, "multiplatform.json"), rep); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "multiplatform.md"), []byte("# Multi-platform build times\n\n"+multiplatformMarkdown(rep, "###")), 0o644)
}

func machine() string {
	cpu := ""
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.TrimPrefix(strings.SplitN(string(data), "\n", 2)[0], "MemTotal:"), "%d", &kb)
		mem = fmt.Sprintf(", %d GiB", (kb+(1<<19))>>20)
	}
	return fmt.Sprintf("%d cores (%s)%s, %s/%s", runtime.NumCPU(), cpu, mem, runtime.GOOS, runtime.GOARCH)
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// medianRun is the index of the median of xs.
func medianRun(xs []float64) int {
	m := median(xs)
	return slices.Index(xs, m)
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
