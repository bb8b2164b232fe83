// Package greet is the workspace's shared library: both services greet
// with it.
package greet

import (
	"fmt"

	"github.com/google/uuid"
)

// Hello greets who, with an id that says uuid (a module of the
// library's own, from the proxy) is linked in.
func Hello(who string) string {
	return fmt.Sprintf("hello, %s (greeting %s)", who, uuid.NewString())
}
