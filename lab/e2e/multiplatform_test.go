package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distill-build/distill/lab/e2e/imagetest"
)

// TestMultiPlatformIndex builds each language's example for linux/amd64
// and linux/arm64 with `docker buildx build`: one image index with both
// platforms (the arm64 config as v8), each image for its architecture, built without
// emulation, the arm64 one run under qemu.
func TestMultiPlatformIndex(t *testing.T) {
	requireLab(t)
	t.Parallel() // see parallelTests
	for _, tc := range []struct {
		example string
		port    int
		want    string
	}{
		{"go-hello", 8080, "Hello, Distroless"},
		{"node-express", 3000, `"message":"Hello from Express"`},
		{"python-fastapi", 8000, `"message":"Hello, World!"`},
		// Programs that print: uv and pnpm select the target's packages.
		{"python-uv", 0, "uv: 123.5 MB"},
		{"node-pnpm", 0, `pnpm app: {"user":{"name":"ada"`},
	} {
		t.Run(tc.example, func(t *testing.T) {
			out, r := buildx(t, example(tc.example), "--platform", "linux/amd64,linux/arm64")
			mustSucceed(t, r)
			// BuildKit's exporter writes index entries normalized: arm64
			// without its default variant v8; the image config has it.
			got := imagetest.IndexPlatforms(t, out)
			slices.Sort(got)
			if strings.Join(got, " ") != "linux/amd64 linux/arm64" {
				t.Errorf("index platforms = %v, want linux/amd64 and linux/arm64", got)
			}
			// Every dependency of these is a wheel, prebuilt or JavaScript:
			// nothing runs emulated.
			if strings.Contains(r.out, "(emulated: ") {
				t.Errorf("a step ran emulated:\n%s", tail(r.out, 40))
			}
			for _, p := range []string{"linux/amd64", "linux/arm64"} {
				img := imagetest.Load(t, out, p)
				if arch := img.Config.OS + "/" + img.Config.Architecture; arch != p {
					t.Errorf("image for %s has config platform %s", p, arch)
				}
				if p == "linux/arm64" && img.Config.Variant != "v8" {
					t.Errorf("arm64 config variant = %q, want v8", img.Config.Variant)
				}
				checkDistroless(t, img)
				switch {
				case p != "linux/arm64":
				case tc.port == 0:
					runPrints(t, img, tc.want)
				default:
					c := img.Run(t, imagetest.RunOpts{})
					if body := c.HTTPGet(t, tc.port, "/", 90*time.Second); !strings.Contains(body, tc.want) {
						t.Errorf("GET / on arm64 (qemu) = %q", body)
					}
				}
			}
		})
	}
}

// TestPlatformNotPublished: a target platform the runtime image is not
// published for fails before anything is built, at the manifest line,
// naming the platforms that work.
func TestPlatformNotPublished(t *testing.T) {
	requireLab(t)
	_, r := buildx(t, example("node-express"), "--platform", "linux/amd64,linux/s390x")
	if r.err == nil {
		t.Fatal("the build succeeded")
	}
	for _, want := range []string{
		"the runtime image gcr.io/distroless/nodejs24-debian13:nonroot is not published for linux/s390x",
		"build for the platforms it is published for: linux/amd64, linux/arm64",
		">>> language: node",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, tail(r.out, 40))
		}
	}
	if found, _ := stepStatus(r.out, "[node] npm ci"); found {
		t.Errorf("a step ran before the error:\n%s", tail(r.out, 40))
	}
}
