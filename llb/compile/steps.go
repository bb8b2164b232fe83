package compile

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/distill-build/distill/llb/plan"
	"github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

// steps applies steps to a builder image and returns the result and the
// image's own config. A probing step that reports it could not do its work
// is replaced by its fallback (only with a Probe function; without one,
// probes pass). each, when not nil, is given the state after each step.
func (c *compiler) steps(ctx context.Context, img plan.Image, steps []plan.Step, each func(plan.Step, llb.State)) (llb.State, *dockerspec.DockerOCIImage, error) {
	base, cfg, _, err := c.image(ctx, img, "builder")
	if err != nil {
		return llb.State{}, nil, err
	}
	st := base
	for i, s := range steps {
		next, err := c.step(ctx, base, st, s)
		if err != nil {
			return llb.State{}, nil, err
		}
		if ch := c.t.Choice; ch != nil && i == ch.After-1 && c.o.Probe != nil {
			if err := c.choose(ctx, next, s); err != nil {
				return llb.State{}, nil, err
			}
		}
		if r := s.Run; r != nil && r.Probe != "" && r.Fallback != nil && c.o.Probe != nil {
			status, err := c.o.Probe(ctx, next, r.Probe)
			if err != nil {
				return llb.State{}, nil, fmt.Errorf("%s: reading %s: %w", s.Name, r.Probe, err)
			}
			if strings.TrimSpace(string(status)) != plan.ProbeOK {
				if next, err = c.step(ctx, base, st, *r.Fallback); err != nil {
					return llb.State{}, nil, err
				}
			}
		}
		st = next
		if each != nil {
			each(s, st)
		}
	}
	return st, cfg, nil
}

// step applies a step to the build st, whose builder image is base.
func (c *compiler) step(ctx context.Context, base, st llb.State, s plan.Step) (llb.State, error) {
	switch {
	case s.Copy != nil:
		return c.copyStep(st, s), nil
	case s.Write != nil:
		return c.writeStep(st, s), nil
	case s.Run != nil && s.Run.Emulated != nil:
		return c.emulatedStep(ctx, st, s)
	case s.Run != nil && len(s.Run.Inputs) > 0:
		return c.isolatedStep(ctx, base, st, s)
	case s.Run != nil:
		exec, err := c.exec(ctx, st, s)
		if err != nil {
			return llb.State{}, err
		}
		return exec.Root(), nil
	}
	return llb.State{}, fmt.Errorf("step %q does nothing", s.Name)
}

// emulatedStep runs a step in the target platform's builder (after its
// setup steps) with the shared directories of the build mounted, and
// copies what it leaves in them back into the build.
func (c *compiler) emulatedStep(ctx context.Context, st llb.State, s plan.Step) (llb.State, error) {
	e := s.Run.Emulated
	emu, _, err := c.steps(ctx, e.Builder, e.Setup, nil)
	if err != nil {
		return llb.State{}, err
	}
	// (A directory the step creates, such as an output directory, is made
	// first: a mount needs its source.)
	for _, d := range e.Dirs {
		st = st.File(llb.Mkdir(d, 0o755, llb.WithParents(true)), c.constraints("[distill] mkdir "+d, s.Origin)...)
	}
	var shared []llb.RunOption
	for _, d := range e.Dirs {
		shared = append(shared, llb.AddMount(d, st, llb.SourcePath(d)))
	}
	exec, err := c.exec(ctx, emu, s, shared...)
	if err != nil {
		return llb.State{}, err
	}
	// A mount's output is its whole source with the step's changes under
	// the mounted directory: the first one is the build from here on, the
	// others' directories are copied into it.
	st = exec.GetMount(e.Dirs[0])
	for _, d := range e.Dirs[1:] {
		st = st.File(llb.Copy(exec.GetMount(d), d, d, &llb.CopyInfo{CopyDirContentsOnly: true, CreateDestPath: true}),
			c.constraints(fmt.Sprintf("[distill] %s from the %s builder", d, e.Builder.Platform), s.Origin)...)
	}
	return st, nil
}

// isolatedStep runs a step in the builder image alone, the build's
// inputs mounted read-only (BuildKit keys such mounts on their content),
// and copies what it writes under its outputs into the build.
func (c *compiler) isolatedStep(ctx context.Context, base, st llb.State, s plan.Step) (llb.State, error) {
	var mounts []llb.RunOption
	for _, p := range s.Run.Inputs {
		mounts = append(mounts, llb.AddMount(p, st, llb.SourcePath(p), llb.Readonly))
	}
	for _, d := range s.Run.Outputs {
		mounts = append(mounts, llb.AddMount(d, llb.Scratch()))
	}
	exec, err := c.exec(ctx, base, s, mounts...)
	if err != nil {
		return llb.State{}, err
	}
	for _, d := range s.Run.Outputs {
		st = st.File(llb.Copy(exec.GetMount(d), "/", d, &llb.CopyInfo{CopyDirContentsOnly: true, CreateDestPath: true}),
			c.constraints("[distill] "+d+" into the build", s.Origin)...)
	}
	return st, nil
}

// contextPath is a context path of the plan (relative to the app's
// root) in the build context.
func (c *compiler) contextPath(p string) string {
	if c.o.ContextDir == "" || c.o.ContextDir == "." {
		return p
	}
	return path.Join("/", c.o.ContextDir, p)
}

var rootOwned = &llb.ChownOpt{User: &llb.UserOpt{UID: 0}, Group: &llb.UserOpt{UID: 0}}

func (c *compiler) writeStep(st llb.State, s plan.Step) llb.State {
	w := s.Write
	fa := llb.Mkdir(path.Dir(w.Path), 0o755, llb.WithParents(true)).
		Mkfile(w.Path, 0o644, []byte(w.Content))
	return st.File(fa, c.constraints(s.Name, s.Origin)...)
}

