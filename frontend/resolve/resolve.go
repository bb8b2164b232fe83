// Package resolve turns a manifest and the build context into a plan: it
// picks the language provider, works out the target platforms, and applies
// what every language shares (user, env, ports, extra files, the runtime
// base). It never talks to the gateway; the frontend and the CLI both call
// it, so `distill plan` shows exactly what the frontend builds.
package resolve

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/lock"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Options are the inputs that do not come from the manifest.
type Options struct {
	// Platforms the client asked for; empty means the manifest's
	// platforms, or else the build platform.
	Platforms []ocispecs.Platform
	// BuildPlatform is the platform build steps run on natively.
	BuildPlatform ocispecs.Platform
	// Debug puts the app on the distroless base's debug variant (a
	// busybox shell in /busybox), the same image otherwise.
	Debug bool
	// BuildArgs are the client's --build-arg values: the manifest's
	// declared args take them, and the proxy variables reach the steps
	// that download.
	BuildArgs map[string]string
	// Lock, when set, pins what the plan downloads besides images (the
	// runtime packages' versions); the images are pinned after planning
	// (lock.File.Apply).
	Lock *lock.File
}

// TargetPlatforms works out the platforms to build, normalized and without
// duplicates, in the order asked.
func TargetPlatforms(m *manifest.Manifest, opts Options) ([]ocispecs.Platform, error) {
	var out []ocispecs.Platform
	add := func(p ocispecs.Platform) {
		p = platforms.Normalize(p)
		for _, q := range out {
			if platforms.Only(q).Match(p) && platforms.Only(p).Match(q) {
				return
			}
		}
		out = append(out, p)
	}
	switch {
	case len(opts.Platforms) > 0:
		for _, p := range opts.Platforms {
			add(p)
		}
	case m.Platforms.Set():
		var errs manifest.Errs
		for _, it := range m.Platforms.Items {
			p, err := platforms.Parse(it.Value)
			switch {
			case err != nil:
				errs.Add(providers.Fail(m, it.Range, "write os/arch[/variant], e.g. linux/arm64", "invalid platform %q", it.Value))
			case p.OS != "linux":
				errs.Add(providers.Fail(m, it.Range, "distill builds linux images", "platform %q is not supported", it.Value))
			default:
				add(p)
			}
		}
		if err := errs.Err(); err != nil {
			return nil, err
		}
	default:
		add(opts.BuildPlatform)
	}
	if len(out) == 0 {
		return nil, &manifest.Error{File: m.File, Range: m.Platforms.Range, Msg: "no target platform", Hint: "list at least one, e.g. [linux/amd64]"}
	}
	return out, nil
}

// Resolve plans the build.
func Resolve(ctx context.Context, m *manifest.Manifest, fsys providers.FS, opts Options) (*plan.Plan, error) {
	p, _, err := Checked(ctx, m, fsys, opts)
	return p, err
}

// Checked plans the build and returns what the language provider found
// to report to `--call=check` as well.
func Checked(ctx context.Context, m *manifest.Manifest, fsys providers.FS, opts Options) (*plan.Plan, []check.Finding, error) {
	// Each check below runs whether the others failed or not, unless it
	// reads what one of them decides; the error is every one's, and the
	// manifest's own (m.Err), in file order.
	var errs manifest.Errs
	var prov providers.Provider
	if !errs.Add(DetectLanguage(ctx, fsys, m, m.Path("."))) {
		var err error
		if prov, err = provider(m); errs.Add(err) {
			prov = nil
		}
	}
	targets, err := TargetPlatforms(m, opts)
	errs.Add(err)
	user, err := resolveUser(m)
	errs.Add(err)
	extra, err := includes(ctx, m, fsys)
	errs.Add(err)
	pkgs, err := runtimePackages(m)
	errs.Add(err)
	var builds []providers.Build
	var findings []check.Finding
	var eco providers.Ecosystem
	if prov != nil {
		errs.Add(languageFields(m, prov))
		// Without platforms (the manifest's are wrong), the provider
		// only prepares, for its own errors.
		builds, findings, err = providers.Plan(ctx, prov, providers.Request{
			Manifest: m, FS: fsys, Platforms: targets, BuildPlatform: platforms.Normalize(opts.BuildPlatform), Args: declaredArgs(m, opts.BuildArgs),
		})
		errs.Add(err)
		eco = prov.Ecosystem()
	}

	p := &plan.Plan{Version: plan.Version, Manifest: m.File}
	if prov != nil {
		p.Language = prov.Language()
	}
	for i, b := range builds {
		runtime, err := runtimeImage(m, b, user, opts.Debug)
		if errs.Add(err) {
			continue
		}
		runtime.Platform = platforms.Format(targets[i])
		cfg := plan.Config{
			Entrypoint:            entrypoint(m, b),
			PrependBaseEntrypoint: b.PrependBaseEntrypoint,
			Env:                   slices.Clone(b.Env),
			User:                  user,
			WorkingDir:            path.Join(providers.AppDir, b.WorkDir),
			Labels:                map[string]string{"org.opencontainers.image.base.name": runtime.Ref},
		}
		for _, v := range m.Env.Vars {
			// The manifest's value wins over the provider's.
			cfg.Env = slices.DeleteFunc(cfg.Env, func(e string) bool { return strings.HasPrefix(e, v.Name.Value+"=") })
			cfg.Env = append(cfg.Env, v.Name.Value+"="+v.Value.Value)
		}
		for _, port := range m.Expose.Items {
			cfg.ExposedPorts = append(cfg.ExposedPorts, port.String())
		}
		t := plan.Target{
			Platform:  platforms.Format(targets[i]),
			Builder:   b.Builder,
			Runtime:   runtime,
			Steps:     b.Steps,
			Artifacts: append(slices.Clone(b.Artifacts), inLayer(extra, b.Artifacts, b.WorkDir)...),
			Config:    cfg,
			Needs:     b.Needs,
			Script:    b.Script,
			CAEnv:     slices.Clone(eco.CAEnv),
		}
		if b.Choose != nil && !m.Base.Set() {
			choose(m, &t, b, user, opts.Debug, targets[i])
		}
		if len(pkgs) > 0 {
			if errs.Add(addRuntimePackages(m, &t, pkgs, targets[i], platforms.Normalize(opts.BuildPlatform), opts.Lock)) {
				continue
			}
		}
		stepArgs(m, &t, opts.BuildArgs, eco.AddEnv)
		p.Targets = append(p.Targets, t)
	}
	if err := m.Err(errs...); err != nil {
		return nil, nil, err
	}
	p.Normalize()
	if err := p.Validate(); err != nil {
		return nil, nil, err
	}
	return p, findings, nil
}

