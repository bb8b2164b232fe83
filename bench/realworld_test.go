package main

import (
	"strings"
	"testing"
)

// The realworld report's breakdown: one row per app whose two cold
// builds have steps, each phase distill / its Dockerfile.
func TestRealworldStepsMarkdown(t *testing.T) {
	steps := func(install float64) []stepTime {
		return []stepTime{
			{Name: "[internal] load build definition from distill.yaml", Phase: phaseStartup, Start: 0, End: 0.2, Seconds: 0.2},
			{Name: "[go] go mod download", Phase: phaseInstall, Start: 0.5, End: 0.5 + install, Seconds: install},
		}
	}
	rep := &realworldReport{Apps: []realworldCell{
		{Name: "app", Verdict: "ok", Distill: &realworldImage{Seconds: 3, Steps: steps(2)}, Dockerfile: &realworldImage{Seconds: 5, Steps: steps(4)}},
		{Name: "nodockerfile", Verdict: "ok", Distill: &realworldImage{Seconds: 1, Steps: steps(1)}},
		{Name: "nosteps", Verdict: "ok", Distill: &realworldImage{Seconds: 1}, Dockerfile: &realworldImage{Seconds: 1}},
	}}
	var b strings.Builder
	realworldStepsMarkdown(&b, rep)
	out := b.String()
	if want := "| app | 0.5 s (1) / 0.5 s (1) | – / – | 2.0 s (1) / 4.0 s (1) | – / – | – / – | 3.0 s / 5.0 s |"; !strings.Contains(out, want) {
		t.Errorf("breakdown lacks %q:\n%s", want, out)
	}
	for _, name := range []string{"nodockerfile", "nosteps"} {
		if strings.Contains(out, "| "+name+" |") {
			t.Errorf("%s has a row:\n%s", name, out)
		}
	}
	b.Reset()
	realworldStepsMarkdown(&b, &realworldReport{Apps: rep.Apps[1:]})
	if b.Len() != 0 {
		t.Errorf("a breakdown without any app with both builds' steps:\n%s", b.String())
	}
}