func (c *compiler) copyStep(st llb.State, s plan.Step) llb.State {
	info := &llb.CopyInfo{CreateDestPath: true, CopyDirContentsOnly: true, AllowWildcard: false, ExcludePatterns: s.Copy.Exclude}
	if len(s.Copy.Paths) == 0 {
		return st.File(llb.Copy(c.o.Context, c.contextPath(path.Join("/", s.Copy.Dir)), s.Copy.Dest, info), c.constraints(s.Name, s.Origin)...)
	}
	var fa *llb.FileAction
	for _, p := range s.Copy.Paths {
		src, dest := p, path.Join(s.Copy.Dest, p)
		if s.Copy.Dir != "" {
			src = path.Join(s.Copy.Dir, p)
		}
		src = c.contextPath(src)
		if fa == nil {
			fa = llb.Copy(c.o.Context, src, dest, info)
		} else {
			fa = fa.Copy(c.o.Context, src, dest, info)
		}
	}
	return st.File(fa, c.constraints(s.Name, s.Origin)...)
}

// exec runs a step's command on st, with extra options (mounts).
func (c *compiler) exec(ctx context.Context, st llb.State, s plan.Step, extra ...llb.RunOption) (llb.ExecState, error) {
	r := s.Run
	opts := append([]llb.RunOption{llb.Args(r.Args), llb.Dir(r.Dir)}, extra...)
	for _, m := range r.Mounts {
		switch m.From {
		case plan.MountRuntime:
			opts = append(opts, llb.AddMount(m.Target, c.runtime, llb.Readonly))
		case plan.MountFrontend:
			if c.o.Frontend == nil {
				return llb.ExecState{}, fmt.Errorf("step %q runs a distill helper, but the frontend image is not available (BuildKit too old to report it?)", s.Name)
			}
			opts = append(opts, llb.AddMount(m.Target, *c.o.Frontend, llb.Readonly))
		case plan.MountImage:
			role := plan.RoleBuilder
			if m.Image.Role == plan.RoleRuntime {
				role = "runtime candidate"
			}
			img, _, _, err := c.image(ctx, *m.Image, role)
			if err != nil {
				return llb.ExecState{}, err
			}
			opts = append(opts, llb.AddMount(m.Target, img, llb.Readonly))
		default:
			return llb.ExecState{}, fmt.Errorf("step %q: unknown mount source %q", s.Name, m.From)
		}
	}
	for _, sec := range r.Secrets {
		if sec.Env != "" {
			opts = append(opts, llb.AddSecret(sec.Env, llb.SecretID(sec.ID), llb.SecretAsEnv(true), llb.SecretOptional))
		} else {
			opts = append(opts, llb.AddSecret(sec.Target, llb.SecretID(sec.ID), llb.SecretOptional))
		}
	}
	if r.SSH {
		opts = append(opts, llb.AddSSHSocket(llb.SSHOptional))
	}
	env := slices.Clone(r.Env)
	if r.Network {
		opts = append(opts, llb.AddSecret(caBundle, llb.SecretID(c.o.CASecret), llb.SecretOptional))
		for _, k := range slices.Concat(caEnv, c.t.CAEnv) {
			if !slices.ContainsFunc(env, func(e string) bool { return strings.HasPrefix(e, k+"=") }) {
				env = append(env, k+"="+caBundle)
			}
		}
	}
	opts = append(opts, c.o.Exec.options(r.Network)...)
	slices.Sort(env)
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		opts = append(opts, llb.AddEnv(k, v))
	}
	for _, m := range r.Caches {
		opts = append(opts, llb.AddMount(m.Target, llb.Scratch(), llb.AsPersistentCacheDir(c.o.CacheNS+"distill-"+m.ID, sharing(m.Sharing))))
	}
	for _, co := range c.constraints(s.Name, s.Origin) {
		opts = append(opts, co)
	}
	return st.Run(opts...), nil
}

func sharing(s string) llb.CacheMountSharingMode {
	switch s {
	case "private":
		return llb.CacheMountPrivate
	case "locked":
		return llb.CacheMountLocked
	}
	return llb.CacheMountShared
}

// choose reads, from the build up to the choice step s, the runtime the
// step chose, and makes it the target's runtime: the steps after it mount
// it, and the image is built on it.
func (c *compiler) choose(ctx context.Context, st llb.State, s plan.Step) error {
	ch := c.t.Choice
	out, err := c.o.Probe(ctx, st, ch.File)
	if err != nil {
		return fmt.Errorf("%s: reading %s: %w", s.Name, ch.File, err)
	}
	name := strings.TrimSpace(string(out))
	im, ok := c.t.Chosen(name)
	if !ok {
		return fmt.Errorf("%s: it chose %q, no candidate of the plan", s.Name, name)
	}
	chosen := *im
	chosen.Role = plan.RoleRuntime
	for _, cand := range ch.Candidates {
		if cand.Name == name && len(cand.Without) > 0 {
			c.t.Artifacts = slices.DeleteFunc(slices.Clone(c.t.Artifacts), func(a plan.Artifact) bool { return slices.Contains(cand.Without, a.Src) })
		}
	}
	if c.t.Runtime.Ref != chosen.Ref {
		c.t.Config.Labels = maps.Clone(c.t.Config.Labels)
		for k, v := range c.t.Config.Labels {
			if v == c.t.Runtime.Ref {
				c.t.Config.Labels[k] = chosen.Ref
			}
		}
	}
	c.t.Runtime, c.t.Choice = chosen, nil
	runtime, _, _, err := c.image(ctx, c.t.Runtime, "runtime")
	if err != nil {
		return err
	}
	c.runtime = runtime
	return nil
}
