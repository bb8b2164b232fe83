package main

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// stepTime is one vertex of a build, read from buildx's rawjson progress.
type stepTime struct {
	Name  string `json:"name"`
	Phase string `json:"phase"`
	// Start is when the vertex first started and End when it last
	// completed, in seconds after the build's client was started; Seconds
	// how long it ran (the sum of its runs: BuildKit starts a pull or a
	// copy again for each of its parts).
	Start   float64 `json:"start"`
	End     float64 `json:"end"`
	Seconds float64 `json:"seconds"`
	Cached  bool    `json:"cached,omitempty"`
}

// The phases a build's time is grouped into, in the order the report
// shows them.
const (
	phaseStartup = "frontend startup"
	phasePull    = "image pulls"
	phaseInstall = "dependency install"
	phaseBuild   = "build"
	phaseExport  = "assembly and export"
)

var phases = []string{phaseStartup, phasePull, phaseInstall, phaseBuild, phaseExport}

// rawVertex is the part of a vertex update (BuildKit's client.Vertex, as
// `--progress=rawjson` prints it) the breakdown reads.
type rawVertex struct {
	Digest    string     `json:"digest"`
	Name      string     `json:"name"`
	Started   *time.Time `json:"started"`
	Completed *time.Time `json:"completed"`
	Cached    bool       `json:"cached"`
	Error     string     `json:"error"`
}

type rawLog struct {
	Vertex string `json:"vertex"`
	Data   []byte `json:"data"`
}

// rawStatus is one line of rawjson progress.
type rawStatus struct {
	Vertexes []rawVertex `json:"vertexes"`
	Logs     []rawLog    `json:"logs"`
}

// progress is a build's rawjson output read: its vertices in the order
// they started, and for errors the text the output had besides.
type progress struct {
	Steps []stepTime
	// Text is the output's lines that are not progress (buildx's own
	// messages, such as the error) and the steps' logs, in order.
	Text string
}

// parseProgress reads buildx's `--progress=rawjson` output of a build
// started at start. A vertex is keyed by digest; each start of it counts
// once, with the last completion reported for it.
func parseProgress(out string, start time.Time) progress {
	type run struct{ started, completed time.Time }
	type vertex struct {
		name   string
		cached bool
		runs   map[time.Time]time.Time
	}
	byDigest := map[string]*vertex{}
	var order []string
	var text strings.Builder
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Text()
		var st rawStatus
		if !strings.HasPrefix(line, "{") || json.Unmarshal([]byte(line), &st) != nil {
			text.WriteString(line + "\n")
			continue
		}
		for _, v := range st.Vertexes {
			x := byDigest[v.Digest]
			if x == nil {
				x = &vertex{runs: map[time.Time]time.Time{}}
				byDigest[v.Digest] = x
				order = append(order, v.Digest)
			}
			x.name = v.Name
			x.cached = x.cached || v.Cached
			if v.Started != nil {
				done := x.runs[*v.Started]
				if v.Completed != nil {
					done = *v.Completed
				}
				x.runs[*v.Started] = done
			}
			if v.Error != "" {
				text.WriteString("ERROR " + v.Name + ": " + v.Error + "\n")
			}
		}
		for _, l := range st.Logs {
			text.Write(l.Data)
		}
	}
	var p progress
	for _, d := range order {
		x := byDigest[d]
		if len(x.runs) == 0 {
			continue // never started: its result was there already
		}
		s := stepTime{Name: x.name, Cached: x.cached}
		var first, last time.Time
		for started, completed := range x.runs {
			if first.IsZero() || started.Before(first) {
				first = started
			}
			if !completed.IsZero() {
				s.Seconds += completed.Sub(started).Seconds()
				if completed.After(last) {
					last = completed
				}
			}
		}
		s.Start = first.Sub(start).Seconds()
		s.End = s.Start
		if !last.IsZero() {
			s.End = last.Sub(start).Seconds()
		}
		p.Steps = append(p.Steps, s)
	}
	slices.SortStableFunc(p.Steps, func(a, b stepTime) int { return cmp.Compare(a.Start, b.Start) })
	classify(p.Steps)
	p.Text = text.String()
	return p
}

