package frontend

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/resolve"
	"github.com/distill-build/distill/llb/compile"
	"github.com/moby/buildkit/client/llb"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/apicaps"
	apicapspb "github.com/moby/buildkit/util/apicaps/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// capsOf are the LLB capabilities a buildkitd of release v reports, as
// far as capSince knows them: every capability of this BuildKit library
// that is not newer than v.
func capsOf(v string) apicaps.CapSet {
	var out []*apicapspb.APICap
	for _, c := range pb.Caps.All() {
		if since, ok := capSince[apicaps.CapID(c.ID)]; ok && releaseLess(v, since) {
			continue
		}
		out = append(out, c)
	}
	return pb.Caps.CapSet(out)
}

// secretEnvStep needs exec.secretenv (BuildKit v0.10.0).
func secretEnvStep(t *testing.T) *pb.Definition {
	t.Helper()
	st := llb.Image("docker.io/library/node:24-trixie-slim").Run(
		llb.Args([]string{"npm", "ci"}),
		llb.AddSecret("NPM_TOKEN", llb.SecretID("npm-token"), llb.SecretAsEnv(true), llb.SecretOptional),
		llb.WithCustomName("[node] npm ci"),
	).Root()
	def, err := st.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return def.ToPB()
}

func TestCheckDefinitionMissingCap(t *testing.T) {
	err := checkDefinition(secretEnvStep(t), capsOf("v0.9.3"))
	var ce *CapError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *CapError", err)
	}
	if len(ce.Missing) != 1 || ce.Missing[0].ID != pb.CapExecSecretEnv || ce.Missing[0].Since != "v0.10.0" ||
		strings.Join(ce.Missing[0].Steps, ",") != "[node] npm ci" {
		t.Errorf("missing = %+v", ce.Missing)
	}
	want := `this buildkitd lacks what the build needs: the LLB capability exec.secretenv, in BuildKit v0.10.0 and later, for step "[node] npm ci"; upgrade BuildKit to v0.10.0 or newer (Docker Engine or Docker Desktop for docker build, the builder's buildkitd for buildx)`
	if err.Error() != want {
		t.Errorf("error:\n%s\nwant:\n%s", err, want)
	}
}

func TestCheckDefinitionSupported(t *testing.T) {
	for _, caps := range []apicaps.CapSet{capsOf("v0.10.0"), pb.Caps.CapSet(pb.Caps.All()), {}} {
		if err := checkDefinition(secretEnvStep(t), caps); err != nil {
			t.Errorf("checkDefinition: %v", err)
		}
	}
	if err := checkDefinition(nil, capsOf("v0.3.0")); err != nil {
		t.Errorf("nil definition: %v", err)
	}
}

// TestCheckDefinitionSeveral: every missing capability with its steps,
// and the release that has them all.
func TestCheckDefinitionSeveral(t *testing.T) {
	base := llb.Image("docker.io/library/golang:1.26-trixie")
	a := base.Run(llb.Args([]string{"true"}), llb.AddSecret("TOKEN", llb.SecretID("t"), llb.SecretAsEnv(true)), llb.WithCustomName("step a")).Root()
	b := base.Run(llb.Args([]string{"true"}), llb.ValidExitCodes(0, 1), llb.WithCustomName("step b")).Root()
	c := base.Run(llb.Args([]string{"true"}), llb.ValidExitCodes(0, 2), llb.WithCustomName("step c")).Root()
	st := llb.Merge([]llb.State{a, b, c})
	def, err := st.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	err = checkDefinition(def.ToPB(), capsOf("v0.9.0"))
	var ce *CapError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v", err)
	}
	var ids []string
	for _, m := range ce.Missing {
		ids = append(ids, string(m.ID))
	}
	if got := strings.Join(ids, " "); got != "exec.secretenv exec.validexitcode mergeop" {
		t.Errorf("missing %s", got)
	}
	if v, ok := ce.MinVersion(); !ok || v != "v0.17.0" {
		t.Errorf("MinVersion = %q, %v", v, ok)
	}
	for _, want := range []string{`exec.validexitcode, in BuildKit v0.17.0 and later, for steps "step b", "step c"`, `the LLB capability mergeop, in BuildKit v0.10.0 and later;`, "upgrade BuildKit to v0.17.0 or newer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, err)
		}
	}
}

func TestCheckDefinitionDisabled(t *testing.T) {
	var caps []*apicapspb.APICap
	for _, c := range pb.Caps.All() {
		if c.ID == string(pb.CapExecSecretEnv) {
			c.Enabled = false
			c.DisabledReasonMsg = "turned off by the administrator"
		}
		caps = append(caps, c)
	}
	err := checkDefinition(secretEnvStep(t), pb.Caps.CapSet(caps))
	if err == nil || !strings.Contains(err.Error(), "exec.secretenv, disabled on it: turned off by the administrator") || strings.Contains(err.Error(), "upgrade") {
		t.Errorf("err = %v", err)
	}
}

