package compile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distill-build/distill/llb/plan"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/solver/pb"
	"github.com/opencontainers/go-digest"
)

func testTarget() plan.Target {
	goEnv := []string{"GOCACHE=/root/.cache/go-build", "GOMODCACHE=/go/pkg/mod"}
	return plan.Target{
		Platform: "linux/arm64",
		Builder:  plan.Image{Ref: "docker.io/library/golang:1.26-trixie", Platform: "linux/amd64"},
		Runtime:  plan.Image{Ref: "gcr.io/distroless/static-debian13:nonroot", Platform: "linux/arm64"},
		Steps: []plan.Step{
			{Name: "[go] copy go.mod and go.sum", Copy: &plan.Copy{Paths: []string{"go.mod", "go.sum"}, Dest: "/src"}},
			{Name: "[go] go mod download", Run: &plan.Run{Args: []string{"go", "mod", "download"}, Dir: "/src", Env: goEnv, Network: true,
				Caches: []plan.Cache{{ID: "go-mod", Target: "/go/pkg/mod", Sharing: "shared"}}}},
			{Name: "[go] copy sources", Copy: &plan.Copy{Dest: "/src"}},
			{Name: "[go] go build .", Run: &plan.Run{Args: []string{"go", "build", "-o", "/out/app", "."}, Dir: "/src", Env: goEnv}},
		},
		Artifacts: []plan.Artifact{
			{From: plan.FromBuilder, Src: "/out/app", Dest: "/app/app"},
			{From: plan.FromContext, Src: "static", Dest: "/app/static"},
		},
		Config: plan.Config{Entrypoint: []string{"/app/app"}, User: "65532:65532", WorkingDir: "/app", Env: []string{"B=2", "A=1"}, ExposedPorts: []string{"8080/tcp"}},
	}
}

func marshal(t *testing.T, tgt plan.Target) *llb.Definition {
	t.Helper()
	res, err := Target(context.Background(), tgt, Options{Context: llb.Local("context", llb.LocalUniqueID("test")), CacheNS: "ns-"})
	if err != nil {
		t.Fatal(err)
	}
	def, err := res.State.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return def
}

// TestDeterministic compiles the same target many times: the definition
// bytes must not change (no map order, clock or random ids).
func TestDeterministic(t *testing.T) {
	t.Parallel()
	first := marshal(t, testTarget())
	for range 25 {
		next := marshal(t, testTarget())
		if len(next.Def) != len(first.Def) {
			t.Fatalf("op count changed: %d != %d", len(next.Def), len(first.Def))
		}
		for i := range first.Def {
			if !bytes.Equal(first.Def[i], next.Def[i]) {
				t.Fatalf("op %d differs between two marshals", i)
			}
		}
	}
}

func execOps(t *testing.T, def *llb.Definition) []*pb.ExecOp {
	t.Helper()
	var out []*pb.ExecOp
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		if e := op.GetExec(); e != nil {
			out = append(out, e)
		}
	}
	return out
}

func TestRunSteps(t *testing.T) {
	t.Parallel()
	execs := execOps(t, marshal(t, testTarget()))
	if len(execs) != 2 {
		t.Fatalf("got %d exec ops, want 2", len(execs))
	}
	var download, build *pb.ExecOp
	for _, e := range execs {
		switch e.Meta.Args[1] {
		case "mod":
			download = e
		case "build":
			build = e
		}
	}
	if download == nil || build == nil {
		t.Fatal("missing download or build op")
	}
	// The download step reaches the network with the CA bundle secret,
	// optional, mounted over the builder's bundle.
	if download.Network != pb.NetMode_UNSET {
		t.Errorf("download network = %v", download.Network)
	}
	var secret, cache bool
	for _, m := range download.Mounts {
		if m.MountType == pb.MountType_SECRET && m.Dest == caBundle && m.SecretOpt.ID == DefaultCASecret && m.SecretOpt.Optional {
			secret = true
		}
		if m.MountType == pb.MountType_CACHE && m.CacheOpt.ID == "ns-distill-go-mod" {
			cache = true
		}
	}
	if !secret || !cache {
		t.Errorf("download mounts: secret=%v cache=%v", secret, cache)
	}
	if !slices.Contains(download.Meta.Env, "SSL_CERT_FILE="+caBundle) {
		t.Errorf("download env lacks SSL_CERT_FILE: %v", download.Meta.Env)
	}
	// An offline step gets no network and no secret.
	if build.Network != pb.NetMode_NONE {
		t.Errorf("build network = %v, want none", build.Network)
	}
	for _, m := range build.Mounts {
		if m.MountType == pb.MountType_SECRET {
			t.Errorf("offline step has a secret mount")
		}
	}
	if !slices.IsSorted(download.Meta.Env) {
		t.Errorf("env not sorted: %v", download.Meta.Env)
	}
}

