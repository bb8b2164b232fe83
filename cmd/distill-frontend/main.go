// Command distill-frontend is the distill BuildKit frontend: the image
// named on the manifest's `# syntax=` line runs it, and it talks to
// BuildKit over stdin/stdout (so it never writes to stdout itself).
package main

import (
	"fmt"
	"os"

	"github.com/distill-build/distill/frontend"
	"github.com/moby/buildkit/frontend/gateway/grpcclient"
	"github.com/moby/buildkit/util/appcontext"
	_ "github.com/moby/buildkit/util/grpcutil/encoding/proto"
)

func main() {
	if err := grpcclient.RunFromEnvironment(appcontext.Context(), frontend.Build); err != nil {
		fmt.Fprintf(os.Stderr, "distill: %v\n", err)
		os.Exit(1)
	}
}
