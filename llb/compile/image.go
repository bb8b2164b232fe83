package compile

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/llb/plan"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// image loads an image for its platform. With a resolver it reads the
// config (env, workdir) and pins the digest; it returns the image's own
// config and its digest.
func (c *compiler) image(ctx context.Context, im plan.Image, role string) (llb.State, *dockerspec.DockerOCIImage, digest.Digest, error) {
	p, err := platforms.Parse(im.Platform)
	if err != nil {
		return llb.State{}, nil, "", fmt.Errorf("%s platform %q: %w", role, im.Platform, err)
	}
	p = platforms.Normalize(p)
	ref := im.Ref
	if im.Digest != "" && !strings.Contains(ref, "@") {
		ref += "@" + im.Digest
	}
	if c.o.Named != nil {
		st, img, dgst, err := c.o.Named(ctx, im.Ref, p)
		if err != nil {
			return llb.State{}, nil, "", fmt.Errorf("the %s image %s given as a build context: %w", role, im.Ref, err)
		}
		if st != nil {
			if img == nil {
				img = &dockerspec.DockerOCIImage{}
			}
			return *st, img, dgst, nil
		}
	}
	name := c.name(fmt.Sprintf("[internal] load %s %s", role, im.Ref))
	if c.o.Resolver == nil {
		return llb.Image(ref, llb.Platform(p), name), &dockerspec.DockerOCIImage{}, "", nil
	}
	resolved, dgst, cfg, err := c.o.Resolver.ResolveImageConfig(ctx, ref, sourceresolver.Opt{
		LogName:  fmt.Sprintf("[internal] resolve %s %s for %s", role, im.Ref, platforms.Format(p)),
		ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &p, ResolveMode: c.o.ResolveMode},
	})
	if err != nil {
		re := &ResolveError{Role: role, Ref: im.Ref, Platform: platforms.Format(p), Origin: im.Origin, Facts: im.Facts, Err: err, Unreachable: Unreachable(err)}
		// A registry that does not answer says nothing of platforms, and
		// asking it about seven more would only wait seven more times.
		if re.Unreachable {
			return llb.State{}, nil, "", re
		}
		if avail := c.publishedFor(ctx, ref, p); len(avail) > 0 {
			return llb.State{}, nil, "", &PlatformError{Role: role, Origin: im.Origin, Ref: im.Ref, Platform: platforms.Format(p), Available: avail}
		}
		return llb.State{}, nil, "", re
	}
	if im.Config != "" {
		if got := digest.FromBytes(cfg); got.String() != im.Config {
			return llb.State{}, nil, "", &LockError{Role: role, Origin: im.Origin, Ref: im.Ref, Platform: platforms.Format(p), Digest: im.Digest, Want: im.Config, Got: got.String()}
		}
	}
	var img dockerspec.DockerOCIImage
	if err := json.Unmarshal(cfg, &img); err != nil {
		return llb.State{}, nil, "", fmt.Errorf("reading config of %s: %w", im.Ref, err)
	}
	pinned := resolved
	if dgst != "" && !strings.Contains(pinned, "@") {
		pinned += "@" + dgst.String()
	}
	st := llb.Image(pinned, llb.Platform(p), name)
	st, err = st.WithImageConfig(cfg)
	if err != nil {
		return llb.State{}, nil, "", fmt.Errorf("applying config of %s: %w", im.Ref, err)
	}
	return st, &img, dgst, nil
}

// knownPlatforms are the platforms publishedFor asks an image about.
var knownPlatforms = []string{"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/arm/v6", "linux/386", "linux/ppc64le", "linux/s390x", "linux/riscv64"}

// publishedFor lists the platforms an image resolves for, when it does
// not resolve for p (an image that cannot be resolved at all gives none:
// that error is not about platforms).
func (c *compiler) publishedFor(ctx context.Context, ref string, p ocispecs.Platform) []string {
	var out []string
	for _, s := range knownPlatforms {
		q := platforms.Normalize(platforms.MustParse(s))
		if platforms.Only(p).Match(q) && platforms.Only(q).Match(p) {
			continue
		}
		// No log name: the misses are expected, not progress to show.
		if _, _, _, err := c.o.Resolver.ResolveImageConfig(ctx, ref, sourceresolver.Opt{
			ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &q, ResolveMode: c.o.ResolveMode},
		}); err == nil {
			out = append(out, s)
		}
	}
	return out
}

// ResolveError is an image that resolves for no platform: a tag that
// does not exist (a toolchain release without an image), or a registry
// that refuses it.
type ResolveError struct {
	Role, Ref, Platform string
	// Origin is the manifest field that chose the image, Facts why.
	Origin plan.Origin
	Facts  plan.Facts
	Err    error
	// Unreachable: the registry (or the daemon's mirror of it) did not
	// answer, so nothing is known of the image itself.
	Unreachable bool
}

func (e *ResolveError) Error() string {
	return fmt.Sprintf("resolving %s image %s for %s: %v", e.Role, e.Ref, e.Platform, e.Err)
}

func (e *ResolveError) Unwrap() error { return e.Err }

// LockError is a locked image whose config for a platform is not the
// one the lock recorded.
type LockError struct {
	Role, Ref, Platform, Digest string
	// Origin is the manifest field that chose the image.
	Origin    plan.Origin
	Want, Got string
}

func (e *LockError) Error() string {
	return fmt.Sprintf("the %s image %s@%s has config %s for %s, but the lock recorded %s", e.Role, e.Ref, e.Digest, e.Got, e.Platform, e.Want)
}

// PlatformError is an image that is not published for a target platform.
type PlatformError struct {
	Role, Ref, Platform string
	// Origin is the manifest field that chose the image.
	Origin plan.Origin
	// Available are the platforms it is published for.
	Available []string
}

func (e *PlatformError) Error() string {
	return fmt.Sprintf("%s image %s is not published for %s (it is for %s)", e.Role, e.Ref, e.Platform, strings.Join(e.Available, ", "))
}

// unreachable are the words of a registry that could not be asked, as
// BuildKit's resolver (containerd's remotes, Go's net and TLS) puts them;
// the error crosses the gateway as text, so its words are all there is.
var unreachable = []string{
	"connection refused", "connection reset", "no such host", "i/o timeout",
	"network is unreachable", "no route to host", "deadline exceeded",
	"tls: ", "server misbehaving", ": eof", "unexpected eof",
	"500 internal server error", "502 bad gateway", "503 service unavailable", "504 gateway timeout",
}

// Unreachable reports whether err is a registry that did not answer (a
// refused or timed-out connection, a name that does not resolve, a TLS
// failure, a server error) rather than one that answered no.
func Unreachable(err error) bool {
	s := strings.ToLower(err.Error())
	for _, w := range unreachable {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
