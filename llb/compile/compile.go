package compile

import (
	"context"
	"fmt"
	"sync"
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
	// ContextDir is the app's root in Context: the plan's context paths
	// are relative to it ("" or "." for the whole context).
	ContextDir string
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

// Lock compiles one of a target's lock steps (plan.Lock): the state
// whose l.Output the lock reads. Its steps always run (the lock asks what
// the network has today).
func Lock(ctx context.Context, t plan.Target, l plan.Lock, o Options) (llb.State, error) {
	if o.CASecret == "" {
		o.CASecret = DefaultCASecret
	}
	o.IgnoreCache = true
	c := &compiler{o: o, t: t}
	st, _, err := c.steps(ctx, l.Builder, l.Steps, nil)
	return st, err
}

// CheckImages resolves a target's images for their platforms (runtime,
// builder, fallback builder) without building anything, so a platform an
// image is not published for fails every target before any step runs.
// They are resolved at once (each is a registry round trip the build
// waits for before its first step; o.Resolver must allow it); the error
// is the first image's in the target's order, whichever answered first.
func CheckImages(ctx context.Context, t plan.Target, o Options) error {
	c := &compiler{o: o, t: t}
	if o.Resolver == nil {
		return nil
	}
	uses := t.Images()
	errs := make([]error, len(uses))
	var wg sync.WaitGroup
	for i, u := range uses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, _, errs[i] = c.image(ctx, *u.Image, u.Role)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
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
	predicted := c.t.Runtime.Ref
	// The builder as each step left it, for the artifacts complete before
	// the last step (plan.Artifact.AfterStep).
	after := map[string]llb.State{}
	builder, builderImg, err := c.steps(ctx, c.t.Builder, c.t.Steps, func(s plan.Step, st llb.State) { after[s.Name] = st })
	if err != nil {
		return nil, err
	}
	c.stage = StageRuntime
	if c.t.Runtime.Ref != predicted {
		// The build chose another runtime than the plan predicted.
		if runtime, base, baseDigest, err = c.image(ctx, c.t.Runtime, "runtime"); err != nil {
			return nil, err
		}
	}

	// Each layer group is one op onto the runtime: a copy action for each
	// of its artifacts, whose changes are one layer. (A scratch tree of
	// each group first, then added, was two more ops per layer, each
	// hashing the files it copied again: 0.1 to 0.4 s of a seed app's
	// build.)
	final := runtime
	for _, g := range c.layerGroups() {
		var copies *llb.FileAction
		for _, a := range g.artifacts {
			from, src := builder, a.Src
			switch {
			case a.From == plan.FromContext:
				from, src = c.o.Context, c.contextPath(a.Src)
			case a.AfterStep != "":
				st, ok := after[a.AfterStep]
				if !ok {
					return nil, fmt.Errorf("artifact %s: after step %q, which the build does not have", a.Dest, a.AfterStep)
				}
				from = st
			}
			// With SOURCE_DATE_EPOCH every file of the app's layers
			// has that time: a rebuild from the same inputs gives the
			// same layers.
			info := &llb.CopyInfo{
				CreateDestPath: true, CopyDirContentsOnly: true, ChownOpt: rootOwned, ExcludePatterns: a.Exclude,
				CreatedTime: c.o.Epoch,
			}
			if copies == nil {
				copies = llb.Copy(from, src, a.Dest, info)
			} else {
				copies = copies.Copy(from, src, a.Dest, info)
			}
		}
		final = final.File(copies, c.constraints(g.description(c.t.Runtime.Ref), plan.Origin{Field: "language"})...)
	}

	img, err := c.imageConfig(base, baseDigest)
	if err != nil {
		return nil, err
	}
	return &Result{State: final, Image: img, Base: base, Builder: builder, BuilderImage: builderImg}, nil
}
