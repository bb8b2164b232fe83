package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/distill-build/distill/llb/plan"
)

// planOf is the plan distill plan prints for args, as JSON and pretty.
func planOf(t *testing.T, args ...string) (*plan.Plan, string) {
	t.Helper()
	var js, pretty bytes.Buffer
	if err := run(context.Background(), append([]string{"plan"}, args...), &js); err != nil {
		t.Fatal(err)
	}
	var p plan.Plan
	if err := json.Unmarshal(js.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), append([]string{"plan", "--format", "pretty"}, args...), &pretty); err != nil {
		t.Fatal(err)
	}
	return &p, pretty.String()
}

// TestPretty: the summary of go-hello's plan, for two platforms, has each
// target's images and why they were chosen, every step, the layers and
// the image's config.
func TestPretty(t *testing.T) {
	t.Parallel()
	p, out := planOf(t, "../../examples/go-hello", "--platform", "linux/amd64,linux/arm64")
	if !strings.HasPrefix(out, "../../examples/go-hello/distill.yaml: a go app, 2 platforms\n\nlinux/amd64\n") {
		t.Errorf("header:\n%s", out)
	}
	sections := strings.Split(out, "\n\n")[1:]
	for i := range sections {
		sections[i] = strings.TrimSuffix(sections[i], "\n") + "\n"
	}
	if len(sections) != 2 {
		t.Fatalf("%d sections, want one per platform:\n%s", len(sections), out)
	}
	for i, tg := range p.Targets {
		s := sections[i]
		for _, want := range []string{
			tg.Platform + "\n",
			"  builder    " + tg.Builder.Ref + ", running on linux/amd64\n",
			"             " + tg.Builder.Facts.Why + "\n",
			"  runtime    " + tg.Runtime.Ref + "\n",
			"             " + tg.Runtime.Facts.Why + "\n",
			"               static   gcr.io/distroless/static-debian13:nonroot\n",
			"  layers\n    libraries    /out/sysroot → / (not on static)\n    app          /out/go-hello → /app/go-hello\n",
			"  config\n    entrypoint  /app/go-hello\n    user        65532:65532\n    workdir     /app\n    expose      8080/tcp\n",
		} {
			if tg.Platform == "linux/amd64" {
				want = strings.Replace(want, ", running on linux/amd64", "", 1)
			}
			if !strings.Contains(s, want) {
				t.Errorf("%s: no %q in\n%s", tg.Platform, want, s)
			}
		}
		for j, st := range tg.Steps {
			if want := fmt.Sprintf("    %2d. %s\n", j+1, st.Name); !strings.Contains(s, want) {
				t.Errorf("%s: no step %q in\n%s", tg.Platform, want, s)
			}
		}
	}
}

// TestPrettyNested: steps run under emulation, with their setup, and the
// step run instead of a probed one are indented under it; a pinned image
// shows its digest; env is one variable a line.
func TestPrettyNested(t *testing.T) {
	t.Parallel()
	p, out := planOf(t, "--platform", "linux/arm64", "../../examples/python-flask")
	tg := &p.Targets[0]
	var fb *plan.Step
	for _, s := range tg.Steps {
		if s.Run != nil && s.Run.Fallback != nil {
			fb = s.Run.Fallback
		}
	}
	if fb == nil || fb.Run.Emulated == nil {
		t.Fatal("python-flask on arm64 has no emulated fallback step any more: pick another example")
	}
	for _, want := range []string{
		"\n          else: " + fb.Name + "\n                  emulated in " + fb.Run.Emulated.Builder.Ref + " (linux/arm64)\n",
		"    env         LANG=C.UTF-8\n                PATH=/app/.venv/bin:${PATH}\n",
		"    dependencies /out/sysroot → /\n                 /app/.venv → /app/.venv\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}

	const d = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	tg.Builder.Digest = d
	tg.Config.Cmd = []string{"--name", "it's"}
	var b bytes.Buffer
	if err := writePretty(&b, "distill.yaml", p); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"  builder    " + tg.Builder.Ref + "@" + d + ", running on linux/amd64\n", "    cmd         --name 'it'\\''s'\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in\n%s", want, b.String())
		}
	}
}
