package frontend

import (
	"context"
	"errors"
	"fmt"

	"github.com/distill-build/distill/llb/compile"
	"github.com/moby/buildkit/client/llb"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/grpcerrors"
	"google.golang.org/grpc/status"
)

// caHint is what a failed step that downloads adds when the build has no
// CA bundle secret: behind a TLS-intercepting proxy every download fails
// certificate verification, each tool in its own words, and none of them
// says how to give the build the proxy's CA.
const caHint = "this step downloads and the build was given no %s secret: if it failed verifying a certificate (a TLS-intercepting proxy), " +
	"pass your system's CA bundle with --secret id=%[1]s,src=/etc/ssl/certs/ca-certificates.crt " +
	"(https://github.com/distill-build/distill/blob/main/docs/building.md#behind-a-tls-intercepting-proxy-the-ca-bundle-secret)"

// hintedError is a step's error with a hint after it. The step's error
// stays in the chain: BuildKit's details (the failed op, its manifest
// lines, its logs) still reach the client.
type hintedError struct {
	err  error
	hint string
}

func (e *hintedError) Error() string { return e.err.Error() + " (" + e.hint + ")" }
func (e *hintedError) Unwrap() error { return e.err }

// GRPCStatus is the status the error crosses the gateway as: its own
// message with the step's code. Without it BuildKit's encoding takes the
// step's status from the chain and keeps its message, dropping the hint;
// the details still come from the chain.
func (e *hintedError) GRPCStatus() *status.Status {
	return status.New(grpcerrors.Code(e.err), e.Error())
}

// withCAHint adds caHint to err when it is the failure of an exec that
// mounts the CA bundle secret (compile gives it to every step that
// downloads) and given reports that the client has no such secret. Any
// other error, or a question given cannot answer, leaves err as it is.
func withCAHint(ctx context.Context, err error, secret string, given func(context.Context) (bool, error)) error {
	if err == nil || !mountsSecret(err, secret) {
		return err
	}
	if ok, gerr := given(ctx); gerr != nil || ok {
		return err
	}
	return &hintedError{err: err, hint: fmt.Sprintf(caHint, secret)}
}

// mountsSecret reports whether err is a failed exec op that mounts the
// secret id.
func mountsSecret(err error, id string) bool {
	var se *errdefs.SolveError
	if !errors.As(err, &se) || se.Solve == nil || se.Op == nil {
		return false
	}
	for _, m := range se.Op.GetExec().GetMounts() {
		if m.MountType == pb.MountType_SECRET && m.SecretOpt != nil && m.SecretOpt.ID == id {
			return true
		}
	}
	return false
}

// stepError is withCAHint for the build's CA secret, asking the client
// through secretGiven.
func (r *request) stepError(ctx context.Context, err error) error {
	return withCAHint(ctx, err, compile.DefaultCASecret, func(ctx context.Context) (bool, error) {
		return r.secretGiven(ctx, compile.DefaultCASecret)
	})
}

// secretGiven asks whether the client gives the secret id: the frontend's
// own image runs its present helper with the secret mounted if there is
// one. Never cached: the answer is about this build's client, which
// BuildKit's cache key does not include.
func (r *request) secretGiven(ctx context.Context, id string) (bool, error) {
	self, err := currentFrontend(r.c)
	if err != nil || self == nil {
		return false, fmt.Errorf("no image of the frontend to ask with: %v", err)
	}
	const target, out = "/run/secrets/probe", "/out/present"
	run := self.Run(llb.Args([]string{"/bin/distill-frontend", "present", "--out", out, target}),
		llb.AddSecret(target, llb.SecretID(id), llb.SecretOptional),
		llb.Network(llb.NetModeNone), llb.IgnoreCache,
		llb.WithCustomName("[internal] is the "+id+" secret given"))
	ref, err := solve(ctx, r.c, run.AddMount("/out", llb.Scratch()), nil, llb.Platform(r.buildPlatform))
	if err != nil {
		return false, err
	}
	data, err := ref.ReadFile(ctx, gwclient.ReadRequest{Filename: "present"})
	if err != nil {
		return false, err
	}
	return string(data) == "true", nil
}