func TestImageConfig(t *testing.T) {
	t.Parallel()
	res, err := Target(context.Background(), testTarget(), Options{Context: llb.Local("context", llb.LocalUniqueID("test")), Labels: map[string]string{"org.opencontainers.image.revision": "abc"}})
	if err != nil {
		t.Fatal(err)
	}
	img := res.Image
	if img.Architecture != "arm64" || img.OS != "linux" || img.Variant != "v8" {
		t.Errorf("platform = %s/%s/%s", img.OS, img.Architecture, img.Variant)
	}
	if img.Config.User != "65532:65532" || img.Config.WorkingDir != "/app" || strings.Join(img.Config.Entrypoint, " ") != "/app/app" {
		t.Errorf("config = %+v", img.Config)
	}
	if _, ok := img.Config.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("ports = %v", img.Config.ExposedPorts)
	}
	if img.Config.Labels["org.opencontainers.image.revision"] != "abc" {
		t.Errorf("labels = %v", img.Config.Labels)
	}
	if img.Created != nil {
		t.Errorf("created set without SOURCE_DATE_EPOCH")
	}
}

func TestMergeEnv(t *testing.T) {
	t.Parallel()
	got := mergeEnv([]string{"PATH=/usr/bin", "SSL_CERT_FILE=/x"}, []string{"A=1", "PATH=/app"})
	want := []string{"PATH=/app", "SSL_CERT_FILE=/x", "A=1"}
	if !slices.Equal(got, want) {
		t.Errorf("mergeEnv = %v, want %v", got, want)
	}
}

func pythonTarget() plan.Target {
	return plan.Target{
		Platform: "linux/amd64",
		Builder:  plan.Image{Ref: "docker.io/library/python:3.12-slim-trixie", Platform: "linux/amd64"},
		Runtime:  plan.Image{Ref: "gcr.io/distroless/cc-debian13:nonroot", Platform: "linux/amd64"},
		Steps: []plan.Step{
			{Name: "[python] requirements", Write: &plan.Write{Path: "/tmp/distill/req.txt", Content: "six==1.16.0 --hash=sha256:aa\n"}},
			{Name: "[python] pip install", Run: &plan.Run{Args: []string{"pip", "install", "-r", "/tmp/distill/req.txt"}, Dir: "/app", Network: true,
				Secrets: []plan.Secret{{ID: "pip-index-url", Env: "PIP_INDEX_URL"}, {ID: "netrc", Target: "/root/.netrc"}}}},
			{Name: "[python] copy sources", Copy: &plan.Copy{Dest: "/app", Exclude: []string{".venv", "distill.yaml"}}},
			{Name: "[python] finalize", Run: &plan.Run{Args: []string{"/.distill/bin/distill-frontend", "python-finalize"}, Dir: "/",
				Mounts: []plan.Mount{{From: plan.MountFrontend, Target: "/.distill"}, {From: plan.MountRuntime, Target: "/.distill-runtime"}}}},
		},
		Artifacts: []plan.Artifact{{From: plan.FromBuilder, Src: "/app", Dest: "/app"}, {From: plan.FromBuilder, Src: "/out/sysroot", Dest: "/"}},
		Config:    plan.Config{Entrypoint: []string{"/app/.venv/bin/python", "main.py"}, User: "65532:65532", WorkingDir: "/app", Env: []string{"PATH=/app/.venv/bin:${PATH}"}},
	}
}