func TestQuoteSteps(t *testing.T) {
	if got := quoteSteps([]string{"a", "b", "c", "d", "e"}, 3); got != `"a", "b", "c" and 2 more` {
		t.Errorf("quoteSteps = %s", got)
	}
}

func TestReleaseLess(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{{"v0.9.3", "v0.10.0", true}, {"v0.10.0", "v0.9.3", false}, {"v0.26.0", "v0.26.0", false}, {"v0.12.5", "v0.13.0", true}} {
		if got := releaseLess(tc.a, tc.b); got != tc.want {
			t.Errorf("releaseLess(%s, %s) = %v", tc.a, tc.b, got)
		}
	}
}

// fakeClient is a gateway client that records solves.
type fakeClient struct {
	gwclient.Client
	caps   apicaps.CapSet
	solved int
}

func (f *fakeClient) BuildOpts() gwclient.BuildOpts { return gwclient.BuildOpts{LLBCaps: f.caps} }

func (f *fakeClient) Solve(context.Context, gwclient.SolveRequest) (*gwclient.Result, error) {
	f.solved++
	return &gwclient.Result{}, nil
}

// TestWithCapChecks: a definition the daemon cannot run is refused before
// it reaches the daemon; others go through.
func TestWithCapChecks(t *testing.T) {
	f := &fakeClient{caps: capsOf("v0.9.3")}
	c := withCapChecks(f)
	if withCapChecks(c) != c {
		t.Error("wrapped twice")
	}
	_, err := c.Solve(context.Background(), gwclient.SolveRequest{Definition: secretEnvStep(t)})
	var ce *CapError
	if !errors.As(err, &ce) || f.solved != 0 {
		t.Fatalf("err = %v, solved = %d", err, f.solved)
	}
	if _, err := c.Solve(context.Background(), gwclient.SolveRequest{}); err != nil || f.solved != 1 {
		t.Fatalf("err = %v, solved = %d", err, f.solved)
	}
	if cf, ok := c.(interface{ CurrentFrontend() (*llb.State, error) }); !ok {
		t.Error("CurrentFrontend is not passed on")
	} else if st, err := cf.CurrentFrontend(); st != nil || err != nil {
		t.Errorf("CurrentFrontend = %v, %v", st, err)
	}
}

// TestExamplesBuildKitFloor compiles every example (no daemon) and checks
// its definitions against older releases: the Go examples need nothing
// the lab's older buildkitd (v0.7.0, lab/old-buildkitd.sh) lacks, and
// every example runs on v0.10.0 (Python and Node.js installs take their
// secrets as environment variables: exec.secretenv). Raising either is a
// change to document (lab/README.md).
func TestExamplesBuildKitFloor(t *testing.T) {
	ctx := context.Background()
	var dirs []string // every manifest, a monorepo's apps included
	err := filepath.WalkDir(filepath.Join("..", "examples"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "distill.yaml" {
			dirs = append(dirs, p)
		}
		return err
	})
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	build := platforms.MustParse("linux/amd64")
	for _, mf := range dirs {
		dir := filepath.Dir(mf)
		name, _ := filepath.Rel(filepath.Join("..", "examples"), dir)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(mf)
			if err != nil {
				t.Fatal(err)
			}
			m, err := manifest.Parse("distill.yaml", data)
			if err != nil {
				t.Fatal(err)
			}
			floor := "v0.10.0"
			if strings.HasPrefix(name, "go-") {
				floor = "v0.7.0"
			}
			// An app below its example's directory is built with that
			// directory as the context (a workspace's root, or the one
			// holding the app's path dependencies), as the frontend finds it.
			root := dir
			if top, rel, ok := strings.Cut(filepath.ToSlash(name), "/"); ok {
				top = filepath.Join("..", "examples", top)
				ws, err := resolve.WorkspaceRoot(ctx, contextfs.Dir(top), m, rel)
				if err != nil {
					t.Fatal(err)
				}
				if ws != "" {
					root = filepath.Join(top, filepath.FromSlash(ws))
					m.InRoot = path.Join(m.Member, manifest.DefaultFilename)
				}
			}
			for _, pl := range []string{"linux/amd64", "linux/arm64"} {
				p, err := resolve.Resolve(ctx, m, contextfs.Dir(root), resolve.Options{BuildPlatform: build, Platforms: []ocispecs.Platform{platforms.MustParse(pl)}})
				if err != nil {
					t.Fatal(err)
				}
				fe := llb.Image("ghcr.io/distill-build/distill:1")
				for _, target := range p.Targets {
					res, err := compile.Target(ctx, target, compile.Options{Context: llb.Local("context"), Frontend: &fe})
					if err != nil {
						t.Fatal(err)
					}
					for _, st := range []llb.State{res.State, res.Builder} {
						def, err := st.Marshal(ctx)
						if err != nil {
							t.Fatal(err)
						}
						if err := checkDefinition(def.ToPB(), capsOf(floor)); err != nil {
							t.Errorf("%s on BuildKit %s: %v", pl, floor, err)
						}
					}
				}
			}
		})
	}
}
