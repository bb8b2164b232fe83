// Package resolve turns a manifest and the build context into a plan: it
// picks the language provider, works out the target platforms, and applies
// what every language shares (user, env, ports, extra files, the runtime
// base). It never talks to the gateway; the frontend and the CLI both call
// it, so `distill plan` shows exactly what the frontend builds.
package resolve

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/frontend/providers/golang"
	"github.com/distill-build/distill/frontend/providers/node"
	"github.com/distill-build/distill/frontend/providers/python"
	"github.com/distill-build/distill/llb/plan"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// registry lists the providers: the one list that names the languages.
var registry = []providers.Provider{golang.Provider{}, python.Provider{}, node.Provider{}}

// Languages lists the supported languages.
func Languages() []string {
	out := make([]string, len(registry))
	for i, p := range registry {
		out[i] = p.Language()
	}
	return out
}

// Providers lists the registered providers.
func Providers() []providers.Provider { return slices.Clone(registry) }

// Register adds a provider for the length of a test; the returned
// function removes it.
func Register(p providers.Provider) (unregister func()) {
	registry = append(slices.Clone(registry), p)
	return func() {
		registry = slices.DeleteFunc(slices.Clone(registry), func(q providers.Provider) bool { return q == p })
	}
}

// Rules are every check rule: the language-neutral ones and each
// language's own.
func Rules() []check.Rule {
	out := slices.Clone(check.Rules)
	for _, p := range registry {
		out = append(out, p.Ecosystem().Rules...)
	}
	return out
}

// Helpers are the languages' helper subcommands, by name.
func Helpers() map[string]providers.Helper {
	out := map[string]providers.Helper{}
	for _, p := range registry {
		maps.Copy(out, p.Ecosystem().Helpers)
	}
	return out
}

// FieldDocs are what each language says of each manifest field: field →
// language → text, for the schema and the docs.
func FieldDocs() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, p := range registry {
		for f, doc := range p.Ecosystem().Fields {
			if out[f] == nil {
				out[f] = map[string]string{}
			}
			out[f][p.Language()] = doc
		}
	}
	return out
}

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
}

// ProxyArgs are the build arguments every step that downloads gets
// without a declaration, as in a Dockerfile (predefined ARGs).
var ProxyArgs = []string{"HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "ftp_proxy", "no_proxy", "all_proxy"}

// stepArgs adds the declared args (the client's value, else the default)
// to every step, and the proxy args given to every step that downloads.
// A declared arg overrides the provider's variable of the same name,
// except the language's flag variables (addEnv), added to the provider's.
func stepArgs(m *manifest.Manifest, t *plan.Target, given map[string]string, addEnv []string) {
	var args []string
	for _, v := range m.Args.Vars {
		val := v.Value.Value
		if g, ok := given[v.Name.Value]; ok {
			val = g
		}
		args = append(args, v.Name.Value+"="+val)
	}
	var proxies []string
	for _, k := range ProxyArgs {
		if v, ok := given[k]; ok && !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, k+"=") }) {
			proxies = append(proxies, k+"="+v)
		}
	}
	if len(args) == 0 && len(proxies) == 0 {
		return
	}
	for _, s := range plan.AllSteps(t.Steps) {
		if s.Run == nil {
			continue
		}
		add := args
		if s.Run.Network {
			add = append(slices.Clone(args), proxies...)
		}
		for _, a := range add {
			name, val, _ := strings.Cut(a, "=")
			i := slices.IndexFunc(s.Run.Env, func(e string) bool { return strings.HasPrefix(e, name+"=") })
			switch {
			case i < 0:
				s.Run.Env = append(s.Run.Env, a)
			case slices.Contains(addEnv, name):
				// Flags add up: the provider's stay.
				s.Run.Env[i] = strings.TrimSpace(s.Run.Env[i] + " " + val)
			default:
				s.Run.Env[i] = a
			}
		}
	}
}

