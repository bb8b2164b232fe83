package frontend

import (
	"context"
	"fmt"
	"strconv"

	gwclient "github.com/moby/buildkit/frontend/gateway/client"
)

// metaPeakMemory is the result metadata key of the frontend's peak
// resident memory in bytes. BuildKit copies result metadata whose key
// starts with "frontend." into the solve's exporter response, so clients
// read it from `--metadata-file` (buildx, buildctl).
const metaPeakMemory = "frontend.distill.peak-memory"

// reportMemory says how much memory the frontend's process took at most
// during the request, in the build's progress and in the result's
// metadata: BuildKit starts one frontend process per build, so this is
// the frontend's cost of that build (not buildkitd's, nor the steps').
// It is read at the end: after the frontend returns, the build's steps
// run in buildkitd without it. Where the system cannot say, nothing is
// reported.
func (r *request) reportMemory(ctx context.Context, res *gwclient.Result) {
	peak, ok := peakMemory()
	if !ok {
		return
	}
	res.AddMeta(metaPeakMemory, []byte(strconv.FormatInt(peak, 10)))
	r.say(ctx, fmt.Sprintf("%s%.1f MB", peakMemoryMessage, float64(peak)/1e6))
}

// peakMemoryMessage starts the progress line reportMemory writes, which
// is new in every build (never CACHED).
const peakMemoryMessage = "[distill] frontend: peak memory "
