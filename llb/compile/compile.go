package compile

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/distill-build/distill/llb/plan"
	"github.com/distill-build/distill/llb/sourcemap"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// DefaultCASecret is the id of the build secret holding a CA bundle for
// steps that reach the network (TLS-intercepting proxies).
const DefaultCASecret = "ca-bundle"

// caBundle is where Debian-based builders keep their CA bundle; the secret
// is mounted over it.
const caBundle = "/etc/ssl/certs/ca-certificates.crt"

// caEnv are the variables the tools of every Debian builder read for a
// CA bundle (OpenSSL, curl, git); each language adds its own
// (plan.Target.CAEnv).
var caEnv = []string{"CURL_CA_BUNDLE", "GIT_SSL_CAINFO", "SSL_CERT_FILE"}

// Options are the inputs of a compilation besides the plan.
type Options struct {
	// Context is the build context (after .dockerignore).
	Context llb.State
	// SourceMap maps plan origins to manifest lines; nil is allowed.
	SourceMap *sourcemap.Map
	// Resolver resolves image configs and digests; nil leaves images
	// unresolved (tests without a daemon).
	Resolver llb.ImageMetaResolver
	// ResolveMode is the image resolve mode (default, pull, local).
	ResolveMode string
	// CacheNS prefixes cache mount ids (BUILDKIT_CACHE_MOUNT_NS).
	CacheNS string
	// CASecret is the id of the CA bundle secret (DefaultCASecret if empty).
	CASecret string
	// PlatformPrefix prefixes op names with the platform, for
	// multi-platform builds.
	PlatformPrefix bool
	// IgnoreCache re-runs every op (--no-cache).
	IgnoreCache bool
	// NoCacheStage, when set, says whether the ops of a stage re-run
	// (--no-cache-filter=build or =runtime): StageBuild is every builder
	// step, StageRuntime the assembly of the image on its base.
	NoCacheStage func(stage string) bool
	// Labels are added to the image config (vcs, --label).
	Labels map[string]string
	// Epoch, when set, is the image creation time (SOURCE_DATE_EPOCH).
	Epoch *time.Time
	// Probe solves a builder state and returns one of its files; it lets
	// a target switch to its fallback when a probing step reports it could
	// not do its work. Nil makes every probe pass (tests without a daemon).
	Probe func(ctx context.Context, st llb.State, path string) ([]byte, error)
	// Frontend is the frontend's own image (the gateway's CurrentFrontend),
	// mounted into steps that run a helper subcommand. Nil makes such steps
	// an error.
	Frontend *llb.State
	// Exec are the client's options for every build step (--add-host,
	// --network, --shm-size, --ulimit, --cgroup-parent, --device), as a Dockerfile
	// build applies them to its RUN steps.
	Exec Exec
	// Named, when set, is asked for every image first: a named build
	// context the client gave for the reference (--build-context
	// debian:trixie=docker-image://…, as for a Dockerfile's FROM)
	// replaces it. A nil state means there is none.
	Named func(ctx context.Context, ref string, p ocispecs.Platform) (*llb.State, *dockerspec.DockerOCIImage, digest.Digest, error)
}

// The stages --no-cache-filter names.
const (
	StageBuild   = "build"
	StageRuntime = "runtime"
)

// Exec are options for every step that runs a command.
type Exec struct {
	ExtraHosts []llb.HostIP
	// Network: NetMode_UNSET keeps distill's (downloading steps on the
	// network, others none); HOST puts the downloading steps on the
	// host's (with the network.host entitlement); NONE takes every step
	// off the network.
	Network      pb.NetMode
	ShmSize      int64 // bytes of /dev/shm, 0 for the default
	Ulimits      []*pb.Ulimit
	CgroupParent string
	// Devices are CDI devices (--device) every step gets.
	Devices []*pb.CDIDevice
}

func (e Exec) options(network bool) []llb.RunOption {
	var opts []llb.RunOption
	for _, h := range e.ExtraHosts {
		opts = append(opts, llb.AddExtraHost(h.Host, h.IP))
	}
	switch {
	case e.Network == pb.NetMode_NONE || !network:
		opts = append(opts, llb.Network(llb.NetModeNone))
	case e.Network == pb.NetMode_HOST:
		opts = append(opts, llb.Network(llb.NetModeHost))
	}
	if e.ShmSize > 0 {
		opts = append(opts, llb.AddMount("/dev/shm", llb.Scratch(), llb.Tmpfs(llb.TmpfsSize(e.ShmSize))))
	}
	for _, u := range e.Ulimits {
		opts = append(opts, llb.AddUlimit(llb.UlimitName(u.Name), u.Soft, u.Hard))
	}
	if e.CgroupParent != "" {
		opts = append(opts, llb.WithCgroupParent(e.CgroupParent))
	}
	for _, d := range e.Devices {
		do := []llb.CDIDeviceOption{llb.CDIDeviceName(d.Name)}
		if d.Optional {
			do = append(do, llb.CDIDeviceOptional)
		}
		opts = append(opts, llb.AddCDIDevice(do...))
	}
	return opts
}

