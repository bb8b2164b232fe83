package frontend

import (
	"fmt"

	"github.com/moby/buildkit/util/stack"
)

// internalError is a panic of the frontend, as the build's error: a bug
// of distill's, reported against the manifest being built rather than as
// a crashed frontend. It does not unwrap to a panic value that is an
// error: that error's own stack trace would hide the panic's.
type internalError struct {
	file  string
	value any
}

func (e *internalError) Error() string {
	return fmt.Sprintf("distill: internal error while building %s: %v (please report it)", e.file, e.value)
}

// guarded runs fn and turns a panic in it into an internalError about
// file. The stack of the panic travels as the error's stack trace (the
// gRPC detail buildx prints with --debug and the daemon logs), not in its
// message. Every goroutine the frontend runs code in needs its own guard:
// a panic is recovered only on the goroutine that raised it.
func guarded[T any](file string, fn func() (T, error)) (res T, err error) {
	defer func() {
		if v := recover(); v != nil {
			var zero T
			// Called here, the stack still has the frames of the panic.
			res, err = zero, stack.Enable(&internalError{file: file, value: v})
		}
	}()
	return fn()
}
