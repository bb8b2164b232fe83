package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// The lab comes up in parts (lab/up.sh [PART...]; `make demo` brings up
// only "demo"): without a language's fixtures its builds would fail on an
// image the registry does not have, deep in a build log. requireLab checks
// the parts a test needs first and names the missing ones.

// labParts are the images that show each part of the lab is there: one
// request per image to the lab registry; "@ARCH" asks that the image
// index have that architecture.
var labParts = map[string][]string{
	"demo":   {"library/golang:1.26-trixie", "distroless/static-debian13:nonroot", "distill-build/distill:1"},
	"go":     {"library/golang:1.26-trixie@arm64", "distroless/static-debian13:nonroot", "distill-build/distill:1"},
	"python": {"library/python:3.13-slim-trixie", "library/python:3.12-slim-trixie", "distroless/python3-debian13:nonroot"},
	"node":   {"library/node:24-trixie-slim", "library/node:22-trixie-slim", "distroless/nodejs24-debian13:nonroot"},
	"java":   {"library/maven:3.9-eclipse-temurin-21", "distroless/java21-debian13:nonroot"},
	"rust":   {"library/rust:1.85.1-trixie"},
	"sbom":   {"docker/buildkit-syft-scanner:stable-1"},
}

// testParts are the parts a test needs that its name does not say
// (TestGo…, TestPython…, TestNode…, TestJava…, TestRust… need their
// language's); any other test needs every part.
var testParts = map[string][]string{
	// make demo's test, and the others that build the Go example for
	// linux/amd64 only.
	"TestGoHelloBuildx":                   {"demo"},
	"TestGoHelloDockerBuild":              {"demo"},
	"TestGoHelloBuildctl":                 {"demo"},
	"TestSBOM":                            {"python", "sbom"},
	"TestOlderBuildkitd":                  {"demo"},
	"TestOlderBuildkitdMissingCapability": {"node"},
}

// partsFor is the lab's parts the test named name needs.
func partsFor(name string) []string {
	name, _, _ = strings.Cut(name, "/")
	if p, ok := testParts[name]; ok {
		return p
	}
	for _, lang := range []string{"go", "python", "node", "java", "rust"} {
		if strings.HasPrefix(name, "Test"+strings.ToUpper(lang[:1])+lang[1:]) {
			return []string{lang}
		}
	}
	return []string{"go", "python", "node", "java", "rust", "sbom"}
}

var (
	partsMu   sync.Mutex
	partsSeen = map[string]error{}
)

// requireParts fails the test when a lab part it needs is missing.
func requireParts(t *testing.T) {
	t.Helper()
	var missing []string
	for _, part := range partsFor(t.Name()) {
		if err := probePart(part); err != nil {
			missing = append(missing, fmt.Sprintf("%s (%v)", part, err))
		}
	}
	if len(missing) > 0 {
		t.Fatalf("the lab lacks what %s needs: %s; bring it up with `make lab-up` (or `lab/up.sh PART...`)",
			t.Name(), strings.Join(missing, "; "))
	}
}

// probePart asks the registry for the part's images once per run.
func probePart(part string) error {
	partsMu.Lock()
	defer partsMu.Unlock()
	if err, ok := partsSeen[part]; ok {
		return err
	}
	var err error
	for _, ref := range labParts[part] {
		if err = probeImage(ref); err != nil {
			break
		}
	}
	partsSeen[part] = err
	return err
}

// probeImage: the lab registry has the tag (as buildkitd's mirror looks
// it up: gcr.io/distroless/X is $DISTILL_REGISTRY/distroless/X), and
// after "@" the architecture in its index.
func probeImage(ref string) error {
	ref, arch, _ := strings.Cut(ref, "@")
	repo, tag, _ := strings.Cut(ref, ":")
	reg := env("DISTILL_REGISTRY", "127.0.0.1:5000")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+reg+"/v2/"+repo+"/manifests/"+tag, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "+
		"application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("registry %s: %v", reg, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s is not in the registry %s: %s", ref, reg, resp.Status)
	}
	if arch == "" {
		return nil
	}
	var index struct {
		Manifests []struct {
			Platform struct{ Architecture string }
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&index); err != nil {
		return fmt.Errorf("%s in the registry %s: %v", ref, reg, err)
	}
	for _, m := range index.Manifests {
		if m.Platform.Architecture == arch {
			return nil
		}
	}
	return fmt.Errorf("%s in the registry %s has no %s image (lab/up.sh demo publishes the build platform's alone)", ref, reg, arch)
}

// TestPartsFor pins how test names map to the lab's parts (no lab needed).
func TestPartsFor(t *testing.T) {
	for name, want := range map[string]string{
		"TestGoHelloBuildx":     "demo",
		"TestGoHelloArm64":      "go",
		"TestPythonFastAPI/sub": "python",
		"TestNodeExpress":       "node",
		"TestJavaMaven":         "java",
		"TestRustAxum":          "rust",
		"TestSBOM":              "python sbom",
		"TestOlderBuildkitd":    "demo",
		"TestCheck":             "go python node java rust sbom",
	} {
		if got := strings.Join(partsFor(name), " "); got != want {
			t.Errorf("partsFor(%q) = %q, want %q", name, got, want)
		}
	}
}
