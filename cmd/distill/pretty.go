package main

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"strings"

	"github.com/distill-build/distill/llb/plan"
)

// writePretty writes the plan as a summary to read (distill plan --format
// pretty), one section per target platform: its builder and runtime
// images and why they were chosen, the steps, the layers added to the
// runtime and the image's config. file is the manifest as the user named
// it.
func writePretty(w io.Writer, file string, p *plan.Plan) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "%s: a %s app, %d platform%s\n", file, p.Language, len(p.Targets), plural(len(p.Targets)))
	for i := range p.Targets {
		b.WriteString("\n")
		writeTarget(b, &p.Targets[i])
	}
	return b.Flush()
}

func writeTarget(b *bufio.Writer, t *plan.Target) {
	fmt.Fprintln(b, t.Platform)
	writeImage(b, "builder", &t.Builder, t.Platform)
	writeImage(b, "runtime", &t.Runtime, t.Platform)
	if t.Choice != nil {
		fmt.Fprintf(b, "  %-10s one of, as the build finds:\n", "")
		for _, c := range t.Choice.Candidates {
			ref := "?"
			if im, ok := t.Chosen(c.Name); ok {
				ref = imageRef(im)
			}
			fmt.Fprintf(b, "  %-10s   %-8s %s\n", "", c.Name, ref)
		}
	}

	fmt.Fprintln(b, "  steps")
	for i := range t.Steps {
		writeStep(b, &t.Steps[i], fmt.Sprintf("%2d. ", i+1), 4)
	}

	if len(t.Artifacts) > 0 {
		fmt.Fprintln(b, "  layers")
		for _, g := range layers(t.Artifacts) {
			for j, a := range g.artifacts {
				name := ""
				if j == 0 {
					name = g.name
				}
				src := a.Src
				if a.From == plan.FromContext {
					src += " (build context)"
				}
				fmt.Fprintf(b, "    %-12s %s → %s%s\n", name, src, a.Dest, leftOut(t, a.Src))
			}
		}
	}

	c := t.Config
	fmt.Fprintln(b, "  config")
	entrypoint := plan.ShellLine(c.Entrypoint)
	if c.PrependBaseEntrypoint {
		entrypoint = strings.TrimSpace("(the runtime's entrypoint) " + entrypoint)
	}
	field(b, "entrypoint", entrypoint)
	field(b, "cmd", plan.ShellLine(c.Cmd))
	field(b, "user", c.User)
	field(b, "workdir", c.WorkingDir)
	label := "env"
	for _, e := range c.Env {
		field(b, label, e)
		label = ""
	}
	field(b, "expose", strings.Join(c.ExposedPorts, " "))
}

// writeImage writes an image: its reference (with its digest when
// pinned), the platform it runs on when it is not the target's, and why
// it was chosen.
func writeImage(b *bufio.Writer, role string, im *plan.Image, target string) {
	line := imageRef(im)
	if im.Platform != "" && im.Platform != target {
		line += ", running on " + im.Platform
	}
	fmt.Fprintf(b, "  %-10s %s\n", role, line)
	if im.Facts.Why != "" {
		fmt.Fprintf(b, "  %-10s %s\n", "", im.Facts.Why)
	}
}

// imageRef is the image's reference, with its digest when it is pinned.
func imageRef(im *plan.Image) string {
	if im.Digest != "" && !strings.Contains(im.Ref, "@") {
		return im.Ref + "@" + im.Digest
	}
	return im.Ref
}

// writeStep writes a step's name, and under it, indented, where an
// emulated step runs and its setup steps, and the step run instead when
// a probed one cannot do its work.
func writeStep(b *bufio.Writer, s *plan.Step, prefix string, indent int) {
	pad := strings.Repeat(" ", indent)
	fmt.Fprintf(b, "%s%s%s\n", pad, prefix, s.Name)
	if s.Run == nil {
		return
	}
	inner := indent + len(prefix) + 2
	if e := s.Run.Emulated; e != nil {
		fmt.Fprintf(b, "%semulated in %s (%s)\n", strings.Repeat(" ", inner), imageRef(&e.Builder), e.Builder.Platform)
		for i := range e.Setup {
			writeStep(b, &e.Setup[i], "setup: ", inner)
		}
	}
	if s.Run.Fallback != nil {
		writeStep(b, s.Run.Fallback, "else: ", inner)
	}
}

type layer struct {
	name      string
	artifacts []plan.Artifact
}

// layers groups the artifacts by layer, in the order the layers first
// appear (the image's order); the layer without a name is the app's.
func layers(as []plan.Artifact) []layer {
	var out []layer
	for _, a := range as {
		name := cmp.Or(a.Layer, "app")
		i := len(out) - 1
		for ; i >= 0 && out[i].name != name; i-- {
		}
		if i < 0 {
			out = append(out, layer{name: name})
			i = len(out) - 1
		}
		out[i].artifacts = append(out[i].artifacts, a)
	}
	return out
}

// leftOut says on which runtimes chosen at build time an artifact is not
// copied.
func leftOut(t *plan.Target, src string) string {
	if t.Choice == nil {
		return ""
	}
	var on []string
	for _, c := range t.Choice.Candidates {
		for _, w := range c.Without {
			if w == src {
				on = append(on, c.Name)
			}
		}
	}
	if len(on) == 0 {
		return ""
	}
	return " (not on " + strings.Join(on, " or ") + ")"
}

// field writes a line of the config, when it has a value.
func field(b *bufio.Writer, name, value string) {
	if value != "" {
		fmt.Fprintf(b, "    %-11s %s\n", name, value)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
