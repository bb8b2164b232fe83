package compile

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/llb/plan"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// imageConfig builds the produced image's config on top of the base's.
func (c *compiler) imageConfig(base *dockerspec.DockerOCIImage, baseDigest digest.Digest) (*dockerspec.DockerOCIImage, error) {
	p, err := platforms.Parse(c.t.Platform)
	if err != nil {
		return nil, err
	}
	p = platforms.Normalize(p)
	img := &dockerspec.DockerOCIImage{}
	img.Platform = ocispecs.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}
	if p.Architecture == "arm64" && p.Variant == "" {
		// What registries publish for arm64 (distroless, docker-library).
		img.Variant = "v8"
	}
	img.RootFS.Type = "layers"
	img.Config.Env = mergeEnv(base.Config.Env, c.t.Config.Env)
	img.Config.Entrypoint = slices.Clone(c.t.Config.Entrypoint)
	if c.t.Config.PrependBaseEntrypoint {
		if len(base.Config.Entrypoint) == 0 && c.o.Resolver != nil {
			return nil, fmt.Errorf("runtime %s has no entrypoint: distill runs the app with the interpreter the runtime image names as its ENTRYPOINT; use a runtime that has one", c.t.Runtime.Ref)
		}
		img.Config.Entrypoint = append(slices.Clone(base.Config.Entrypoint), c.t.Config.Entrypoint...)
	}
	img.Config.Cmd = slices.Clone(c.t.Config.Cmd)
	img.Config.User = c.t.Config.User
	img.Config.WorkingDir = c.t.Config.WorkingDir
	// The base's history, one entry per base layer, then the app's layer,
	// as the Dockerfile frontend keeps it (`docker history` shows where
	// each layer came from; without it the exporter invents entries).
	img.History = slices.Clone(base.History)
	var created *time.Time
	if c.o.Epoch != nil {
		t := c.o.Epoch.UTC()
		img.Created, created = &t, &t
	}
	for _, g := range c.layerGroups() {
		what := cmp.Or(g.name, "app")
		img.History = append(img.History, ocispecs.History{CreatedBy: "distill: add " + what, Comment: "distill", Created: created})
	}
	if len(c.t.Config.ExposedPorts) > 0 {
		img.Config.ExposedPorts = map[string]struct{}{}
		for _, port := range c.t.Config.ExposedPorts {
			img.Config.ExposedPorts[port] = struct{}{}
		}
	}
	labels := maps.Clone(base.Config.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	maps.Copy(labels, c.t.Config.Labels)
	if baseDigest != "" {
		labels["org.opencontainers.image.base.digest"] = baseDigest.String()
	}
	maps.Copy(labels, c.o.Labels)
	if len(labels) > 0 {
		img.Config.Labels = labels
	}
	return img, nil
}

// mergeEnv overlays env on base, keeping base order and appending new names
// in the (sorted) order given. A value may name base variables as ${NAME}
// (e.g. PATH=/app/.venv/bin:${PATH}).
func mergeEnv(base, env []string) []string {
	out := slices.Clone(base)
	lookup := func(name string) string {
		for _, e := range base {
			if k, v, _ := strings.Cut(e, "="); k == name {
				return v
			}
		}
		return ""
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if strings.Contains(v, "${") {
			v = expandBraced(v, lookup)
			kv = k + "=" + v
		}
		i := slices.IndexFunc(out, func(e string) bool { return strings.HasPrefix(e, k+"=") })
		if i >= 0 {
			out[i] = kv
		} else {
			out = append(out, kv)
		}
	}
	return out
}

// expandBraced replaces ${NAME} (only the braced form, so a literal $ in a
// value stays as written) and trims the separator left by an empty value
// at either end.
func expandBraced(v string, lookup func(string) string) string {
	var b strings.Builder
	for {
		i := strings.Index(v, "${")
		if i < 0 {
			b.WriteString(v)
			break
		}
		j := strings.Index(v[i:], "}")
		if j < 0 {
			b.WriteString(v)
			break
		}
		b.WriteString(v[:i])
		b.WriteString(lookup(v[i+2 : i+j]))
		v = v[i+j+1:]
	}
	return strings.Trim(b.String(), ":")
}

// layerGroup is the artifacts of one image layer.
type layerGroup struct {
	name      string
	artifacts []plan.Artifact
}

func (g layerGroup) description(runtime string) string {
	if g.name == "" {
		return "[distill] add app to " + runtime
	}
	return "[distill] add " + g.name + " to " + runtime
}

// layerGroups groups the artifacts by Layer, in order of first appearance.
func (c *compiler) layerGroups() []layerGroup {
	var out []layerGroup
	for _, a := range c.t.Artifacts {
		i := slices.IndexFunc(out, func(g layerGroup) bool { return g.name == a.Layer })
		if i < 0 {
			out = append(out, layerGroup{name: a.Layer})
			i = len(out) - 1
		}
		out[i].artifacts = append(out[i].artifacts, a)
	}
	return out
}
