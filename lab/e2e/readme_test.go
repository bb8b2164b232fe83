package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/distill-build/distill/lab/e2e/imagetest"
)

// TestReadme follows the README's user path as printed: the manifest of
// "Build and run an app" next to the app it names, its `docker build`
// command as it is (with the README's ca-bundle secret, as the lab is
// behind a TLS-intercepting proxy, and an OCI archive as the output, as
// the lab has no Docker Engine to load the image into), the image run as
// its `docker run -p` line publishes it, and the answer its `curl` line
// shows.
func TestReadme(t *testing.T) {
	requireLab(t)
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	_, section, ok := strings.Cut(readme, "## Build and run an app")
	if !ok {
		t.Fatal(`README.md has no "## Build and run an app"`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	app := regexp.MustCompile(`\(examples/([a-z0-9-]+)\)`).FindStringSubmatch(section)
	manifest := regexp.MustCompile("(?s)```yaml\n(# syntax=.*?)```").FindStringSubmatch(section)
	build := regexp.MustCompile(`(?m)^\$ (docker build .*)$`).FindStringSubmatch(section)
	publish := regexp.MustCompile(`(?m)^\$ docker run .*-p ([0-9]+):([0-9]+) .*$`).FindStringSubmatch(section)
	answer := regexp.MustCompile("(?m)^\\$ curl (localhost:[0-9]+[^ ]*).*\n(.+)$").FindStringSubmatch(section)
	secret := regexp.MustCompile(`--secret id=ca-bundle,src=\S+`).FindString(readme)
	if app == nil || manifest == nil || build == nil || publish == nil || answer == nil || secret == "" {
		t.Fatalf("the README's user path lacks a part: app %v, manifest %v, build %v, run %v, curl %v, ca-bundle %q", app, manifest, build, publish, answer, secret)
	}

	dir := copyDir(t, example(app[1]))
	if err := os.WriteFile(filepath.Join(dir, "distill.yaml"), []byte(manifest[1]), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "image.tar")
	args := strings.Fields(build[1])[1:] // after "docker"
	args = append(args[:len(args)-1], "--builder", builder, "--progress=plain", strings.Fields(secret)[0], strings.Fields(secret)[1],
		"-o", "type=oci,dest="+out, args[len(args)-1])
	mustSucceed(t, run(t, dir, nil, "docker", args...))

	port, err := strconv.Atoi(publish[2])
	if err != nil {
		t.Fatal(err)
	}
	img := imagetest.Load(t, out, "linux/amd64")
	checkDistroless(t, img)
	path := "/"
	if i := strings.Index(answer[1], "/"); i >= 0 {
		path = answer[1][i:]
	}
	if body := img.Run(t, imagetest.RunOpts{}).HTTPGet(t, port, path, 60*time.Second); strings.TrimSpace(body) != strings.TrimSpace(answer[2]) {
		t.Errorf("GET %s = %q, the README shows %q", path, body, answer[2])
	}
}