func TestPythonSteps(t *testing.T) {
	t.Parallel()
	frontend := llb.Image("ghcr.io/distill-build/distill:1")
	compileIt := func() *llb.Definition {
		res, err := Target(context.Background(), pythonTarget(), Options{Context: llb.Local("context", llb.LocalUniqueID("test")), Frontend: &frontend})
		if err != nil {
			t.Fatal(err)
		}
		def, err := res.State.Marshal(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return def
	}
	def := compileIt()
	for range 10 {
		if next := compileIt(); !slices.EqualFunc(def.Def, next.Def, bytes.Equal) {
			t.Fatal("two compilations differ")
		}
	}
	var install, finalize *pb.ExecOp
	for _, e := range execOps(t, def) {
		switch e.Meta.Args[0] {
		case "pip":
			install = e
		case "/.distill/bin/distill-frontend":
			finalize = e
		}
	}
	if install == nil || finalize == nil {
		t.Fatal("missing exec ops")
	}
	var envSecret bool
	for _, s := range install.Secretenv {
		if s.ID == "pip-index-url" && s.Name == "PIP_INDEX_URL" && s.Optional {
			envSecret = true
		}
	}
	var netrc bool
	for _, m := range install.Mounts {
		if m.MountType == pb.MountType_SECRET && m.Dest == "/root/.netrc" && m.SecretOpt.ID == "netrc" && m.SecretOpt.Optional {
			netrc = true
		}
	}
	if !envSecret || !netrc {
		t.Errorf("install secrets: env=%v netrc=%v (%v)", envSecret, netrc, install.Secretenv)
	}
	var readonly int
	for _, m := range finalize.Mounts {
		if (m.Dest == "/.distill" || m.Dest == "/.distill-runtime") && m.Readonly {
			readonly++
		}
	}
	if readonly != 2 || finalize.Network != pb.NetMode_NONE {
		t.Errorf("finalize: %d read-only image mounts, network %v", readonly, finalize.Network)
	}
	if _, err := Target(context.Background(), pythonTarget(), Options{Context: llb.Local("context")}); err == nil || !strings.Contains(err.Error(), "frontend image is not available") {
		t.Errorf("without the frontend image: %v", err)
	}
}

func TestMergeEnvExpands(t *testing.T) {
	t.Parallel()
	got := mergeEnv([]string{"PATH=/usr/bin:/bin"}, []string{"PATH=/app/.venv/bin:${PATH}", "X=${NOPE}", "Y=$HOME"})
	want := []string{"PATH=/app/.venv/bin:/usr/bin:/bin", "X=", "Y=$HOME"}
	if !slices.Equal(got, want) {
		t.Errorf("mergeEnv = %v, want %v", got, want)
	}
}

// fakeResolver answers every image with one config.
type fakeResolver struct{ config string }

func (f fakeResolver) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	return ref, digest.FromString(ref), []byte(f.config), nil
}

