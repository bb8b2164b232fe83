package providers

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/distill-build/distill/frontend/manifest"
)

// TestPasses: a failed pass stops only those that need it; a failure that
// is not the manifest's stops every later one; the error lists the
// manifest's mistakes in file order, whatever order the passes ran in.
func TestPasses(t *testing.T) {
	t.Parallel()
	m := &manifest.Manifest{File: "distill.yaml"}
	at := func(line int, msg string) error {
		return Fail(m, manifest.Range{Start: manifest.Pos{Line: line, Column: 1}, End: manifest.Pos{Line: line, Column: 5}}, "", "%s", msg)
	}
	var ran []string
	pass := func(name string, err error) func(context.Context) error {
		return func(context.Context) error {
			ran = append(ran, name)
			return err
		}
	}
	ctx := context.Background()
	var ps Passes
	deps := ps.Run(ctx, pass("deps", at(5, "no lock file")))
	ps.Run(ctx, pass("version", nil), deps) // needs deps: skipped
	ok := ps.Run(ctx, pass("packages", at(3, "not a package")))
	users := ps.Run(ctx, pass("user", nil))
	ps.Run(ctx, pass("entrypoint", at(9, "no entrypoint")), users)
	if ok || !users || strings.Join(ran, ",") != "deps,packages,user,entrypoint" {
		t.Errorf("ran %v (ok %v, users %v)", ran, ok, users)
	}
	want := "distill.yaml:3:1: not a package\ndistill.yaml:5:1: no lock file\ndistill.yaml:9:1: no entrypoint"
	if got := ps.Err().Error(); got != want {
		t.Errorf("Err =\n%s\nwant\n%s", got, want)
	}

	var stop Passes
	ran = nil
	stop.Run(ctx, pass("read", errors.New("reading go.mod: connection reset")))
	stop.Run(ctx, pass("packages", at(3, "not a package")))
	if len(ran) != 1 || stop.Err() == nil {
		t.Errorf("after an error reading the context, ran %v", ran)
	}
}