// Result is a compiled target.
type Result struct {
	State llb.State
	Image *dockerspec.DockerOCIImage
	// Base is the runtime image's config as resolved.
	Base *dockerspec.DockerOCIImage
	// Builder is the builder after every step (the build target, for
	// inspection), BuilderImage the builder image's own config.
	Builder      llb.State
	BuilderImage *dockerspec.DockerOCIImage
}

// Target compiles one target of a plan.
func Target(ctx context.Context, t plan.Target, o Options) (*Result, error) {
	if o.CASecret == "" {
		o.CASecret = DefaultCASecret
	}
	c := &compiler{o: o, t: t}
	return c.compile(ctx)
}

// CheckImages resolves a target's images for their platforms (runtime,
// builder, fallback builder) without building anything, so a platform an
// image is not published for fails every target before any step runs.
func CheckImages(ctx context.Context, t plan.Target, o Options) error {
	c := &compiler{o: o, t: t}
	if o.Resolver == nil {
		return nil
	}
	for _, u := range t.Images() {
		if _, _, _, err := c.image(ctx, *u.Image, u.Role); err != nil {
			return err
		}
	}
	return nil
}

type compiler struct {
	o       Options
	t       plan.Target
	runtime llb.State
	// stage is what the ops being made belong to (StageBuild,
	// StageRuntime), for --no-cache-filter.
	stage string
}

func (c *compiler) name(s string) llb.ConstraintsOpt {
	if c.o.PlatformPrefix {
		s = "[" + c.t.Platform + "] " + s
	}
	return llb.WithCustomName(s)
}

func (c *compiler) constraints(name string, origin plan.Origin) []llb.ConstraintsOpt {
	opts := append([]llb.ConstraintsOpt{c.name(name)}, c.o.SourceMap.Location(origin)...)
	if c.o.IgnoreCache || (c.o.NoCacheStage != nil && c.stage != "" && c.o.NoCacheStage(c.stage)) {
		opts = append(opts, llb.IgnoreCache)
	}
	return opts
}

func (c *compiler) compile(ctx context.Context) (*Result, error) {
	runtime, base, baseDigest, err := c.image(ctx, c.t.Runtime, "runtime")
	if err != nil {
		return nil, err
	}
	c.runtime = runtime
	c.stage = StageBuild
	builder, builderImg, err := c.steps(ctx, c.t.Builder, c.t.Steps)
	if err != nil {
		return nil, err
	}
	c.stage = StageRuntime

	// Each layer group is collected into a scratch tree, then added onto
	// the runtime as one layer.
	final := runtime
	for _, g := range c.layerGroups() {
		layer := llb.Scratch()
		for _, a := range g.artifacts {
			from := builder
			if a.From == plan.FromContext {
				from = c.o.Context
			}
			layer = layer.File(llb.Copy(from, a.Src, a.Dest, &llb.CopyInfo{
				CreateDestPath: true, CopyDirContentsOnly: true, ChownOpt: rootOwned, ExcludePatterns: a.Exclude,
				CreatedTime: c.o.Epoch,
			}), c.constraints(fmt.Sprintf("[distill] collect %s", a.Dest), a.Origin)...)
		}
		// With SOURCE_DATE_EPOCH every file of the app's layers has that
		// time: a rebuild from the same inputs gives the same layers.
		final = final.File(llb.Copy(layer, "/", "/", &llb.CopyInfo{CopyDirContentsOnly: true, CreatedTime: c.o.Epoch}),
			c.constraints(g.description(c.t.Runtime.Ref), plan.Origin{Field: "language"})...)
	}

	img, err := c.imageConfig(base, baseDigest)
	if err != nil {
		return nil, err
	}
	return &Result{State: final, Image: img, Base: base, Builder: builder, BuilderImage: builderImg}, nil
}

// steps applies steps to a builder image and returns the result and the
// image's own config. A probing step that reports it could not do its work
// is replaced by its fallback (only with a Probe function; without one,
// probes pass).
func (c *compiler) steps(ctx context.Context, img plan.Image, steps []plan.Step) (llb.State, *dockerspec.DockerOCIImage, error) {
	base, cfg, _, err := c.image(ctx, img, "builder")
	if err != nil {
		return llb.State{}, nil, err
	}
	st := base
	for _, s := range steps {
		next, err := c.step(ctx, base, st, s)
		if err != nil {
			return llb.State{}, nil, err
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
	emu, _, err := c.steps(ctx, e.Builder, e.Setup)
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
		return st.File(llb.Copy(c.o.Context, "/", s.Copy.Dest, info), c.constraints(s.Name, s.Origin)...)
	}
	var fa *llb.FileAction
	for _, p := range s.Copy.Paths {
		dest := path.Join(s.Copy.Dest, p)
		if fa == nil {
			fa = llb.Copy(c.o.Context, p, dest, info)
		} else {
			fa = fa.Copy(c.o.Context, p, dest, info)
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
			img, _, _, err := c.image(ctx, *m.Image, "builder")
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
