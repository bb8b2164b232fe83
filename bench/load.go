package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/distill-build/distill/lab/load"
)

// loadEpoch is the builds' SOURCE_DATE_EPOCH: the same inputs give the
// same digest at once and alone.
const loadEpoch = "1700000000"

type loadBuild struct {
	load.Build
	Language string `json:"language"`
	// Seconds is the build alone from an empty cache; Concurrent its
	// client's wall time among the dozen.
	Seconds    float64 `json:"seconds"`
	Concurrent float64 `json:"concurrentSeconds"`
	// The frontend's peak memory in bytes, alone and among the dozen.
	PeakMemory           int64 `json:"peakMemory"`
	ConcurrentPeakMemory int64 `json:"concurrentPeakMemory"`
	// SameDigest: the image built among the dozen is the image built
	// alone (every run).
	SameDigest bool `json:"sameDigest"`
}

type loadReport struct {
	Date     string `json:"date"`
	Machine  string `json:"machine"`
	Runs     int    `json:"runs"`
	Builder  string `json:"builder"`
	Frontend string `json:"frontend"`
	// Note is what else the machine did during the run (-note).
	Note string `json:"note,omitempty"`
	// Concurrent is the wall time of the dozen started at once from an
	// empty cache, until the last client exits; Sequential the sum of the
	// builds' wall times, each alone from an empty cache.
	Concurrent float64     `json:"concurrentSeconds"`
	Sequential float64     `json:"sequentialSeconds"`
	Builds     []loadBuild `json:"builds"`
}

