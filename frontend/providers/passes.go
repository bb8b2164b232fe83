package providers

import (
	"context"
	"errors"

	"github.com/distill-build/distill/frontend/manifest"
)

// Passes runs the steps of a provider's Prepare so that one run reports
// every mistake of the manifest and the project, not the first one found:
// a step that fails stops only the steps that read what it decides, the
// others run on, and Err is every error, in file order.
//
//	var ps providers.Passes
//	deps := ps.Run(ctx, pr.dependencies)
//	version := ps.Run(ctx, pr.version, deps) // reads the dependency file
//	ps.Run(ctx, pr.packages)                 // reads the manifest only
//	if err := ps.Err(); err != nil { … }
type Passes struct {
	errs manifest.Errs
	// stopped is set by an error that is no mistake of the manifest
	// (reading the context failed): nothing runs after it.
	stopped bool
}

// Run runs pass unless one of the passes it needs (what Run returned for
// them) did not succeed, and reports whether it ran and succeeded.
func (ps *Passes) Run(ctx context.Context, pass func(context.Context) error, needs ...bool) bool {
	if ps.stopped {
		return false
	}
	for _, ok := range needs {
		if !ok {
			return false
		}
	}
	err := pass(ctx)
	if err == nil {
		return true
	}
	ps.errs.Add(err)
	var me *manifest.Error
	if !errors.As(err, &me) {
		ps.stopped = true
	}
	return false
}

// Err is every error the passes returned, in file order (manifest.Join).
func (ps *Passes) Err() error { return ps.errs.Err() }
