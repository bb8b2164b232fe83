package lock

import (
	"bytes"
	"strings"
	"testing"

	"github.com/distill-build/distill/llb/plan"
)

const (
	d1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	d2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	d3 = "sha256:3333333333333333333333333333333333333333333333333333333333333333"
)

func TestName(t *testing.T) {
	for in, want := range map[string]string{"distill.yaml": "distill.lock", "api.distill.yml": "api.distill.lock", "sub/distill.yaml": "sub/distill.lock", "manifest": "manifest.lock"} {
		if got := Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRoundTripAndApply(t *testing.T) {
	f := &File{Version: Version, Images: []Image{
		{Ref: "gcr.io/distroless/static-debian13:nonroot", Digest: d2, Platforms: map[string]string{"linux/arm64": d3, "linux/amd64": d1}},
		{Ref: "docker.io/library/golang:1.26-trixie", Digest: d1, Platforms: map[string]string{"linux/amd64": d2}},
	}}
	data := f.Marshal()
	if !bytes.Equal(data, f.Marshal()) || strings.Index(string(data), "golang") > strings.Index(string(data), "distroless") {
		t.Fatalf("not deterministic and sorted:\n%s", data)
	}
	g, err := Parse("distill.lock", data)
	if err != nil {
		t.Fatal(err)
	}
	p := &plan.Plan{Targets: []plan.Target{{
		Platform: "linux/arm64",
		Builder:  plan.Image{Ref: "golang:1.26-trixie", Platform: "linux/amd64"},
		Runtime:  plan.Image{Ref: "gcr.io/distroless/static-debian13:nonroot", Platform: "linux/arm64"},
		Steps: []plan.Step{{Name: "build", Run: &plan.Run{Args: []string{"go"}, Emulated: &plan.Emulated{
			Builder: plan.Image{Ref: "golang:1.26-trixie", Platform: "linux/arm64"}, Dirs: []string{"/src"}}}}},
	}}}
	if got := Images(p); len(got) != 3 {
		t.Errorf("Images = %+v, want the builder for two platforms and the runtime", got)
	}
	g.Apply(p)
	tg := p.Targets[0]
	if tg.Builder.Digest != d1 || tg.Builder.Config != d2 {
		t.Errorf("builder = %+v (golang: is docker.io/library/golang)", tg.Builder)
	}
	if tg.Runtime.Digest != d2 || tg.Runtime.Config != d3 {
		t.Errorf("runtime = %+v", tg.Runtime)
	}
	if e := tg.Steps[0].Run.Emulated.Builder; e.Digest != d1 || e.Config != "" {
		t.Errorf("emulated builder = %+v: pinned by the index, no config recorded for arm64", e)
	}
	if !g.Pins("golang:1.26-trixie", "linux/amd64") || g.Pins("golang:1.26-trixie", "linux/arm64") {
		t.Error("Pins")
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		`{"version": 2, "images": []}`,
		`{"version": 1, "images": [{"ref": "x", "digest": "nope", "platforms": {}}]}`,
		`{"version": 1, "images": [], "extra": true}`,
		`not json`,
		`{"version": "1", "images": []}`,
		`{"version": 1, "images": [{"ref": 1}]}`,
		`{"version": 1`,
	} {
		_, err := Parse("distill.lock", []byte(in))
		if err == nil || !strings.Contains(err.Error(), "distill.lock") || !strings.Contains(err.Error(), "distill lock") {
			t.Errorf("Parse(%s) = %v, want an error naming the file and the fix", in, err)
		}
		// The lock's terms, not Go's.
		if err != nil && (strings.Contains(err.Error(), "Go ") || strings.Contains(err.Error(), "json:")) {
			t.Errorf("Parse(%s) = %v, want no Go type names", in, err)
		}
	}
	if _, err := Parse("distill.lock", []byte(`{"version": 1, "images": [{"ref": 1}]}`)); err == nil || !strings.Contains(err.Error(), `"images.ref" is a number, expected a string`) {
		t.Errorf("err = %v, want the field and what it should be", err)
	}
}
