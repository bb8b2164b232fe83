package frontend

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// What a build takes from the client besides the manifest: named
// contexts, labels, the creation time, the frontend's own image.

// namedImage looks an image reference up in the client's named build
// contexts (--build-context name=docker-image://…|oci-layout://…|dir),
// as the Dockerfile frontend does for FROM.
func namedImage(bc *dockerui.Client) func(context.Context, string, ocispecs.Platform) (*llb.State, *dockerspec.DockerOCIImage, digest.Digest, error) {
	return func(ctx context.Context, ref string, p ocispecs.Platform) (*llb.State, *dockerspec.DockerOCIImage, digest.Digest, error) {
		var dgst digest.Digest
		nc, err := bc.NamedContext(ref, dockerui.ContextOpt{Platform: &p, ResolveMode: bc.ImageResolveMode.String(), CaptureDigest: &dgst})
		if err != nil || nc == nil {
			return nil, nil, "", err
		}
		st, img, err := nc.Load(ctx)
		return st, img, dgst, err
	}
}

// imageLabels are the labels from the client: --label and the VCS info
// buildx sends.
func imageLabels(bc *dockerui.Client) map[string]string {
	labels := map[string]string{}
	opts := bc.BuildOpts().Opts
	if v := opts["vcs:source"]; v != "" {
		labels["org.opencontainers.image.source"] = v
	}
	if v := opts["vcs:revision"]; v != "" {
		labels["org.opencontainers.image.revision"] = v
	}
	for k, v := range bc.Labels {
		labels[k] = v
	}
	return labels
}

// sourceDateEpoch is the image creation time: SOURCE_DATE_EPOCH in
// seconds (buildx passes the variable of its environment as this build
// arg), or "context" for the main context's time (a git context's commit
// time, an HTTP context's Last-Modified), as for Dockerfiles. Unset, a
// remote context's time is the default; a local context has none (the
// build's time).
func sourceDateEpoch(ctx context.Context, bc *dockerui.Client) (*time.Time, error) {
	v, ok := bc.BuildArgs["SOURCE_DATE_EPOCH"]
	switch {
	case ok && v == "context", !ok && remoteContext(bc.BuildOpts().Opts["context"]):
		t, err := bc.ResolveMainContextSourceDateEpoch(ctx)
		if err != nil {
			return nil, fmt.Errorf("SOURCE_DATE_EPOCH from the build context: %w", err)
		}
		if t != nil {
			u := t.UTC()
			return &u, nil
		}
		return nil, nil
	case !ok || v == "":
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("invalid SOURCE_DATE_EPOCH %q: want seconds since 1970, or context", v)
	}
	t := time.Unix(n, 0).UTC()
	return &t, nil
}

// remoteContext reports whether the main context is a git repository or
// an HTTP URL rather than the client's directory.
func remoteContext(ctxOpt string) bool {
	return strings.HasPrefix(ctxOpt, "git") || strings.HasPrefix(ctxOpt, "http://") || strings.HasPrefix(ctxOpt, "https://") || strings.HasSuffix(ctxOpt, ".git")
}

// currentFrontend is the frontend's own image, for steps that run its
// helper subcommands: what BuildKit reports (CurrentFrontend), else the
// image named by the gateway's "source" option.
func currentFrontend(c gwclient.Client) (*llb.State, error) {
	// The gateway's gRPC client has it, outside the Client interface.
	if cf, ok := c.(interface{ CurrentFrontend() (*llb.State, error) }); ok {
		st, err := cf.CurrentFrontend()
		if err != nil {
			return nil, fmt.Errorf("reading the frontend's own image: %w", err)
		}
		if st != nil {
			return st, nil
		}
	}
	if ref := c.BuildOpts().Opts["source"]; ref != "" {
		img := llb.Image(ref, llb.WithCustomName("[internal] load distill helper "+ref))
		return &img, nil
	}
	return nil, nil
}
