// Command distill-frontend is the distill BuildKit frontend: the image
// named on the manifest's `# syntax=` line runs it, and it talks to
// BuildKit over stdin/stdout (so it never writes to stdout itself).
//
// With arguments it runs a helper subcommand instead: build steps mount
// the frontend's own image and run it for what LLB cannot express (the
// shared-library closure of compiled code, a language's own finishing
// steps), so no tool is assumed in any image.
package main

import (
	"fmt"
	"os"

	"github.com/distill-build/distill/frontend"
	"github.com/distill-build/distill/frontend/helper"
	"github.com/distill-build/distill/frontend/resolve"
	"github.com/moby/buildkit/frontend/gateway/grpcclient"
	"github.com/moby/buildkit/util/appcontext"
	_ "github.com/moby/buildkit/util/grpcutil/encoding/proto"
)

func main() {
	if len(os.Args) > 1 {
		os.Exit(helper.Main(os.Args[1:], os.Stdout, os.Stderr, resolve.Helpers()))
	}
	if err := grpcclient.RunFromEnvironment(appcontext.Context(), frontend.Build); err != nil {
		fmt.Fprintf(os.Stderr, "distill: %v\n", err)
		os.Exit(1)
	}
}
