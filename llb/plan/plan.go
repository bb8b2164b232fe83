package plan

import (
	"encoding/json"
	"fmt"
	"slices"
)

// Version of the plan format, bumped on incompatible changes.
const Version = 1

// Plan is the whole build: one Target per platform.
type Plan struct {
	Version  int      `json:"version"`
	Manifest string   `json:"manifest"`
	Language string   `json:"language"`
	Targets  []Target `json:"targets"`
}

// Target is everything needed to build the image of one platform.
type Target struct {
	// Platform is the platform of the produced image, e.g. linux/arm64.
	Platform string `json:"platform"`
	// Builder is the image the steps run in. Its platform is the build
	// platform when the language cross-compiles natively, or the target
	// platform when the steps must run emulated.
	Builder Image `json:"builder"`
	// Runtime is the base of the produced image (always Platform).
	Runtime Image  `json:"runtime"`
	Steps   []Step `json:"steps"`
	// Artifacts are copied, in one layer, onto the runtime.
	Artifacts []Artifact `json:"artifacts"`
	Config    Config     `json:"config"`
}

// Image is an image reference resolved for one platform. Digest is empty
// until something pins it.
type Image struct {
	Ref      string `json:"ref"`
	Platform string `json:"platform"`
	Digest   string `json:"digest,omitempty"`
}

// Origin points a step back at the manifest field that caused it.
type Origin struct {
	Field string `json:"field"`
	Line  int    `json:"line,omitempty"`
	// EndLine is the last line of the field's value.
	EndLine int `json:"endLine,omitempty"`
}

// Step is one operation in the builder. Exactly one of Copy and Run is set.
type Step struct {
	// Name is the progress name, e.g. "[go] download modules".
	Name   string `json:"name"`
	Origin Origin `json:"origin"`
	Copy   *Copy  `json:"copy,omitempty"`
	Run    *Run   `json:"run,omitempty"`
}

// Copy copies files of the build context into the builder.
type Copy struct {
	// Paths are context paths (files or directories), copied to the same
	// relative path under Dest; empty means the whole context (after
	// .dockerignore).
	Paths []string `json:"paths,omitempty"`
	Dest  string   `json:"dest"`
}

// Run runs a command (argv, no shell) in the builder.
type Run struct {
	Args []string `json:"args"`
	Dir  string   `json:"dir"`
	// Env is sorted NAME=value.
	Env    []string `json:"env,omitempty"`
	Caches []Cache  `json:"caches,omitempty"`
	// Network marks a step that downloads: it gets the CA bundle secret
	// and the network; other steps run with no network.
	Network bool `json:"network,omitempty"`
}

// Cache is a persistent cache mount.
type Cache struct {
	ID     string `json:"id"`
	Target string `json:"target"`
	// Sharing is shared, private or locked.
	Sharing string `json:"sharing"`
}

// Artifact is a file or directory copied onto the runtime image.
type Artifact struct {
	// From is "builder" or "context".
	From   string `json:"from"`
	Src    string `json:"src"`
	Dest   string `json:"dest"`
	Origin Origin `json:"origin"`
}

// Sources of an artifact.
const (
	FromBuilder = "builder"
	FromContext = "context"
)

// Config is the produced image's config, on top of the runtime's.
type Config struct {
	Entrypoint []string `json:"entrypoint"`
	Cmd        []string `json:"cmd,omitempty"`
	User       string   `json:"user"`
	WorkingDir string   `json:"workingDir"`
	// Env is added to the runtime's env, sorted NAME=value.
	Env          []string          `json:"env,omitempty"`
	ExposedPorts []string          `json:"exposedPorts,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
}

// Normalize sorts what has no meaningful order, so equal plans marshal to
// equal bytes.
func (p *Plan) Normalize() {
	for i := range p.Targets {
		t := &p.Targets[i]
		slices.Sort(t.Config.Env)
		slices.Sort(t.Config.ExposedPorts)
		for _, s := range t.Steps {
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
		for _, s := range t.Steps {
			if (s.Copy == nil) == (s.Run == nil) {
				return fmt.Errorf("target %s: step %q must be exactly one of copy and run", t.Platform, s.Name)
			}
			if s.Run != nil && len(s.Run.Args) == 0 {
				return fmt.Errorf("target %s: step %q has no command", t.Platform, s.Name)
			}
		}
		for _, a := range t.Artifacts {
			if a.From != FromBuilder && a.From != FromContext {
				return fmt.Errorf("target %s: artifact %s: unknown source %q", t.Platform, a.Dest, a.From)
			}
		}
		if len(t.Config.Entrypoint) == 0 {
			return fmt.Errorf("target %s: no entrypoint", t.Platform)
		}
	}
	return nil
}

// JSON returns the plan as indented JSON.
func (p *Plan) JSON() ([]byte, error) {
	return json.MarshalIndent(p, "", "  ")
}