// TestPrependBaseEntrypoint: the app runs with the interpreter the runtime
// image names as its entrypoint, read from its config; a runtime without
// one is an error.
func TestPrependBaseEntrypoint(t *testing.T) {
	t.Parallel()
	tgt := testTarget()
	tgt.Config.Entrypoint = []string{"--enable-source-maps", "server.js"}
	tgt.Config.PrependBaseEntrypoint = true
	opts := Options{Context: llb.Local("context", llb.LocalUniqueID("test")),
		Resolver: fakeResolver{`{"architecture":"arm64","os":"linux","config":{"Entrypoint":["/nodejs/bin/node"]}}`}}
	res, err := Target(context.Background(), tgt, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(res.Image.Config.Entrypoint, " "); got != "/nodejs/bin/node --enable-source-maps server.js" {
		t.Errorf("entrypoint = %q", got)
	}
	opts.Resolver = fakeResolver{`{"architecture":"arm64","os":"linux","config":{}}`}
	if _, err := Target(context.Background(), tgt, opts); err == nil || !strings.Contains(err.Error(), "has no entrypoint") {
		t.Errorf("err = %v, want the missing entrypoint named", err)
	}
}

// TestFallback: a probing step that reports failure is replaced by its
// fallback, an emulated step that shares the source directory with the
// build; a passing probe keeps the step.
func TestFallback(t *testing.T) {
	t.Parallel()
	tgt := testTarget()
	tgt.Steps[1].Run.Probe = "/tmp/probe"
	tgt.Steps[1].Run.Fallback = &plan.Step{Name: "[go] emulated download", Run: &plan.Run{
		Args: []string{"go", "mod", "download"}, Dir: "/src",
		Emulated: &plan.Emulated{
			Builder: plan.Image{Ref: "docker.io/library/golang:1.26-trixie", Platform: "linux/arm64"},
			Dirs:    []string{"/src"},
		},
	}}
	for _, tc := range []struct {
		status string
		want   []string
	}{
		{"ok\n", []string{"go mod download"}},
		{"no wheel", []string{"emulated download", "[distill] mkdir /src"}},
	} {
		probed := false
		opts := Options{Context: llb.Local("context", llb.LocalUniqueID("test")),
			Probe: func(_ context.Context, _ llb.State, p string) ([]byte, error) {
				probed = p == "/tmp/probe"
				return []byte(tc.status), nil
			}}
		res, err := Target(context.Background(), tgt, opts)
		if err != nil {
			t.Fatal(err)
		}
		def, err := res.State.Marshal(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !probed {
			t.Errorf("%q: the probe file was not read", tc.status)
		}
		var names []string
		for _, m := range def.Metadata {
			names = append(names, m.Description["llb.customname"])
		}
		all := strings.Join(names, "\n")
		for _, w := range tc.want {
			if !strings.Contains(all, w) {
				t.Errorf("probe %q: ops lack %q:\n%s", tc.status, w, all)
			}
		}
		var arms []string
		for _, dt := range def.Def {
			var op pb.Op
			if err := op.UnmarshalVT(dt); err != nil {
				t.Fatal(err)
			}
			if e := op.GetExec(); e != nil && op.Platform.Architecture == "arm64" {
				arms = append(arms, strings.Join(e.Meta.Args, " "))
				shared := false
				for _, m := range e.Mounts {
					shared = shared || (m.Dest == "/src" && m.Selector == "/src" && m.Output != int64(pb.SkipOutput))
				}
				if !shared {
					t.Errorf("the emulated step does not write to the build's /src: %v", e.Mounts)
				}
			}
		}
		want := []string{}
		if tc.status != "ok\n" {
			want = []string{"go mod download"}
		}
		if !slices.Equal(arms, want) {
			t.Errorf("probe %q: commands run on arm64 = %q, want %q", tc.status, arms, want)
		}
	}
}

// platformResolver answers only for the platforms it has.
type platformResolver struct{ have []string }

func (r platformResolver) ResolveImageConfig(_ context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	p := opt.ImageOpt.Platform
	id := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		id += "/" + p.Variant
	}
	if !slices.Contains(r.have, id) {
		return "", "", nil, fmt.Errorf("%s: no match for platform in manifest: not found", ref)
	}
	return ref, digest.FromString(ref + id), []byte(`{"architecture":"` + p.Architecture + `","os":"linux"}`), nil
}

// TestPlatformNotPublished: an image missing for the target platform is a
// PlatformError naming the platforms it has.
func TestPlatformNotPublished(t *testing.T) {
	t.Parallel()
	tgt := testTarget()
	tgt.Platform, tgt.Runtime.Platform = "linux/s390x", "linux/s390x"
	_, err := Target(context.Background(), tgt, Options{Context: llb.Local("context", llb.LocalUniqueID("test")),
		Resolver: platformResolver{have: []string{"linux/amd64", "linux/arm64"}}})
	var pe *PlatformError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a PlatformError", err)
	}
	if pe.Role != "runtime" || pe.Platform != "linux/s390x" || strings.Join(pe.Available, ",") != "linux/amd64,linux/arm64" {
		t.Errorf("got %+v", pe)
	}
}

// TestImageNotFound: an image that resolves for no platform (a builder
// tag of a release that has no image) is a ResolveError carrying the
// origin and the facts of its choice.
func TestImageNotFound(t *testing.T) {
	t.Parallel()
	tgt := testTarget()
	tgt.Platform, tgt.Runtime.Platform = "linux/amd64", "linux/amd64"
	tgt.Builder.Ref = "docker.io/library/golang:1.18-trixie"
	tgt.Builder.Origin = plan.Origin{Field: "language", Line: 3}
	tgt.Builder.Facts = plan.Facts{Toolchain: "Go", Version: "1.18", Why: "the official Go image of the module's version"}
	err := CheckImages(context.Background(), tgt, Options{Resolver: missingResolver{ref: tgt.Builder.Ref}})
	var re *ResolveError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a ResolveError", err)
	}
	if re.Role != "builder" || re.Origin.Line != 3 || re.Facts.Version != "1.18" || !strings.Contains(err.Error(), "golang:1.18-trixie: not found") {
		t.Errorf("got %+v: %v", re, err)
	}
}

