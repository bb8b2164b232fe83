package frontend

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/resolve"
	"github.com/distill-build/distill/llb/compile"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestOutline: --call=outline lists the secrets the FastAPI example's
// steps may use and its cache mounts, each pointing at the manifest line
// that causes it, and the manifest as the source those lines are in.
func TestOutline(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "examples", "python-fastapi")
	data, err := os.ReadFile(filepath.Join(dir, manifest.DefaultFilename))
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Parse(manifest.DefaultFilename, data)
	if err != nil {
		t.Fatal(err)
	}
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	p, err := resolve.Resolve(context.Background(), m, contextfs.Dir(dir), resolve.Options{Platforms: []ocispecs.Platform{amd64}, BuildPlatform: amd64})
	if err != nil {
		t.Fatal(err)
	}
	o := outlineOf(p, data, compile.DefaultCASecret, "ns-", map[string]string{"SOURCE_DATE_EPOCH": "0"})
	var names []string
	for _, s := range o.Secrets {
		names = append(names, s.Name)
		if s.Location == nil || s.Location.Ranges[0].Start.Line < 1 || s.Required {
			t.Errorf("secret %s: location %v, required %v", s.Name, s.Location, s.Required)
		}
	}
	if got := strings.Join(names, ","); got != "ca-bundle,netrc,pip-extra-index-url,pip-index-url" {
		t.Errorf("secrets = %s", got)
	}
	if len(o.Cache) != 1 || o.Cache[0].ID != "ns-distill-pip" {
		t.Errorf("cache mounts = %+v, want ns-distill-pip", o.Cache)
	}
	if len(o.Sources) != 1 || string(o.Sources[0]) != string(data) {
		t.Error("the manifest is not the outline's source")
	}
	if len(o.Args) != 1 || o.Args[0].Name != "SOURCE_DATE_EPOCH" || o.Args[0].Value != "0" {
		t.Errorf("args = %+v", o.Args)
	}
	// buildx prints it with BuildKit's own printer.
	if err := outline.PrintOutline(mustJSON(t, o), &strings.Builder{}); err != nil {
		t.Error(err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	dt, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return dt
}

// TestLintResults: findings become warnings at their manifest lines, an
// error that is a rule's finding is a warning too, any other planning
// error is the build error; either makes the status non-zero.
func TestLintResults(t *testing.T) {
	src := llb.NewSourceMap(nil, "distill.yaml", "yaml", []byte("language: go\nbase: static\n"))
	res := lintResults(src, []check.Finding{{Rule: check.UnpinnedImage, Msg: "m", Hint: "h", Range: manifest.Range{Start: manifest.Pos{Line: 1, Column: 1}, End: manifest.Pos{Line: 1, Column: 13}}}},
		&manifest.Error{File: "distill.yaml", Range: manifest.Range{Start: manifest.Pos{Line: 2, Column: 7}}, Msg: "cgo", Hint: "use base", Rule: check.CgoOnStaticBase.Name})
	if len(res.Warnings) != 2 || res.Error != nil {
		t.Fatalf("results = %+v", res)
	}
	if w := res.Warnings[1]; w.RuleName != "CgoOnStaticBase" || w.Location.Ranges[0].Start.Line != 2 || w.Detail != "cgo (use base)" {
		t.Errorf("warning = %+v", w)
	}
	res = lintResults(src, nil, &manifest.Error{File: "distill.yaml", Range: manifest.Range{Start: manifest.Pos{Line: 1, Column: 11}}, Msg: "unsupported language"})
	if res.Error == nil || res.Error.Message != "unsupported language" || res.Error.Location.Ranges[0].Start.Line != 1 {
		t.Fatalf("error = %+v", res.Error)
	}
	r, err := res.ToResult(nil)
	if err != nil || string(r.Metadata["result.statuscode"]) != "1" {
		t.Fatalf("status = %s, %v", r.Metadata["result.statuscode"], err)
	}
}
