package golang

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/distill-build/distill/frontend/providers"
)

// goSum is go.sum: a line per module version, its path, version and the
// h1: hash of its content or go.mod.
var goSum = providers.LockFile{Syntax: providers.Text, Fix: "go mod tidy", Check: func(doc any) string {
	for i, line := range strings.Split(doc.(string), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 || !strings.HasPrefix(f[1], "v") || !strings.HasPrefix(f[2], "h1:") {
			return fmt.Sprintf("line %d is not a module, its version and its h1: hash", i+1)
		}
		if sum, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(f[2], "h1:")); err != nil || len(sum) != 32 {
			return fmt.Sprintf("line %d: the hash of %s %s is not a SHA-256 in base64", i+1, f[0], f[1])
		}
	}
	return ""
}}