// TestCheckImagesFirstError: the images are resolved at once, and with
// two missing the error is the first's in the target's order (the
// runtime's), however late its answer comes.
func TestCheckImagesFirstError(t *testing.T) {
	t.Parallel()
	tgt := testTarget()
	tgt.Platform, tgt.Runtime.Platform = "linux/amd64", "linux/amd64"
	slow := slowMissing{slow: tgt.Runtime.Ref, fast: tgt.Builder.Ref}
	for range 5 {
		var re *ResolveError
		if err := CheckImages(context.Background(), tgt, Options{Resolver: slow}); !errors.As(err, &re) || re.Role != "runtime" {
			t.Fatalf("err = %v, want the runtime's ResolveError", err)
		}
	}
}

// slowMissing finds neither image: slow after a while, fast at once.
type slowMissing struct{ slow, fast string }

func (r slowMissing) ResolveImageConfig(ctx context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	switch ref {
	case r.slow:
		time.Sleep(20 * time.Millisecond)
		fallthrough
	case r.fast:
		return "", "", nil, fmt.Errorf("%s: not found", ref)
	}
	return platformResolver{have: []string{"linux/amd64"}}.ResolveImageConfig(ctx, ref, opt)
}

// missingResolver resolves every image but ref, for no platform.
type missingResolver struct{ ref string }

func (r missingResolver) ResolveImageConfig(ctx context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	if ref == r.ref {
		return "", "", nil, fmt.Errorf("%s: not found", ref)
	}
	return platformResolver{have: []string{"linux/amd64"}}.ResolveImageConfig(ctx, ref, opt)
}