// runLoad builds the dozen at once from an empty cache, then each alone
// from an empty cache, o.runs times; medians.
func runLoad(o options) (loadReport, error) {
	frontend := o.syntax
	if frontend == "" {
		frontend = "the manifests' syntax line"
	}
	rep := loadReport{Date: o.date, Machine: machine(), Runs: o.runs, Builder: o.builder, Frontend: frontend, Note: o.note}
	repo, err := filepath.Abs(".")
	if err != nil {
		return rep, err
	}
	tmp, err := os.MkdirTemp("", "distill-bench-load-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(tmp)
	lo := load.Options{Repo: repo, Builder: o.builder, CABundle: o.ca, Syntax: o.syntax, Epoch: loadEpoch, Out: tmp}
	n := len(load.Dozen)
	var walls, sums []float64
	secs, conc := make([][]float64, n), make([][]float64, n)
	peaks, concPeaks := make([][]float64, n), make([][]float64, n)
	same := make([]bool, n)
	for i := range same {
		same[i] = true
	}
	for run := range o.runs {
		if err := prune(); err != nil {
			return rep, err
		}
		together, wall := load.Concurrent(context.Background(), lo, load.Dozen)
		if err := firstErr(together); err != nil {
			return rep, fmt.Errorf("at once: %w", err)
		}
		alone, err := load.Sequential(context.Background(), lo, load.Dozen, prune)
		if err == nil {
			err = firstErr(alone)
		}
		if err != nil {
			return rep, fmt.Errorf("alone: %w", err)
		}
		sum := 0.0
		for i, r := range alone {
			sum += r.Duration.Seconds()
			secs[i], conc[i] = append(secs[i], r.Duration.Seconds()), append(conc[i], together[i].Duration.Seconds())
			peaks[i], concPeaks[i] = append(peaks[i], float64(r.PeakMemory)), append(concPeaks[i], float64(together[i].PeakMemory))
			same[i] = same[i] && r.Digest == together[i].Digest
		}
		walls, sums = append(walls, wall.Seconds()), append(sums, sum)
		fmt.Fprintf(os.Stderr, "bench: load run %d: the dozen at once %.1f s, one by one %.1f s\n", run+1, wall.Seconds(), sum)
	}
	rep.Concurrent, rep.Sequential = median(walls), median(sums)
	for i, b := range load.Dozen {
		lang, err := load.Language(repo, b)
		if err != nil {
			return rep, err
		}
		rep.Builds = append(rep.Builds, loadBuild{Build: b, Language: lang, Seconds: median(secs[i]), Concurrent: median(conc[i]),
			PeakMemory: int64(median(peaks[i])), ConcurrentPeakMemory: int64(median(concPeaks[i])), SameDigest: same[i]})
	}
	return rep, nil
}

func firstErr(rs []load.Result) error {
	for _, r := range rs {
		if r.Err != nil {
			return fmt.Errorf("%w\n%s", r.Err, tail(r.Output, 30))
		}
	}
	return nil
}

func loadMarkdown(b *strings.Builder, rep *loadReport) {
	fmt.Fprintf(b, "## Load: a dozen builds at once on one buildkitd\n\n")
	fmt.Fprintf(b, "Run on %s, %s; %d run(s), median times; builder `%s`, frontend: %s.", rep.Date, rep.Machine, rep.Runs, rep.Builder, rep.Frontend)
	if rep.Note != "" {
		fmt.Fprintf(b, " %s", rep.Note)
	}
	fmt.Fprintf(b, " The dozen (`lab/load`): quick examples of every language, %d apps twice under different names, each for linux/amd64 with `SOURCE_DATE_EPOCH=%s`, exported as an OCI archive. *At once*: the twelve `docker buildx build` clients started together on an empty BuildKit cache (`buildctl prune --all`), timed until the last one exits; an app built twice shares its steps, which BuildKit runs once for both clients. *One by one*: the sum of the twelve clients' wall times, each build alone on an empty cache (the prune before it not counted). The frontend's peak memory is what it reports for each build (its process's peak resident set, `frontend.distill.peak-memory` in the metadata file): one frontend process per build, so it is its cost per build; the steps run in buildkitd.\n\n", twice(rep.Builds), loadEpoch)
	fmt.Fprintf(b, "| the dozen | wall time | against one by one |\n|---|---|---|\n")
	fmt.Fprintf(b, "| one by one (sum) | %.1f s | 1.00× |\n", rep.Sequential)
	fmt.Fprintf(b, "| at once | %.1f s | %s |\n\n", rep.Concurrent, ratio(rep.Concurrent, rep.Sequential))
	fmt.Fprintf(b, "| build | example | language | alone | at once | frontend peak memory, alone | at once | same digest at once and alone |\n|---|---|---|---|---|---|---|---|\n")
	for _, c := range rep.Builds {
		fmt.Fprintf(b, "| %s | `examples/%s` | %s | %.1f s | %.1f s | %s | %s | %s |\n", c.Name, c.Example, c.Language, c.Seconds, c.Concurrent,
			mb(c.PeakMemory), mb(c.ConcurrentPeakMemory), yesNo(c.SameDigest))
	}
	fmt.Fprintf(b, "\nThe frontend's peak memory per build, by language (lowest and highest of its builds, alone and at once):\n\n")
	fmt.Fprintf(b, "| language | builds | frontend peak memory |\n|---|---|---|\n")
	var langs []string
	lo, hi, count := map[string]int64{}, map[string]int64{}, map[string]int{}
	for _, c := range rep.Builds {
		if count[c.Language] == 0 {
			langs = append(langs, c.Language)
			lo[c.Language] = c.PeakMemory
		}
		count[c.Language]++
		for _, p := range []int64{c.PeakMemory, c.ConcurrentPeakMemory} {
			lo[c.Language], hi[c.Language] = min(lo[c.Language], p), max(hi[c.Language], p)
		}
	}
	for _, l := range langs {
		fmt.Fprintf(b, "| %s | %d | %s – %s |\n", l, count[l], mb(lo[l]), mb(hi[l]))
	}
	b.WriteString("\n")
}

// twice counts the examples built more than once.
func twice(builds []loadBuild) int {
	n := map[string]int{}
	for _, c := range builds {
		n[c.Example]++
	}
	twice := 0
	for _, k := range n {
		if k > 1 {
			twice++
		}
	}
	return twice
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}