// UnusedArgs are the client's build args that nothing reads: neither
// declared in the manifest nor one BuildKit, distill or the proxy steps
// read.
func UnusedArgs(m *manifest.Manifest, given map[string]string) []string {
	var out []string
	for k := range given {
		switch {
		case strings.HasPrefix(k, "BUILDKIT_"), strings.HasPrefix(k, "DISTILL_"), k == "SOURCE_DATE_EPOCH", slices.Contains(ProxyArgs, k):
		case slices.ContainsFunc(m.Args.Vars, func(v manifest.Var) bool { return v.Name.Value == k }):
		default:
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
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
		for _, it := range m.Platforms.Items {
			p, err := platforms.Parse(it.Value)
			if err != nil {
				return nil, &manifest.Error{File: m.File, Range: it.Range, Msg: fmt.Sprintf("invalid platform %q", it.Value), Hint: "write os/arch[/variant], e.g. linux/arm64"}
			}
			if p.OS != "linux" {
				return nil, &manifest.Error{File: m.File, Range: it.Range, Msg: fmt.Sprintf("platform %q is not supported", it.Value), Hint: "distill builds linux images"}
			}
			add(p)
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
	prov, err := provider(m)
	if err != nil {
		return nil, nil, err
	}
	targets, err := TargetPlatforms(m, opts)
	if err != nil {
		return nil, nil, err
	}
	user, err := resolveUser(m)
	if err != nil {
		return nil, nil, err
	}
	extra, err := includes(ctx, m, fsys)
	if err != nil {
		return nil, nil, err
	}
	if err := languageFields(m, prov); err != nil {
		return nil, nil, err
	}
	builds, findings, err := providers.Plan(ctx, prov, providers.Request{
		Manifest: m, FS: fsys, Platforms: targets, BuildPlatform: platforms.Normalize(opts.BuildPlatform),
	})
	if err != nil {
		return nil, nil, err
	}
	eco := prov.Ecosystem()

	p := &plan.Plan{Version: plan.Version, Manifest: m.File, Language: prov.Language()}
	for i, b := range builds {
		runtime, err := runtimeImage(m, b, user, opts.Debug)
		if err != nil {
			return nil, nil, err
		}
		runtime.Platform = platforms.Format(targets[i])
		cfg := plan.Config{
			Entrypoint:            entrypoint(m, b),
			PrependBaseEntrypoint: b.PrependBaseEntrypoint,
			Env:                   slices.Clone(b.Env),
			User:                  user,
			WorkingDir:            providers.AppDir,
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
			Artifacts: append(slices.Clone(b.Artifacts), inLayer(extra, b.Artifacts)...),
			Config:    cfg,
			Needs:     b.Needs,
			Script:    b.Script,
			CAEnv:     slices.Clone(eco.CAEnv),
		}
		stepArgs(m, &t, opts.BuildArgs, eco.AddEnv)
		p.Targets = append(p.Targets, t)
	}
	p.Normalize()
	if err := p.Validate(); err != nil {
		return nil, nil, err
	}
	return p, findings, nil
}

func provider(m *manifest.Manifest) (providers.Provider, error) {
	for _, p := range registry {
		if p.Language() == m.Language.Value {
			return p, nil
		}
	}
	return nil, &manifest.Error{
		File: m.File, Range: m.Language.Range,
		Msg:  fmt.Sprintf("unsupported language %q", m.Language.Value),
		Hint: "supported: " + strings.Join(Languages(), ", "),
	}
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

// runtimeImage is the target's runtime: the provider's, else the
// distroless image of the flavour the artifacts need or the manifest's
// base, with the tag that matches the user and the target.
func runtimeImage(m *manifest.Manifest, b providers.Build, user string, debug bool) (plan.Image, error) {
	tag := "latest"
	if user == "65532:65532" {
		tag = "nonroot"
	}
	if debug {
		// distroless's debug tags: debug (root) and debug-nonroot.
		tag = strings.TrimSuffix("debug-"+tag, "-latest")
	}
	noDebug := func(im plan.Image) (plan.Image, error) {
		if !debug {
			return im, nil
		}
		return plan.Image{}, providers.Fail(m, m.Base.Range, "build the debug target with a distroless base: static, base, cc, or the language's default",
			"the debug target needs a distroless base (its :debug variant has a shell); %s is not one", im.Ref)
	}
	if b.Runtime != nil {
		// The provider chose (and checked) the runtime, base included.
		im := *b.Runtime
		if strings.HasPrefix(im.Ref, providers.DistrolessRepo+"/") && !strings.ContainsAny(path.Base(im.Ref), ":@") {
			im.Ref += ":" + tag
			return im, nil
		}
		return noDebug(im)
	}
	im := plan.Image{Origin: providers.ImageOrigin(m, plan.RoleRuntime)}
	flavour := b.Flavour
	if m.Base.Set() {
		v := m.Base.Value
		if !slices.Contains(flavours, v) {
			if strings.ContainsAny(v, " \t") || v == "" {
				return plan.Image{}, providers.Fail(m, m.Base.Range, "use static, base, cc or an image reference", "invalid base %q", v)
			}
			im.Ref, im.Facts = v, plan.Facts{Debian: providers.DebianOf(v), Why: "base: in " + m.File}
			return noDebug(im)
		}
		if slices.Index(flavours, v) < slices.Index(flavours, b.Flavour) {
			hint := "use base: " + b.Flavour
			if b.FlavourHint != "" {
				hint += ", or " + b.FlavourHint
			}
			err := providers.Fail(m, m.Base.Range, hint,
				"base %q cannot run this app: it needs %s (%s)", v, b.Flavour, b.FlavourReason)
			if b.Needs != nil && b.Needs.Libc == plan.LibcGlibc && providers.DistrolessFacts(v, "").Libc == plan.LibcNone {
				err.(*manifest.Error).Rule = b.Needs.Rule
			}
			return plan.Image{}, err
		}
		flavour = v
	}
	im.Ref = fmt.Sprintf("%s/%s-%s:%s", providers.DistrolessRepo, flavour, providers.Debian, tag)
	im.Facts = providers.DistrolessFacts(flavour, b.FlavourReason)
	return im, nil
}

// flavours orders the distroless runtimes by what they provide.
var flavours = []string{providers.Static, providers.Base, providers.CC}

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
	for _, it := range m.Include.Items {
		p := path.Clean(strings.TrimPrefix(it.Value, "./"))
		if path.IsAbs(p) || p == ".." || strings.HasPrefix(p, "../") || p == "." {
			return nil, providers.Fail(m, it.Range, "name a file or directory relative to the context, e.g. static/", "include %q is not a path inside the build context", it.Value)
		}
		ok, err := providers.Exists(ctx, fsys, p)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, providers.Fail(m, it.Range, "check the path and that .dockerignore does not exclude it", "include %q is not in the build context", it.Value)
		}
		out = append(out, plan.Artifact{From: plan.FromContext, Src: p, Dest: path.Join(providers.AppDir, p), Origin: providers.Origin("include", it.Range)})
	}
	return out, nil
}

// inLayer puts the included files in the layer of the provider's last
// artifact (the app's own files).
func inLayer(extra, artifacts []plan.Artifact) []plan.Artifact {
	if len(artifacts) == 0 {
		return extra
	}
	out := slices.Clone(extra)
	for i := range out {
		out[i].Layer = artifacts[len(artifacts)-1].Layer
	}
	return out
}

// languageFields refuses the manifest's language-specific fields that the
// provider does not read: they would be ignored without a word.
func languageFields(m *manifest.Manifest, prov providers.Provider) error {
	fields := m.LanguageFields()
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		if _, ok := prov.Ecosystem().Fields[name]; ok {
			continue
		}
		var readers []string
		for _, p := range registry {
			if _, ok := p.Ecosystem().Fields[name]; ok {
				readers = append(readers, p.Language())
			}
		}
		errs = append(errs, providers.Fail(m, fields[name], "remove it (languages that read it: "+strings.Join(readers, ", ")+")",
			"%s: is not read for language %s", name, prov.Language()))
	}
	return errors.Join(errs...)
}