// TestExecOptions: the client's --add-host, --network, --shm-size and
// --ulimit reach the exec ops; --network=none takes the downloading
// steps off the network too.
func TestExecOptions(t *testing.T) {
	e := Exec{ExtraHosts: []llb.HostIP{{Host: "git.internal", IP: net.ParseIP("10.0.0.7")}}, ShmSize: 1 << 20,
		Ulimits: []*pb.Ulimit{{Name: "nofile", Soft: 1024, Hard: 2048}}, Devices: []*pb.CDIDevice{{Name: "vendor.com/gpu=all", Optional: true}}}
	exec := func(e Exec, network bool) *pb.ExecOp {
		st := llb.Image("docker.io/library/golang:1.26-trixie").Run(append([]llb.RunOption{llb.Args([]string{"true"})}, e.options(network)...)...).Root()
		def, err := st.Marshal(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, dt := range def.Def {
			var op pb.Op
			if err := op.UnmarshalVT(dt); err != nil {
				t.Fatal(err)
			}
			if x := op.GetExec(); x != nil {
				return x
			}
		}
		t.Fatal("no exec op")
		return nil
	}
	x := exec(e, true)
	if len(x.Meta.ExtraHosts) != 1 || x.Meta.ExtraHosts[0].Host != "git.internal" || x.Network != pb.NetMode_UNSET {
		t.Errorf("downloading step: hosts %v, network %v", x.Meta.ExtraHosts, x.Network)
	}
	if len(x.Meta.Ulimit) != 1 || x.Meta.Ulimit[0].Hard != 2048 {
		t.Errorf("ulimits %v", x.Meta.Ulimit)
	}
	if len(x.CdiDevices) != 1 || x.CdiDevices[0].Name != "vendor.com/gpu=all" || !x.CdiDevices[0].Optional {
		t.Errorf("devices %v", x.CdiDevices)
	}
	shm := false
	for _, m := range x.Mounts {
		shm = shm || (m.Dest == "/dev/shm" && m.TmpfsOpt.GetSize() == 1<<20)
	}
	if !shm {
		t.Errorf("no /dev/shm tmpfs of 1 MiB: %v", x.Mounts)
	}
	if x := exec(e, false); x.Network != pb.NetMode_NONE {
		t.Errorf("step without downloads: network %v", x.Network)
	}
	e.Network = pb.NetMode_NONE
	if x := exec(e, true); x.Network != pb.NetMode_NONE {
		t.Errorf("--network=none: downloading step network %v", x.Network)
	}
	e.Network = pb.NetMode_HOST
	if x := exec(e, true); x.Network != pb.NetMode_HOST {
		t.Errorf("--network=host: downloading step network %v", x.Network)
	}
}

// TestNoCacheFilter: --no-cache-filter=runtime re-runs the assembly of
// the image on its base, not the builder's steps; =build the opposite.
func TestNoCacheFilter(t *testing.T) {
	for _, stage := range []string{StageBuild, StageRuntime} {
		res, err := Target(context.Background(), testTarget(), Options{Context: llb.Local("context", llb.LocalUniqueID("test")),
			NoCacheStage: func(s string) bool { return s == stage }})
		if err != nil {
			t.Fatal(err)
		}
		def, err := res.State.Marshal(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		execs, assembly := 0, 0
		for _, dt := range def.Def {
			var op pb.Op
			if err := op.UnmarshalVT(dt); err != nil {
				t.Fatal(err)
			}
			ignored := def.Metadata[digest.FromBytes(dt)].IgnoreCache
			switch {
			case op.GetExec() != nil:
				execs++
				if ignored != (stage == StageBuild) {
					t.Errorf("%s: exec %v ignores the cache: %v", stage, op.GetExec().Meta.Args, ignored)
				}
			case op.GetFile() != nil && strings.HasPrefix(def.Metadata[digest.FromBytes(dt)].Description["llb.customname"], "[distill] add "):
				assembly++
				if ignored != (stage == StageRuntime) {
					t.Errorf("%s: the image assembly ignores the cache: %v", stage, ignored)
				}
			}
		}
		if execs == 0 || assembly == 0 {
			t.Errorf("%s: %d execs, %d assembly copies looked at", stage, execs, assembly)
		}
	}
}

// TestIsolatedStep: an isolated step runs on the builder image, not on
// the build, with its inputs mounted read-only from the build (BuildKit
// keys those on their content) and its outputs copied into the build.
func TestIsolatedStep(t *testing.T) {
	t.Parallel()
	tgt := testTarget()
	tgt.Steps = append(tgt.Steps, plan.Step{Name: "[go] list", Run: &plan.Run{
		Args: []string{"ls", "/out/app"}, Dir: "/", Inputs: []string{"/out/app"}, Outputs: []string{"/out/list"},
	}})
	tgt.Artifacts = append(tgt.Artifacts, plan.Artifact{From: plan.FromBuilder, Src: "/out/list", Dest: "/app/list"})
	def := marshal(t, tgt)
	var exec *pb.ExecOp
	var ops []*pb.Op
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		ops = append(ops, &op)
		if e := op.GetExec(); e != nil && slices.Equal(e.Meta.Args, []string{"ls", "/out/app"}) {
			exec = e
		}
	}
	if exec == nil {
		t.Fatal("no isolated exec")
	}
	var in, out *pb.Mount
	for _, m := range exec.Mounts {
		switch m.Dest {
		case "/out/app":
			in = m
		case "/out/list":
			out = m
		}
	}
	if in == nil || !in.Readonly || in.Selector != "/out/app" || in.Input == exec.Mounts[0].Input {
		t.Errorf("input mount %+v (root from input %d): want the build's /out/app, read-only", in, exec.Mounts[0].Input)
	}
	if out == nil || out.Readonly || out.Input != int64(pb.Empty) {
		t.Errorf("output mount %+v: want a writable empty mount", out)
	}
	copied := false
	for _, op := range ops {
		for _, a := range op.GetFile().GetActions() {
			if c := a.GetCopy(); c != nil && c.Dest == "/out/list" {
				copied = true
			}
		}
	}
	if !copied {
		t.Error("the output is not copied into the build")
	}
	if !bytes.Equal(marshal(t, tgt).Def[len(def.Def)-1], def.Def[len(def.Def)-1]) {
		t.Error("the isolated step's LLB is not deterministic")
	}
}

// TestChoice: the build's choice of runtime, read after the choice step,
// is the runtime the steps after it mount and the image is built on;
// without a probe the prediction stays.
func TestChoice(t *testing.T) {
	t.Parallel()
	tgt := testTarget()
	tgt.Runtime.Ref = "gcr.io/distroless/cc-debian13:nonroot"
	tgt.Config.Labels = map[string]string{"org.opencontainers.image.base.name": tgt.Runtime.Ref}
	cand := func(flavour string) plan.Mount {
		return plan.Mount{From: plan.MountImage, Target: "/c/" + flavour, Image: &plan.Image{
			Ref: "gcr.io/distroless/" + flavour + "-debian13:nonroot", Platform: "linux/arm64", Role: plan.RoleRuntime}}
	}
	choose := plan.Step{Name: "[distill] choose", Run: &plan.Run{Args: []string{"choose"}, Dir: "/",
		Mounts: []plan.Mount{cand("base"), cand("cc")}}}
	libs := plan.Step{Name: "[go] libs", Run: &plan.Run{Args: []string{"libs"}, Dir: "/",
		Mounts: []plan.Mount{{From: plan.MountRuntime, Target: "/rt"}}}}
	tgt.Steps = append(tgt.Steps, choose, libs)
	tgt.Choice = &plan.Choice{After: len(tgt.Steps) - 1, File: "/out/choice",
		Candidates: []plan.Candidate{{Name: "base", Mount: "/c/base"}, {Name: "cc", Mount: "/c/cc"}}}
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"chosen", Options{Probe: func(_ context.Context, _ llb.State, p string) ([]byte, error) {
			if p != "/out/choice" {
				t.Errorf("probed %s", p)
			}
			return []byte("base\n"), nil
		}}, "base-debian13"},
		{"predicted", Options{}, "cc-debian13"},
	} {
		tc.opts.Context = llb.Local("context", llb.LocalUniqueID("test"))
		res, err := Target(context.Background(), tgt, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Image.Config.Labels["org.opencontainers.image.base.name"]; !strings.Contains(got, tc.want) {
			t.Errorf("%s: base label %q, want %s", tc.name, got, tc.want)
		}
		def, err := res.State.Marshal(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var images []string
		for _, dt := range def.Def {
			var op pb.Op
			if err := op.UnmarshalVT(dt); err != nil {
				t.Fatal(err)
			}
			if src := op.GetSource(); src != nil && strings.Contains(src.Identifier, "distroless") {
				images = append(images, src.Identifier)
			}
		}
		// The final image's base and the libs step's runtime mount are the
		// chosen image; the candidates are mounted in the choice step.
		if !slices.ContainsFunc(images, func(s string) bool { return strings.Contains(s, tc.want) }) {
			t.Errorf("%s: images %v lack %s", tc.name, images, tc.want)
		}
	}
	if tgt.Runtime.Ref != "gcr.io/distroless/cc-debian13:nonroot" || tgt.Choice == nil {
		t.Error("compiling changed the caller's target")
	}
}

// TestContextDir: with the app's root in a directory of the context,
// every copy from the context (the dependency files, the whole app, a
// context artifact) reads under it, and copies from the builder do not.
func TestContextDir(t *testing.T) {
	t.Parallel()
	var srcs []string
	for _, c := range contextCopies(t, testTarget(), "services/api") {
		if c.Dest != "/" {
			srcs = append(srcs, c.Src)
		}
	}
	slices.Sort(srcs)
	if got := strings.Join(srcs, " "); got != "/out/app /services/api /services/api/go.mod /services/api/go.sum /services/api/static" {
		t.Errorf("copy sources = %s", got)
	}
}

// TestCopyDir: a copy with a Dir reads under it (and under the app's
// root), its content or its paths landing in Dest as if Dir were the
// context's root.
func TestCopyDir(t *testing.T) {
	t.Parallel()
	tgt := testTarget()
	tgt.Steps = append(tgt.Steps,
		plan.Step{Name: "member", Copy: &plan.Copy{Dir: "apps/api", Dest: "/app", Exclude: []string{"distill.yaml"}}},
		plan.Step{Name: "member file", Copy: &plan.Copy{Dir: "packages", Paths: []string{"shared/pyproject.toml"}, Dest: "/src"}})
	var got []string
	for _, c := range contextCopies(t, tgt, "ws") {
		if strings.HasPrefix(c.Src, "/ws/apps") || strings.HasPrefix(c.Src, "/ws/packages") {
			got = append(got, c.Src+" > "+c.Dest+" -"+strings.Join(c.ExcludePatterns, ","))
		}
	}
	slices.Sort(got)

	if want := "/ws/apps/api > /app -distill.yaml|/ws/packages/shared/pyproject.toml > /src/shared/pyproject.toml -"; strings.Join(got, "|") != want {
		t.Errorf("copies = %q, want %q", got, want)
	}
}

// contextCopies are the copy actions of the target compiled with the
// app's root at contextDir.
func contextCopies(t *testing.T, tgt plan.Target, contextDir string) []*pb.FileActionCopy {
	t.Helper()
	res, err := Target(context.Background(), tgt, Options{Context: llb.Local("context", llb.LocalUniqueID("test")), ContextDir: contextDir})
	if err != nil {
		t.Fatal(err)
	}
	def, err := res.State.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []*pb.FileActionCopy
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		for _, a := range op.GetFile().GetActions() {
			if c := a.GetCopy(); c != nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// TestRegistryUnreachable: a registry that does not answer is a
// ResolveError marked Unreachable, and no other platform is asked for
// (each would wait on the same dead registry); a registry that answers
// "not found" is not unreachable.
func TestRegistryUnreachable(t *testing.T) {
	t.Parallel()
	tgt := testTarget()
	tgt.Platform, tgt.Runtime.Platform = "linux/amd64", "linux/amd64"
	down := &downResolver{ref: tgt.Builder.Ref}
	err := CheckImages(context.Background(), tgt, Options{Resolver: down})
	var re *ResolveError
	if !errors.As(err, &re) || !re.Unreachable || re.Role != "builder" {
		t.Fatalf("err = %v (%+v), want an unreachable builder", err, re)
	}
	if down.asked != 1 {
		t.Errorf("the dead registry was asked %d times, want 1", down.asked)
	}
	for msg, want := range map[string]bool{
		`dial tcp 127.0.0.1:1: connect: connection refused`:                                true,
		`dial tcp: lookup registry-1.docker.io: no such host`:                              true,
		`failed to do request: Head "https://r/v2/x/manifests/1": EOF`:                     true,
		`unexpected status from HEAD request to https://r/v2/: 503 Service Unavailable`:    true,
		`dial tcp 10.0.0.1:443: i/o timeout`:                                               true,
		`tls: failed to verify certificate: x509: certificate signed by unknown authority`: true,
		`docker.io/library/golang:1.18-trixie: not found`:                                  false,
		`pull access denied, repository does not exist or may require authorization`:       false,
	} {
		if got := Unreachable(errors.New(msg)); got != want {
			t.Errorf("Unreachable(%q) = %v, want %v", msg, got, want)
		}
	}
}

// downResolver refuses every lookup of ref as a closed port does.
type downResolver struct {
	ref   string
	asked int
}

func (r *downResolver) ResolveImageConfig(ctx context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	if ref == r.ref {
		r.asked++
		return "", "", nil, errors.New(`failed to do request: Head "https://127.0.0.1:1/v2/x/manifests/1": dial tcp 127.0.0.1:1: connect: connection refused`)
	}
	return platformResolver{have: []string{"linux/amd64"}}.ResolveImageConfig(ctx, ref, opt)
}

// TestArtifactAfterStep: an artifact complete before the last step is
// copied from the builder as that step left it; the others from the last.
func TestArtifactAfterStep(t *testing.T) {
	t.Parallel()
	tgt := testTarget()
	tgt.Artifacts = append(tgt.Artifacts, plan.Artifact{From: plan.FromBuilder, Src: "/go/pkg/mod", Dest: "/mod", Layer: "deps", AfterStep: "[go] go mod download"})
	def := marshal(t, tgt)
	names := map[digest.Digest]string{}
	ops := map[string]*pb.Op{}
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		d := digest.FromBytes(dt)
		names[d] = def.Metadata[d].Description["llb.customname"]
		ops[names[d]] = &op
	}
	from := func(collect string) []string {
		op := ops[collect]
		if op == nil {
			t.Fatalf("no op %q among %v", collect, names)
		}
		var in []string
		for _, i := range op.Inputs {
			in = append(in, names[digest.Digest(i.Digest)])
		}
		return in
	}
	if in := from("[distill] add deps to gcr.io/distroless/static-debian13:nonroot"); !slices.Contains(in, "[go] go mod download") {
		t.Errorf("the deps layer (/mod) copies from %q, want the state after go mod download", in)
	}
	if in := from("[distill] add app to gcr.io/distroless/static-debian13:nonroot"); !slices.Contains(in, "[go] go build .") {
		t.Errorf("the app layer copies from %q, want the last step's state", in)
	}
	tgt.Artifacts[len(tgt.Artifacts)-1].AfterStep = "[go] vet"
	if _, err := Target(context.Background(), tgt, Options{Context: llb.Local("context")}); err == nil || !strings.Contains(err.Error(), `after step "[go] vet"`) {
		t.Errorf("err = %v, want one naming the missing step", err)
	}
}
