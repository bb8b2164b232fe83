package frontend

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/util/stack"
)

// TestGuardedPanic: a route that panics answers with an error naming the
// manifest, the panic's stack kept out of the message but in the error's
// stack trace; a route that does not panic is answered as it is.
func TestGuardedPanic(t *testing.T) {
	t.Parallel()
	var panicking route = func(context.Context, *request) (*gwclient.Result, error) {
		var seen map[string]bool
		seen["x"] = true // a nil map: a runtime error
		return nil, nil
	}
	res, err := guarded("app/distill.yaml", func() (*gwclient.Result, error) { return panicking(context.Background(), &request{}) })
	const want = "distill: internal error while building app/distill.yaml: assignment to entry in nil map (please report it)"
	if res != nil || err == nil || err.Error() != want {
		t.Fatalf("got %v, %v; want the error %q", res, err, want)
	}
	var frames []string
	for _, s := range stack.Traces(err) {
		for _, f := range s.Frames {
			frames = append(frames, f.Name)
		}
	}
	if !slices.ContainsFunc(frames, func(n string) bool { return strings.HasSuffix(n, "TestGuardedPanic.func1") }) {
		t.Errorf("the stack trace misses the panicking route: %v", frames)
	}

	errNo := errors.New("no")
	var failing route = func(context.Context, *request) (*gwclient.Result, error) { return nil, errNo }
	if _, err := guarded("distill.yaml", func() (*gwclient.Result, error) { return failing(context.Background(), &request{}) }); err != errNo {
		t.Errorf("err = %v, want the route's", err)
	}
}
