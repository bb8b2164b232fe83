package frontend

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/resolve"
	"github.com/distill-build/distill/llb/sourcemap"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/util/grpcerrors"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// threeMistakes is a manifest with a mistake the provider finds (line 3),
// one resolve finds (line 4) and one the decoder finds (line 6), and the
// error planning it returns.
func threeMistakes(t *testing.T) ([]byte, error) {
	t.Helper()
	data := []byte("# syntax=ghcr.io/distill-build/distill:1\nlanguage: go\nversion: latest\nuser: www-data\ncgo: false\nexpose: [99999]\n")
	m, err := manifest.Parse(manifest.DefaultFilename, data)
	if m == nil {
		t.Fatal(err)
	}
	app := fstest.MapFS{"go.mod": {Data: []byte("module example.com/x\n\ngo 1.26\n")}, "main.go": {Data: []byte("package main\nfunc main() {}\n")}}
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	_, _, err = resolve.Checked(context.Background(), m, contextfs.FS{FS: app}, resolve.Options{BuildPlatform: amd64})
	if n := len(manifest.Errors(err)); n != 3 {
		t.Fatalf("planning found %d mistakes, want 3: %v", n, err)
	}
	return data, err
}

// TestSourceErrorEveryMistake: the frontend's error for a manifest with
// several mistakes carries a source per mistake, in file order, each
// marking its line, as buildx prints them (errdefs.Sources, then each
// one's Print), also after the two gRPC hops between the frontend and
// the client (each hop reverses the order of an error's sources), and
// its message names every mistake.
func TestSourceErrorEveryMistake(t *testing.T) {
	t.Parallel()
	data, planErr := threeMistakes(t)
	sm := sourcemap.New(llb.NewSourceMap(nil, manifest.DefaultFilename, "yaml", data))
	err := sourceError(sm, planErr)

	hops := map[string]error{"in the frontend": err}
	ctx := context.Background()
	// The frontend returns its error to the daemon (the gateway's
	// Return), the daemon to the client (the control API's Solve).
	daemon := grpcerrors.FromGRPC(grpcerrors.ToGRPC(ctx, err))
	hops["at the client"] = grpcerrors.FromGRPC(grpcerrors.ToGRPC(ctx, daemon))
	for where, err := range hops {
		var printed []string
		for _, s := range errdefs.Sources(err) {
			var b bytes.Buffer
			if err := s.Print(&b); err != nil {
				t.Fatal(err)
			}
			printed = append(printed, b.String())
		}
		if len(printed) != 3 {
			t.Fatalf("%s: %d sources, want one per mistake:\n%s", where, len(printed), strings.Join(printed, ""))
		}
		for i, line := range []string{"3 | >>> version: latest", "4 | >>> user: www-data", "6 | >>> expose: [99999]"} {
			if !strings.Contains(printed[i], line) || strings.Count(printed[i], ">>>") != 1 {
				t.Errorf("%s: source %d =\n%swant it to mark only %q", where, i+1, printed[i], line)
			}
		}
		for _, msg := range []string{`distill.yaml:3:10: invalid Go version "latest"`, `distill.yaml:4:7: unknown user "www-data"`, `distill.yaml:6:10: invalid port "99999"`} {
			if !strings.Contains(err.Error(), msg) {
				t.Errorf("%s: the message lacks %q:\n%v", where, msg, err)
			}
		}
	}
}

// TestLintEveryMistake: `--call=check` on a manifest with several
// mistakes answers one build error that names each, with each line
// marked in its snippet.
func TestLintEveryMistake(t *testing.T) {
	t.Parallel()
	data, planErr := threeMistakes(t)
	res := lintResults(llb.NewSourceMap(nil, manifest.DefaultFilename, "yaml", data), nil, planErr)
	if res.Error == nil {
		t.Fatal("no build error")
	}
	if n := len(strings.Split(res.Error.Message, "\n")); n != 3 || len(res.Error.Location.Ranges) != 3 {
		t.Errorf("build error = %q at %d ranges, want 3 lines and ranges", res.Error.Message, len(res.Error.Location.Ranges))
	}
	var b bytes.Buffer
	res.PrintErrorTo(&b, nil)
	for _, l := range []int{3, 4, 6} {
		if !strings.Contains(b.String(), fmt.Sprintf("%d | >>>", l)) {
			t.Errorf("line %d is not marked:\n%s", l, b.String())
		}
	}
}
