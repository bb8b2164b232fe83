package main

import (
	"strings"
	"testing"

	"github.com/distill-build/distill/lab/load"
)

// TestLoadMarkdown: the ratio of the dozen at once against one by one,
// a digest that differed said so, and each language's peak memory from
// its lowest to its highest build, alone or at once.
func TestLoadMarkdown(t *testing.T) {
	rep := &loadReport{Runs: 1, Builder: "b", Frontend: "f", Concurrent: 60, Sequential: 240, Builds: []loadBuild{
		{Build: load.Build{Name: "go-1", Example: "go-hello"}, Language: "go", Seconds: 20, Concurrent: 50, PeakMemory: 25e6, ConcurrentPeakMemory: 31e6, SameDigest: true},
		{Build: load.Build{Name: "go-2", Example: "go-hello"}, Language: "go", Seconds: 20, Concurrent: 50, PeakMemory: 24e6, ConcurrentPeakMemory: 26e6},
		{Build: load.Build{Name: "rust", Example: "rust-cli"}, Language: "rust", Seconds: 40, Concurrent: 55, PeakMemory: 30e6, ConcurrentPeakMemory: 30e6, SameDigest: true},
	}}
	var b strings.Builder
	loadMarkdown(&b, rep)
	for _, want := range []string{
		"1 apps twice under different names",
		"| at once | 60.0 s | 0.25× |",
		"| go-1 | `examples/go-hello` | go | 20.0 s | 50.0 s | 25.0 MB | 31.0 MB | yes |",
		"| go-2 | `examples/go-hello` | go | 20.0 s | 50.0 s | 24.0 MB | 26.0 MB | no |",
		"| go | 2 | 24.0 MB – 31.0 MB |",
		"| rust | 1 | 30.0 MB – 30.0 MB |",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in\n%s", want, b.String())
		}
	}
}
