package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/distill-build/distill/lab/e2e/imagetest"
)

// The faults of issue 20: a daemon killed during a dependency install, a
// registry mirror that does not answer, a package registry behind a
// TLS-intercepting proxy without the ca-bundle secret. The first two run
// on a daemon of the test's own (startDaemon), never the lab's.

// TestFaultDaemonKilledDuringInstall: buildkitd SIGKILLed while pip
// downloads and installs, and started again on the same state: the next
// build succeeds and its image answers, the one after is all cache hits,
// and the daemon logs no damaged state.
func TestFaultDaemonKilledDuringInstall(t *testing.T) {
	d := startDaemon(t, daemonOpts{})
	const install = "[python] create the virtual environment /app/.venv; pip install -r requirements.txt"
	dir := example("python-fastapi")

	b := startBuild(t, d, dir)
	id := b.waitVertex(t, install, 10*time.Minute)
	// Its process has started when the step has printed a line of its own.
	b.waitFor(t, regexp.MustCompile(`(?m)^#`+id+` \d+\.\d+ `), 2*time.Minute)
	if b.has(regexp.MustCompile(`(?m)^#` + id + ` (DONE|CACHED)`)) {
		t.Fatalf("the install was done before the kill:\n%s", tail(b.output(), 30))
	}
	d.Kill(t)
	if left := d.leftovers(); len(left) > 0 {
		t.Errorf("processes of the killed daemon's steps are still running:\n%s", strings.Join(left, "\n"))
	}
	r := b.wait(t, 2*time.Minute)
	if r.err == nil {
		t.Fatalf("the build survived its daemon's SIGKILL:\n%s", tail(r.out, 20))
	}
	t.Logf("the killed build's client: %v\n%s", r.err, tail(r.out, 5))

	restarted := len(d.Log())
	d.Start(t)
	out, r := buildctlBuildWith(t, "buildctl", d.Addr, dir, "--opt", "platform=linux/amd64")
	mustSucceed(t, r)
	// Cut off midway, the install was never recorded: it runs again.
	if found, cached := stepStatus(r.out, install); !found || cached {
		t.Errorf("after the restart, the install: found=%v cached=%v", found, cached)
	}
	c := imagetest.Load(t, out, "linux/amd64").Run(t, imagetest.RunOpts{})
	if body := c.HTTPGet(t, 8000, "/", 30*time.Second); !strings.Contains(body, `"message":"Hello, World!"`) {
		t.Errorf("GET / = %q", body)
	}
	_, again := buildctlBuildWith(t, "buildctl", d.Addr, dir, "--opt", "platform=linux/amd64")
	mustSucceed(t, again)
	if ran := stepsRun(again.out); len(ran) > 0 {
		t.Errorf("steps ran again after a successful build: %q\n%s", ran, tail(again.out, 40))
	}
	t.Logf("after the restart: build %s, rebuild %s", r.dur.Round(time.Millisecond), again.dur.Round(time.Millisecond))
	// The restarted daemon logs no error, nor damage to its state.
	if bad := regexp.MustCompile(`(?im)^.*(level=error|corrupt|panic|checksum mismatch|invalid database).*$`).FindAllString(d.Log()[restarted:], -1); len(bad) > 0 {
		t.Errorf("the daemon's log after the restart:\n%s", strings.Join(bad, "\n"))
	}
}

// TestFaultMirrorDown: the builder image's registry mirror does not
// answer (docker.io's mirror on a closed port; ghcr.io's, which serves
// the frontend, and gcr.io's stay up). The build fails at the manifest
// line that chose the image, naming it and what to check, after one
// attempt, not one per known platform.
func TestFaultMirrorDown(t *testing.T) {
	d := startDaemon(t, daemonOpts{Mirrors: map[string]string{"docker.io": "127.0.0.1:1"}})
	_, r := buildctlBuildWith(t, "buildctl", d.Addr, example("python-fastapi"), "--opt", "platform=linux/amd64")
	if r.err == nil {
		t.Fatal("the build succeeded with docker.io's mirror down")
	}
	for _, want := range []string{
		"distill.yaml:8", ">>> language: python",
		"distill.yaml:8:0: the builder image docker.io/library/python:3.13-slim-trixie cannot be had: ",
		"connection refused",
		"the registry, or the builder's mirror of it, did not answer: check the builder's registry mirrors (buildkitd.toml [registry]) and its network",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, tail(r.out, 30))
		}
	}
	// The frontend's own lookup is "[internal] resolve builder …"; the
	// ones for other platforms have BuildKit's default name.
	if n := len(regexp.MustCompile(`(?m)^#\d+ resolve image config for docker-image://docker.io/library/python`).FindAllString(r.out, -1)); n > 0 {
		t.Errorf("%d more lookups of the dead mirror:\n%s", n, tail(r.out, 40))
	}
}

