package frontend

import (
	"errors"
	"fmt"
	"testing"

	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/llb/compile"
	"github.com/distill-build/distill/llb/plan"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestImageError: an image that cannot be had is an error at the line
// that chose it, with a hint that says how it was chosen (cfssl v1.6.5's
// go.mod says go 1.18: golang:1.18-trixie does not exist, and the build
// failed at the syntax line with BuildKit's words alone).
func TestImageError(t *testing.T) {
	m, err := manifest.Parse("distill.yaml", []byte("# syntax=ghcr.io/distill-build/distill:1\nlanguage: go\nmain: ./cmd/cfssl\n"))
	if err != nil {
		t.Fatal(err)
	}
	notFound := errors.New("docker.io/library/golang:1.18-trixie: not found")
	// As the gateway returns it.
	rpcNotFound := fmt.Errorf("resolve: %w", status.Error(codes.NotFound, "docker.io/library/golang:1.18-trixie: not found"))
	// As BuildKit v0.33 says it with docker.io's mirror on a closed port.
	refused := `failed to do request: Head "https://127.0.0.1:1/v2/library/python/manifests/3.13-slim-trixie?ns=docker.io": dial tcp 127.0.0.1:1: connect: connection refused`
	goFacts := plan.Facts{Toolchain: "Go", Version: "1.18", Why: "the official Go image of the module's version"}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"from go.mod", &compile.ResolveError{Role: "builder", Ref: "docker.io/library/golang:1.18-trixie", Platform: "linux/amd64",
			Origin: plan.Origin{Field: "language", Line: 2}, Facts: goFacts, Err: rpcNotFound},
			"distill.yaml:2:0: the builder image docker.io/library/golang:1.18-trixie cannot be had: docker.io/library/golang:1.18-trixie: not found " +
				"(it is the official Go image of the module's version, Go 1.18 from the project's files: set version: to a release that has an image, or builder: to an image)"},
		{"from version:", &compile.ResolveError{Role: "builder", Ref: "docker.io/library/golang:1.18-trixie", Origin: plan.Origin{Field: "version", Line: 4}, Facts: goFacts, Err: notFound},
			"distill.yaml:4:0: the builder image docker.io/library/golang:1.18-trixie cannot be had: docker.io/library/golang:1.18-trixie: not found (set version: to a release that has an image)"},
		{"named by base:", fmt.Errorf("compiling: %w", &compile.ResolveError{Role: "runtime", Ref: "example.com/base:1", Origin: plan.Origin{Field: "base", Line: 5}, Err: notFound}),
			"distill.yaml:5:0: the runtime image example.com/base:1 cannot be had: docker.io/library/golang:1.18-trixie: not found (check the reference, and that the registry serves it)"},
		{"registry down", &compile.ResolveError{Role: "builder", Ref: "docker.io/library/python:3.13-slim-trixie", Platform: "linux/amd64",
			Origin: plan.Origin{Field: "language", Line: 2}, Facts: goFacts, Unreachable: true, Err: fmt.Errorf("resolve: %w", status.Error(codes.Unknown, refused))},
			"distill.yaml:2:0: the builder image docker.io/library/python:3.13-slim-trixie cannot be had: " + refused +
				" (the registry, or the builder's mirror of it, did not answer: check the builder's registry mirrors (buildkitd.toml [registry]) and its network, then build again)"},
		{"not for the platform", &compile.PlatformError{Role: "runtime", Ref: "r", Platform: "linux/s390x", Origin: plan.Origin{Field: "language", Line: 2}, Available: []string{"linux/amd64"}},
			"distill.yaml:2:0: the runtime image r is not published for linux/s390x (build for the platforms it is published for: linux/amd64)"},
	} {
		if got := imageError(m, tc.err); got == nil || got.Error() != tc.want {
			t.Errorf("%s:\n got %v\nwant %s", tc.name, got, tc.want)
		}
	}
	if got := imageError(m, notFound); got != nil {
		t.Errorf("another error: %v, want nil", got)
	}
}