var (
	// frontendRE names the image BuildKit resolves for a `# syntax=`
	// frontend; the pull of that image is the frontend's startup too.
	frontendRE = regexp.MustCompile(`^resolve image config for docker-image://(\S+)$`)
	// stageRE is a Dockerfile step: its stage, then the instruction.
	stageRE = regexp.MustCompile(`^\[([^\] ]+) \d+/\d+\] (\S+)(.*)$`)
	// installWords mark a step that installs dependencies (any tool's).
	installWords = []string{"install", "download", "venv", "virtual environment", "requirements", "package.json", "package-lock", "go.mod", "npm ci", "yarn", "pnpm", "pipfile", "poetry", "uv sync", "cargo fetch", "dependency:"}
)

// classify sets each step's phase from its name: the frontend's startup
// (the build definition, the frontend image, the context, image
// resolutions), image pulls, dependency installs, the build, and the
// assembly of the image and its export (distill's collect and add steps,
// a Dockerfile's stages that copy from another stage).
func classify(steps []stepTime) {
	frontends := map[string]bool{}
	assembly := map[string]bool{}
	for _, s := range steps {
		if m := frontendRE.FindStringSubmatch(s.Name); m != nil {
			frontends[m[1]] = true
		}
		if m := stageRE.FindStringSubmatch(s.Name); m != nil && m[2] == "COPY" && strings.Contains(m[3], "--from=") {
			assembly[m[1]] = true
		}
	}
	for i := range steps {
		steps[i].Phase = phaseOf(steps[i].Name, frontends, assembly)
	}
}

func phaseOf(name string, frontends, assembly map[string]bool) string {
	for _, p := range []string{"[internal] load build definition", "[internal] load metadata for", "[internal] load .dockerignore",
		"[internal] load build context", "[internal] resolve ", "resolve image config for", "[distill] frontend:", "[distill] find "} {
		if strings.HasPrefix(name, p) {
			return phaseStartup
		}
	}
	if ref, ok := strings.CutPrefix(name, "docker-image://"); ok {
		if frontends[strings.SplitN(ref, "@", 2)[0]] {
			return phaseStartup
		}
		return phasePull
	}
	if strings.HasPrefix(name, "[internal] load ") {
		return phasePull
	}
	if strings.HasPrefix(name, "exporting ") || strings.HasPrefix(name, "[distill] collect ") || strings.HasPrefix(name, "[distill] add ") {
		return phaseExport
	}
	if m := stageRE.FindStringSubmatch(name); m != nil {
		switch {
		case m[2] == "FROM":
			return phasePull
		case assembly[m[1]]:
			return phaseExport
		}
	}
	lower := strings.ToLower(name)
	for _, w := range installWords {
		if strings.Contains(lower, w) {
			return phaseInstall
		}
	}
	return phaseBuild
}

// phaseSeconds is how long each phase kept the build busy: the union of
// its steps' spans from first start to last completion (steps of a phase
// that run at once count once).
// The frontend's startup is instead the time from the client's start to
// the first step of another phase: what the build waited for before it
// could pull or run anything.
func phaseSeconds(steps []stepTime) map[string]float64 {
	out := map[string]float64{}
	spans := map[string][][2]float64{}
	first := -1.0
	for _, s := range steps {
		if s.Phase != phaseStartup && (first < 0 || s.Start < first) {
			first = s.Start
		}
		spans[s.Phase] = append(spans[s.Phase], [2]float64{s.Start, s.End})
	}
	for ph, sp := range spans {
		out[ph] = union(sp)
	}
	if first >= 0 {
		out[phaseStartup] = first
	}
	return out
}

// union is the length of the union of the intervals.
func union(sp [][2]float64) float64 {
	slices.SortFunc(sp, func(a, b [2]float64) int { return cmp.Compare(a[0], b[0]) })
	total, end := 0.0, -1e18
	for _, s := range sp {
		if s[0] > end {
			total += s[1] - s[0]
			end = s[1]
		} else if s[1] > end {
			total += s[1] - end
			end = s[1]
		}
	}
	return total
}

