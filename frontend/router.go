package frontend

import (
	"context"
	"fmt"
	"strings"

	"github.com/moby/buildkit/frontend/dockerui"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"
)

const keyRequestID = "requestid"

// A route answers one kind of request.
type route func(ctx context.Context, r *request) (*gwclient.Result, error)

// routes answer the request ids that are distill's own, by id; dockerui
// answers its subrequests (outline, targets, check) before these.
var routes = map[string]route{
	RequestLock: lockRoute,
}

// Build is the gateway BuildFunc of the distill frontend: it works the
// request out, answers a subrequest if it is one, else builds. A panic
// becomes an error naming the manifest (recover.go).
func Build(ctx context.Context, c gwclient.Client) (*gwclient.Result, error) {
	// Every definition is checked against the daemon's capabilities first (caps.go).
	c = withCapChecks(c)
	return guarded(manifestFile(c), func() (*gwclient.Result, error) {
		r, err := newRequest(ctx, c)
		if err != nil {
			return nil, err
		}
		return r.route(ctx)
	})
}

// route answers the request: dockerui's subrequests, then distill's own
// request ids, then a build of a known target.
func (r *request) route(ctx context.Context) (*gwclient.Result, error) {
	if res, ok, err := r.bc.HandleSubrequest(ctx, dockerui.RequestHandler{
		ListTargets: func(context.Context) (*targets.List, error) {
			// The manifest's mistakes fail every request, this one too.
			if err := r.fail(nil); err != nil {
				return nil, err
			}
			return listTargets(), nil
		},
		Outline:    func(ctx context.Context) (*outline.Outline, error) { return outlineRoute(ctx, r) },
		Lint:       func(ctx context.Context) (*lint.LintResults, error) { return lintRoute(ctx, r) },
		AllowOther: true,
	}); err != nil || ok {
		return res, err
	}
	id := r.bc.BuildOpts().Opts[keyRequestID]
	if rt, ok := routes[id]; ok {
		return rt(ctx, r)
	}
	if id != "" {
		return nil, fmt.Errorf("%s does not answer %q: it answers outline, targets, check and lock (--call=lock)", r.manifest.File, strings.TrimPrefix(id, "frontend."))
	}
	if !knownTarget(r.target) {
		return nil, fmt.Errorf("unknown target %q: %s builds the targets %q (the default), %q and %q", r.target, r.manifest.File, TargetRuntime, TargetDebug, TargetBuild)
	}
	return buildRoute(ctx, r)
}
