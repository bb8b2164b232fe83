package frontend

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/grpcerrors"
)

// TestCAHint: a failed step that mounts the ca-bundle secret, in a build
// whose client gave none, says how to pass it; the step's own error and
// BuildKit's details about it stay, through the gateway's encoding too.
// Other failures, or a build that has the secret, are left as they are.
func TestCAHint(t *testing.T) {
	exec := func(secrets ...string) error {
		e := &pb.ExecOp{Meta: &pb.Meta{Args: []string{"/bin/sh", "-c", "pip install -r requirements.txt"}}}
		for _, id := range secrets {
			e.Mounts = append(e.Mounts, &pb.Mount{MountType: pb.MountType_SECRET, Dest: "/etc/ssl/certs/ca-certificates.crt", SecretOpt: &pb.SecretOpt{ID: id, Optional: true}})
		}
		return (&errdefs.Solve{Op: &pb.Op{Op: &pb.Op_Exec{Exec: e}}}).WrapError(errors.New(`process "/bin/sh -c pip install -r requirements.txt" did not complete successfully: exit code: 1`))
	}
	answer := func(given bool, err error) func(context.Context) (bool, error) {
		return func(context.Context) (bool, error) { return given, err }
	}
	ctx := context.Background()
	// As the frontend's solve returns it: decoded from the gateway's status.
	step := grpcerrors.FromGRPC(grpcerrors.ToGRPC(ctx, exec("netrc", "ca-bundle")))
	got := withCAHint(ctx, step, "ca-bundle", answer(false, nil))
	for _, want := range []string{
		`did not complete successfully: exit code: 1 (this step downloads and the build was given no ca-bundle secret`,
		"pass your system's CA bundle with --secret id=ca-bundle,src=/etc/ssl/certs/ca-certificates.crt",
		"docs/building.md#behind-a-tls-intercepting-proxy-the-ca-bundle-secret",
	} {
		if !strings.Contains(got.Error(), want) {
			t.Errorf("hinted error lacks %q: %v", want, got)
		}
	}
	var se *errdefs.SolveError
	if !errors.As(got, &se) || se.Op.GetExec() == nil {
		t.Errorf("the step's SolveError is lost: %#v", got)
	}
	// As the frontend returns it to the daemon: the message is the hinted
	// one, the failed op still a detail.
	back := grpcerrors.FromGRPC(grpcerrors.ToGRPC(ctx, got))
	if !strings.Contains(back.Error(), "--secret id=ca-bundle") || !errors.As(back, &se) || se.Op.GetExec() == nil {
		t.Errorf("through the gateway: %v", back)
	}

	for name, tc := range map[string]struct {
		err   error
		given func(context.Context) (bool, error)
	}{
		"the secret given":         {step, answer(true, nil)},
		"the question failed":      {step, answer(false, errors.New("no image"))},
		"a step without network":   {exec("netrc"), answer(false, nil)},
		"not a step":               {errors.New("loading the build context: canceled"), answer(false, nil)},
		"an op that is not a step": {(&errdefs.Solve{Op: &pb.Op{Op: &pb.Op_File{File: &pb.FileOp{}}}}).WrapError(errors.New("copy failed")), answer(false, nil)},
	} {
		if got := withCAHint(ctx, tc.err, "ca-bundle", tc.given); got != tc.err {
			t.Errorf("%s: %v, want the error unchanged", name, got)
		}
	}
}