// emulated is the names of the steps that ran under emulation.
func (p progress) emulated() []string {
	var out []string
	for _, s := range p.Steps {
		if strings.Contains(s.Name, "(emulated: ") && !slices.Contains(out, s.Name) {
			out = append(out, s.Name)
		}
	}
	return out
}

// stepsMarkdown is an app's breakdown: for distill and the baseline, cold
// and rebuilt, how long each phase kept the build busy and how many of
// its steps ran (cached ones not counted).
func stepsMarkdown(b *strings.Builder, r seedResult) {
	d, h := find(r, "distill"), find(r, baseline)
	if d == nil || h == nil || len(d.Steps) == 0 || len(h.Steps) == 0 {
		return
	}
	images := []*seedImage{d, h}
	heads := []string{"distill", "hand-written"}
	against := []string{"", "the hand-written Dockerfile"}
	if v := find(r, viaImage); v != nil && len(v.Steps) > 0 {
		images, heads = append(images, v), append(heads, "through docker/dockerfile:1")
		against = append(against, "the same Dockerfile through docker/dockerfile:1")
	}
	var cols [][]stepTime
	var names []string
	for _, when := range []string{"cold", "rebuild"} {
		for i, im := range images {
			steps := im.Steps
			if when == "rebuild" {
				steps = im.RebuildSteps
			}
			cols, names = append(cols, steps), append(names, heads[i]+" "+when)
		}
	}
	secs := make([]map[string]float64, len(cols))
	for i, c := range cols {
		secs[i] = phaseSeconds(c)
	}
	fmt.Fprintf(b, "Where the time goes (the steps of the median run; busy time per phase, steps run in parallel counted once, so phases may overlap; *frontend startup* is from the client's start to the first pull or step):\n\n")
	fmt.Fprintf(b, "| phase | %s |\n|---%s|\n", strings.Join(names, " | "), strings.Repeat("|---", len(names)))
	for _, ph := range phases {
		fmt.Fprintf(b, "| %s |", ph)
		for i, c := range cols {
			fmt.Fprintf(b, " %s |", phaseCell(secs[i][ph], c, ph))
		}
		b.WriteString("\n")
	}
	b.WriteString("| wall time |")
	for _, when := range []string{"cold", "rebuild"} {
		for _, im := range images {
			t := im.Seconds
			if when == "rebuild" {
				t = im.Rebuild
			}
			fmt.Fprintf(b, " %.1f s |", t)
		}
	}
	b.WriteString("\n\n")
	n := len(images)
	for i := 1; i < n; i++ {
		fmt.Fprintf(b, "- distill against %s, phase by phase: cold %s; rebuild %s.\n", against[i],
			phaseDeltas(secs[0], secs[i]), phaseDeltas(secs[n], secs[n+i]))
	}
	b.WriteString("\n")
}

// phaseDeltas is how much longer (+) or shorter (−) each phase kept
// distill's build busy than the other's, for the phases that differ by
// 0.05 s or more.
func phaseDeltas(distill, other map[string]float64) string {
	var out []string
	for _, ph := range phases {
		if d := distill[ph] - other[ph]; d >= 0.05 || d <= -0.05 {
			sign := "+"
			if d < 0 {
				sign, d = "−", -d
			}
			out = append(out, fmt.Sprintf("%s %s%.1f s", ph, sign, d))
		}
	}
	if len(out) == 0 {
		return "no phase differs by 0.05 s or more"
	}
	return strings.Join(out, ", ")
}

// phaseCell is a phase's seconds and how many of its steps ran.
func phaseCell(secs float64, steps []stepTime, phase string) string {
	n := 0
	for _, s := range steps {
		if s.Phase == phase && !s.Cached {
			n++
		}
	}
	if n == 0 && secs < 0.05 {
		return "–"
	}
	return fmt.Sprintf("%.1f s (%d)", secs, n)
}
