package scaffold

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/resolve"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

var amd64 = ocispecs.Platform{OS: "linux", Architecture: "amd64"}

// image is what the e2e tests of an example look at in its image: the
// command, the exposed ports, the runtime.
func image(t *testing.T, dir string, data []byte) string {
	t.Helper()
	m, err := manifest.Parse(manifest.DefaultFilename, data)
	if err != nil {
		t.Fatal(err)
	}
	p, err := resolve.Resolve(context.Background(), m, contextfs.Dir(dir), resolve.Options{BuildPlatform: amd64})
	if err != nil {
		return "error: " + err.Error()
	}
	c := p.Targets[0].Config
	var layers []string
	for _, a := range p.Targets[0].Artifacts {
		layers = append(layers, a.Src+">"+a.Dest)
	}
	return strings.Join(append(append([]string{p.Targets[0].Runtime.Ref}, c.Entrypoint...), c.Cmd...), " ") + " | ports " + strings.Join(c.ExposedPorts, ",") +
		" | " + strings.Join(layers, " ")
}

// TestExamples: for every example whose app is its directory, the
// manifest init writes (the hand-written one set aside) plans the image
// the hand-written one plans: the same runtime, command and ports, so
// its build passes the example's e2e test; except where the example
// writes what no file tells (listed, with why).
func TestExamples(t *testing.T) {
	t.Parallel()
	differ := map[string]string{
		"java-multimodule": "two modules build jars: which one runs is the user's choice (init's manifest says so, with both)",
		"rust-workspace":   "two binaries: which one the image runs is the user's choice (init's manifest says so, with both)",
		"python-312":       "the example pins Python 3.12, which no file of it states",
		// What an app opens or runs at run time is in no dependency file:
		// init writes runtime-packages as a commented choice.
		"python-libmagic": "runtime-packages: libmagic, opened with ctypes",
		"go-jq":           "runtime-packages: jq and awk, run with execve",
		"node-fonts":      "runtime-packages: a font the app reads",
		"go-server":       "include: static/, files the app reads at run time",
	}
	dirs, err := filepath.Glob("../../examples/*/distill.yaml")
	if err != nil || len(dirs) == 0 {
		t.Fatal("no examples", err)
	}
	var same []string
	for _, f := range dirs {
		dir := filepath.Dir(f)
		name := filepath.Base(dir)
		hand, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Manifest(context.Background(), contextfs.Dir(dir), amd64)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		want, have := image(t, dir, hand), image(t, dir, got)
		if want == have {
			same = append(same, name)
			continue
		}
		if why, ok := differ[name]; ok {
			t.Logf("%s differs (%s):\n  hand: %s\n  init: %s", name, why, want, have)
			continue
		}
		t.Errorf("%s: the image of init's manifest differs:\n  hand: %s\n  init: %s\n%s", name, want, have, got)
	}
	slices.Sort(same)
	t.Logf("init plans the same image for %d of %d examples: %s", len(same), len(dirs), strings.Join(same, " "))
}