var uidRE = regexp.MustCompile(`^[0-9]+(:[0-9]+)?$`)

// resolveUser maps the manifest user to the numeric user of the image
// config: numeric ids work in any base, names only where /etc/passwd has
// them, and the distroless bases have exactly root and nonroot.
func resolveUser(m *manifest.Manifest) (string, error) {
	switch v := m.User.Value; {
	case !m.User.Set() || v == "nonroot" || v == "65532":
		return "65532:65532", nil
	case v == "root" || v == "0":
		return "0:0", nil
	case uidRE.MatchString(v):
		if !strings.Contains(v, ":") {
			v += ":" + v
		}
		return v, nil
	default:
		return "", &manifest.Error{File: m.File, Range: m.User.Range, Msg: fmt.Sprintf("unknown user %q", v), Hint: "use nonroot, root or a numeric uid[:gid]: distroless images have no other users"}
	}
}

// entrypoint is the manifest's argv, with a bare app name mapped to the
// binary's path (distroless PATH does not include the app dir).
func entrypoint(m *manifest.Manifest, b providers.Build) []string {
	if b.Command != nil {
		return slices.Clone(b.Command)
	}
	if !m.Entrypoint.Set() {
		return b.Entrypoint
	}
	argv := m.Entrypoint.Values()
	if len(argv) > 0 && argv[0] == b.Name {
		argv[0] = path.Join(providers.AppDir, b.Name)
	}
	return argv
}

// includes turns `include:` into artifacts copied from the context.
func includes(ctx context.Context, m *manifest.Manifest, fsys providers.FS) ([]plan.Artifact, error) {
	var out []plan.Artifact
	var errs manifest.Errs
	for _, it := range m.Include.Items {
		p := path.Clean(strings.TrimPrefix(it.Value, "./"))
		if path.IsAbs(p) || p == ".." || strings.HasPrefix(p, "../") || p == "." {
			errs.Add(providers.Fail(m, it.Range, "name a file or directory relative to the context, e.g. static/", "include %q is not a path inside the build context", it.Value))
			continue
		}
		ok, err := providers.Exists(ctx, fsys, m.Path(p))
		if err != nil {
			return nil, err
		}
		if !ok {
			errs.Add(providers.Fail(m, it.Range, "check the path and that .dockerignore does not exclude it", "include %q is not in the build context", it.Value))
			continue
		}
		// A workspace member's paths are its own (m.Path); in the image
		// they are under the app's working directory (inLayer).
		out = append(out, plan.Artifact{From: plan.FromContext, Src: m.Path(p), Dest: path.Join(providers.AppDir, p), Origin: providers.Origin("include", it.Range)})
	}
	return out, errs.Err()
}

// inLayer puts the included files in the layer of the provider's last
// artifact (the app's own files), under the app's working directory
// (workDir, relative to the app directory: a workspace member's, when
// the provider keeps the workspace's layout).
func inLayer(extra, artifacts []plan.Artifact, workDir string) []plan.Artifact {
	out := slices.Clone(extra)
	for i := range out {
		if len(artifacts) > 0 {
			out[i].Layer = artifacts[len(artifacts)-1].Layer
		}
		out[i].Dest = path.Join(providers.AppDir, workDir, strings.TrimPrefix(out[i].Dest, providers.AppDir+"/"))
	}
	return out
}