// TestFaultNoCABundle: through the lab's TLS-intercepting proxy, a
// dependency install without the ca-bundle secret fails verifying the
// proxy's certificate; the step's error says how to pass the secret. A
// failing install that has the secret says nothing of it.
func TestFaultNoCABundle(t *testing.T) {
	requireLab(t)
	// Not parallel (see parallelTests): its installs without the secret
	// are the very ops other tests' builds run with it, and BuildKit
	// runs identical ops of concurrent builds once, secrets apart.
	for _, tc := range []struct{ example, step string }{
		{"python-fastapi", "pip install -r requirements.txt"},
		{"node-express", "[node] npm ci --omit=dev (production dependencies)"},
	} {
		t.Run(tc.example, func(t *testing.T) {
			// --no-cache: the install ran with the secret before, and
			// BuildKit's cache key does not include secrets.
			r := run(t, example(tc.example), nil, "docker", append(append([]string{"buildx", "build", "--builder", builder,
				"--progress=plain", "--no-cache", "--platform", "linux/amd64", "-f", filepath.Join(example(tc.example), "distill.yaml")},
				syntaxArgs(false)...), example(tc.example))...)
			if r.err == nil {
				t.Fatal("the build succeeded without the ca-bundle secret (does the lab's network intercept TLS?)")
			}
			for _, want := range []string{
				tc.step,
				"certificate",
				"this step downloads and the build was given no ca-bundle secret",
				"--secret id=ca-bundle,src=/etc/ssl/certs/ca-certificates.crt",
				"docs/building.md#behind-a-tls-intercepting-proxy-the-ca-bundle-secret",
			} {
				if !strings.Contains(r.out, want) {
					t.Errorf("output lacks %q:\n%s", want, tail(r.out, 30))
				}
			}
		})
	}
	t.Run("with the secret", func(t *testing.T) {
		dir := copyDir(t, example("python-fastapi"))
		if err := os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte("distill-no-such-package==0.0.1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, r := buildx(t, dir, "--platform", "linux/amd64")
		if r.err == nil {
			t.Fatal("a package that does not exist installed")
		}
		if !strings.Contains(r.out, "pip install -r requirements.txt") || strings.Contains(r.out, "given no ca-bundle secret") {
			t.Errorf("a failed install with the secret:\n%s", tail(r.out, 30))
		}
	})
}

// startBuild starts building the example in dir on d for linux/amd64.
func startBuild(t *testing.T, d *daemon, dir string) *watched {
	t.Helper()
	args := append([]string{"--addr", d.Addr, "build", "--progress=plain", "--frontend", "dockerfile.v0",
		"--local", "context=" + dir, "--local", "dockerfile=" + dir, "--opt", "filename=distill.yaml",
		"--opt", "platform=linux/amd64", "--secret", "id=ca-bundle,src=" + caBundle,
		"--output", "type=oci,dest=" + filepath.Join(t.TempDir(), "image.tar")}, syntaxArgs(true)...)
	return startWatched(t, exec.Command("buildctl", args...))
}

// watched is a command whose output the test reads while it runs.
type watched struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	buf   bytes.Buffer
	done  chan struct{}
	err   error
	start time.Time
	end   time.Time
}

// startWatched starts cmd, in a process group of its own (kill), with
// its output collected; it is killed when the test ends.
func startWatched(t *testing.T, cmd *exec.Cmd) *watched {
	t.Helper()
	b := &watched{cmd: cmd, done: make(chan struct{}), start: time.Now()}
	cmd.Stdout, cmd.Stderr = b, b
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { b.err = cmd.Wait(); b.end = time.Now(); close(b.done) }()
	t.Cleanup(func() { b.kill(); <-b.done })
	return b
}

func (b *watched) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *watched) output() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// kill sends SIGKILL to the command's process group.
func (b *watched) kill() { _ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL) }

func (b *watched) has(re *regexp.Regexp) bool { return re.MatchString(b.output()) }

// waitFor waits until the output matches re; the build ending first, or
// the timeout, fails the test.
func (b *watched) waitFor(t *testing.T, re *regexp.Regexp, timeout time.Duration) []string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if m := re.FindStringSubmatch(b.output()); m != nil {
			return m
		}
		select {
		case <-b.done:
			if m := re.FindStringSubmatch(b.output()); m != nil {
				return m
			}
			t.Fatalf("%s ended (%v) before %s:\n%s", b.cmd.Path, b.err, re, tail(b.output(), 30))
		case <-deadline:
			t.Fatalf("no %s within %s:\n%s", re, timeout, tail(b.output(), 30))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitVertex waits until the vertex named name has started; its id.
func (b *watched) waitVertex(t *testing.T, name string, timeout time.Duration) string {
	t.Helper()
	m := b.waitFor(t, regexp.MustCompile(`(?m)^#(\d+) `+regexp.QuoteMeta(name)+`$`), timeout)
	t.Logf("%q started after %s", name, time.Since(b.start).Round(time.Millisecond))
	return m[1]
}

// wait waits for the client to exit.
func (b *watched) wait(t *testing.T, timeout time.Duration) result {
	t.Helper()
	select {
	case <-b.done:
	case <-time.After(timeout):
		t.Fatalf("the client did not exit within %s", timeout)
	}
	return result{out: b.output(), err: b.err, dur: b.end.Sub(b.start)}
}
