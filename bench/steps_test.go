package main

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

// The samples are the vertex lines of buildx's rawjson progress of two
// cold builds of examples/python-fastapi in the lab (distill.yaml and
// Dockerfile.seed), statuses and logs left out.
func readSample(t *testing.T, file string) (string, time.Time) {
	t.Helper()
	data, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	// The build's start: the first vertex's, as the samples lack the
	// client's own.
	const key = `"started":"`
	s := string(data)
	i := strings.Index(s, key) + len(key)
	start, err := time.Parse(time.RFC3339Nano, s[i:i+strings.IndexByte(s[i:], '"')])
	if err != nil {
		t.Fatal(err)
	}
	return s, start
}

func stepNamed(t *testing.T, steps []stepTime, prefix string) stepTime {
	t.Helper()
	for _, s := range steps {
		if strings.HasPrefix(s.Name, prefix) {
			return s
		}
	}
	t.Fatalf("no step %q", prefix)
	return stepTime{}
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.002 }

func TestParseProgressDistill(t *testing.T) {
	out, start := readSample(t, "fastapi-distill.rawjson")
	p := parseProgress(out, start)
	// the build definition is loaded twice: for BuildKit, then for
	// the frontend
	if len(p.Steps) != 25 {
		t.Fatalf("%d steps, want 25", len(p.Steps))
	}
	for i := 1; i < len(p.Steps); i++ {
		if p.Steps[i].Start < p.Steps[i-1].Start {
			t.Errorf("step %d starts before step %d", i, i-1)
		}
	}
	for _, c := range []struct {
		prefix, phase string
		secs          float64
	}{
		// started twice: both runs count
		{"[internal] load build definition", phaseStartup, 0.049},
		{"resolve image config for docker-image://ghcr.io/distill-build/distill:1", phaseStartup, 0.096},
		// the frontend's image
		{"docker-image://ghcr.io/distill-build/distill:1@", phaseStartup, 0.379},
		{"[internal] resolve runtime", phaseStartup, 0.070},
		// its parts one after another, with gaps: 3.28 s from first to last
		{"[internal] load builder docker.io/library/python", phasePull, 3.233},
		{"[python] create the virtual environment", phaseInstall, 0.950},
		{"[python] pip install -r requirements.txt", phaseInstall, 7.549},
		{"[python] compile bytecode of the environment", phaseBuild, 4.224},
		{"[distill] collect /app/.venv", phaseExport, 0.196},
		{"exporting to oci image format", phaseExport, 1.205},
	} {
		s := stepNamed(t, p.Steps, c.prefix)
		if s.Phase != c.phase || math.Abs(s.Seconds-c.secs) > 0.0015 || s.Cached {
			t.Errorf("%s: %s, %.6f s, cached %v; want %s, %.3f s", c.prefix, s.Phase, s.Seconds, s.Cached, c.phase, c.secs)
		}
	}
	ph := phaseSeconds(p.Steps)
	// from the start to the builder's pull
	if got := ph[phaseStartup]; !near(got, 1.172) {
		t.Errorf("startup %.3f s, want 1.172", got)
	}
	// the builder's and the runtime's pulls overlap: 06.577 to 11.571
	if got := ph[phasePull]; !near(got, 4.995) {
		t.Errorf("pulls %.3f s, want 4.995", got)
	}
}

func TestParseProgressDockerfile(t *testing.T) {
	out, start := readSample(t, "fastapi-seed.rawjson")
	p := parseProgress(out, start)
	for _, c := range []struct{ prefix, phase string }{
		{"[internal] load metadata for docker.io/library/python", phaseStartup},
		{"[internal] load .dockerignore", phaseStartup},
		{"[build-env 1/5] FROM docker.io/library/python", phasePull},
		{"[stage-1 1/4] FROM gcr.io/distroless/python3-debian13", phasePull},
		{"[build-env 2/5] WORKDIR /app", phaseBuild},
		{"[build-env 3/5] COPY ./requirements.txt", phaseInstall},
		{"[build-env 4/5] RUN", phaseInstall},
		{"[build-env 5/5] COPY ./main.py", phaseBuild},
		// the final stage copies from another: assembly, all of it
		{"[stage-1 2/4] COPY --from=build-env /app /app", phaseExport},
		{"[stage-1 4/4] WORKDIR /app", phaseExport},
		{"exporting to oci image format", phaseExport},
	} {
		if s := stepNamed(t, p.Steps, c.prefix); s.Phase != c.phase {
			t.Errorf("%s: %s, want %s", c.prefix, s.Phase, c.phase)
		}
	}
	if got := phaseSeconds(p.Steps)[phaseStartup]; !near(got, 0.191) {
		t.Errorf("startup %.3f s, want 0.191", got)
	}
}

func TestParseProgressTextAndCached(t *testing.T) {
	out := `#0 building with "distill-lab" instance using remote driver
{"vertexes":[{"digest":"sha256:a","name":"[python] copy sources","started":"2026-12-05T07:16:05Z","completed":"2026-12-05T07:16:05Z","cached":true}]}
{"vertexes":[{"digest":"sha256:b","name":"[python] compile bytecode of the app"}]}
{"vertexes":[{"digest":"sha256:c","name":"[python] pip install","started":"2026-12-05T07:16:06Z","completed":"2026-12-05T07:16:07.5Z","error":"exit code: 1"}]}
{"logs":[{"vertex":"sha256:c","stream":2,"data":"bm8gbWF0Y2hpbmcgZGlzdHJpYnV0aW9uCg=="}]}
ERROR: failed to build: exit code: 1
`
	p := parseProgress(out, time.Date(2026, 12, 5, 7, 16, 4, 0, time.UTC))
	if len(p.Steps) != 2 {
		t.Fatalf("steps %+v: want the two that started", p.Steps)
	}
	if s := p.Steps[0]; !s.Cached || s.Start != 1 || s.Seconds != 0 {
		t.Errorf("cached step %+v", s)
	}
	if s := p.Steps[1]; s.Seconds != 1.5 || s.Phase != phaseInstall {
		t.Errorf("failed step %+v", s)
	}
	for _, want := range []string{"#0 building", "ERROR [python] pip install: exit code: 1", "no matching distribution", "ERROR: failed to build"} {
		if !strings.Contains(p.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, p.Text)
		}
	}
}

func TestUnion(t *testing.T) {
	if got := union([][2]float64{{3, 4}, {0, 2}, {1, 2.5}, {3.5, 3.7}}); got != 3.5 {
		t.Errorf("union %v, want 3.5", got)
	}
}

func TestPhaseDeltas(t *testing.T) {
	d := map[string]float64{phaseStartup: 0.45, phaseInstall: 1.2, phaseBuild: 0.4, phaseExport: 0.41}
	h := map[string]float64{phaseStartup: 0.12, phaseInstall: 1.3, phaseBuild: 0.1, phaseExport: 0.4}
	if got, want := phaseDeltas(d, h), "frontend startup +0.3 s, dependency install −0.1 s, build +0.3 s"; got != want {
		t.Errorf("phaseDeltas = %q, want %q", got, want)
	}
	if got := phaseDeltas(d, d); got != "no phase differs by 0.05 s or more" {
		t.Errorf("phaseDeltas of equal phases = %q", got)
	}
}
