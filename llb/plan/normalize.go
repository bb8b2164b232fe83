package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// Normalize sorts what has no meaningful order, so equal plans marshal to
// equal bytes.
func (p *Plan) Normalize() {
	for i := range p.Targets {
		t := &p.Targets[i]
		for _, u := range t.Images() {
			u.Image.Role = u.Role
		}
		slices.Sort(t.CAEnv)
		t.CAEnv = slices.Compact(t.CAEnv)
		slices.Sort(t.Config.Env)
		slices.Sort(t.Config.ExposedPorts)
		for _, s := range AllSteps(t.Steps) {
			if s.Run != nil {
				slices.Sort(s.Run.Env)
			}
		}
	}
	slices.SortFunc(p.Targets, func(a, b Target) int {
		switch {
		case a.Platform < b.Platform:
			return -1
		case a.Platform > b.Platform:
			return 1
		}
		return 0
	})
}

// Validate checks the invariants the compiler relies on.
func (p *Plan) Validate() error {
	if len(p.Targets) == 0 {
		return fmt.Errorf("plan has no targets")
	}
	for _, t := range p.Targets {
		if t.Builder.Ref == "" || t.Runtime.Ref == "" {
			return fmt.Errorf("target %s: builder and runtime are required", t.Platform)
		}
		for _, s := range AllSteps(t.Steps) {
			n := 0
			for _, set := range []bool{s.Copy != nil, s.Write != nil, s.Run != nil} {
				if set {
					n++
				}
			}
			if n != 1 {
				return fmt.Errorf("target %s: step %q must be exactly one of copy, write and run", t.Platform, s.Name)
			}
			if s.Run != nil && len(s.Run.Args) == 0 {
				return fmt.Errorf("target %s: step %q has no command", t.Platform, s.Name)
			}
			if s.Run != nil && s.Run.Fallback != nil && s.Run.Probe == "" {
				return fmt.Errorf("target %s: step %q has a fallback but no probe", t.Platform, s.Name)
			}
			if s.Run != nil && len(s.Run.Inputs) > 0 && (len(s.Run.Outputs) == 0 || s.Run.Emulated != nil) {
				return fmt.Errorf("target %s: isolated step %q needs outputs and runs in the builder", t.Platform, s.Name)
			}
			if s.Run != nil && s.Run.Emulated != nil && len(s.Run.Emulated.Dirs) == 0 {
				return fmt.Errorf("target %s: emulated step %q shares no directory with the build", t.Platform, s.Name)
			}
			if s.Run != nil {
				for _, m := range s.Run.Mounts {
					switch {
					case m.From != MountRuntime && m.From != MountFrontend && m.From != MountImage:
						return fmt.Errorf("target %s: step %q: unknown mount source %q", t.Platform, s.Name, m.From)
					case (m.From == MountImage) != (m.Image != nil):
						return fmt.Errorf("target %s: step %q: an image mount (and only one) names its image", t.Platform, s.Name)
					}
				}
			}
		}
		for _, a := range t.Artifacts {
			if a.From != FromBuilder && a.From != FromContext {
				return fmt.Errorf("target %s: artifact %s: unknown source %q", t.Platform, a.Dest, a.From)
			}
			if a.AfterStep != "" && (a.From != FromBuilder || !slices.ContainsFunc(t.Steps, func(s Step) bool { return s.Name == a.AfterStep })) {
				return fmt.Errorf("target %s: artifact %s: after step %q, which is no step of the builder", t.Platform, a.Dest, a.AfterStep)
			}
		}
		if len(t.Config.Entrypoint) == 0 {
			return fmt.Errorf("target %s: no entrypoint", t.Platform)
		}
		if t.Choice != nil {
			for _, c := range t.Choice.Candidates {
				if _, ok := t.Chosen(c.Name); !ok {
					return fmt.Errorf("target %s: runtime candidate %q is no image mount of the choice step", t.Platform, c.Name)
				}
			}
		}
	}
	return nil
}

// AllSteps lists steps with the steps they hold: an emulated step's setup
// and a probing step's fallback (depth first, each before its own).
func AllSteps(steps []Step) []*Step {
	var out []*Step
	for i := range steps {
		out = withHeld(out, &steps[i])
	}
	return out
}

func withHeld(out []*Step, s *Step) []*Step {
	out = append(out, s)
	if s.Run == nil {
		return out
	}
	if e := s.Run.Emulated; e != nil {
		for i := range e.Setup {
			out = withHeld(out, &e.Setup[i])
		}
	}
	if s.Run.Fallback != nil {
		out = withHeld(out, s.Run.Fallback)
	}
	return out
}

// JSON returns the plan as indented JSON (version constraints such as
// ">=3.12" written as they are, not HTML-escaped).
func (p *Plan) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
