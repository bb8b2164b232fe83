package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A daemon of the test's own: the lab's buildkitd binary on its own
// state, socket and configuration, for tests that kill it or point its
// registry mirrors elsewhere. The lab's shared daemon is never touched.

// daemonOpts configure a test's buildkitd.
type daemonOpts struct {
	// Mirrors maps a registry host to the mirror buildkitd uses for it;
	// the hosts not named (docker.io, gcr.io, cgr.dev, ghcr.io) mirror to
	// the lab registry, as the lab's daemon does.
	Mirrors map[string]string
}

// daemon is a running buildkitd of the test.
type daemon struct {
	Addr string // unix:// address for buildctl --addr
	dir  string // state, socket, configuration and log
	cmd  *exec.Cmd
	done chan struct{}
}

// startDaemon starts a buildkitd for the test and waits until it answers;
// it is stopped and its state removed when the test ends. It fails (never
// skips) when the lab's binary is missing or the daemon does not come up.
func startDaemon(t *testing.T, o daemonOpts) *daemon {
	t.Helper()
	requireLab(t)
	// A short path: the socket's must fit a sockaddr_un (108 bytes).
	dir, err := os.MkdirTemp("", "distill-bk-")
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{Addr: "unix://" + filepath.Join(dir, "buildkitd.sock"), dir: dir}
	if err := os.WriteFile(filepath.Join(dir, "buildkitd.toml"), []byte(daemonToml(dir, o)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.stop(t) })
	d.Start(t)
	return d
}

// daemonToml is lab/lib.sh's buildkitd_toml with o's mirrors.
func daemonToml(dir string, o daemonOpts) string {
	registry := env("DISTILL_REGISTRY", "127.0.0.1:5000")
	mirrors := map[string]string{"docker.io": registry, "gcr.io": registry, "cgr.dev": registry, "ghcr.io": registry}
	for h, m := range o.Mirrors {
		mirrors[h] = m
	}
	var b strings.Builder
	fmt.Fprintf(&b, "root = %q\n[grpc]\n  address = [%q]\n", filepath.Join(dir, "root"), "unix://"+filepath.Join(dir, "buildkitd.sock"))
	b.WriteString("[worker.oci]\n  enabled = true\n  gc = true\n  gckeepstorage = \"10GB\"\n[worker.containerd]\n  enabled = false\n")
	hosts := make([]string, 0, len(mirrors))
	for h := range mirrors {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	insecure := map[string]bool{}
	for _, h := range hosts {
		fmt.Fprintf(&b, "[registry.%q]\n  mirrors = [%q]\n", h, mirrors[h])
		insecure[mirrors[h]] = true
	}
	// Mirrors are plain-HTTP registries on this machine.
	for _, m := range sortedKeys(insecure) {
		fmt.Fprintf(&b, "[registry.%q]\n  http = true\n  insecure = true\n", m)
	}
	return b.String()
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Start starts the daemon on its state (again, after Kill) and waits
// until it answers.
func (d *daemon) Start(t *testing.T) {
	t.Helper()
	logf, err := os.OpenFile(d.LogPath(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	d.cmd = exec.Command(filepath.Join(labDir, "bin", "buildkitd"), "--config", filepath.Join(d.dir, "buildkitd.toml"))
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	// Its own process group: a signal to the test's group does not reach it.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("starting buildkitd: %v", err)
	}
	done := make(chan struct{})
	d.done = done
	go func(c *exec.Cmd) { _ = c.Wait(); close(done) }(d.cmd)
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := exec.CommandContext(ctx, "buildctl", "--addr", d.Addr, "debug", "workers").Run()
		cancel()
		if err == nil {
			t.Logf("buildkitd (pid %d) answers at %s", d.cmd.Process.Pid, d.Addr)
			return
		}
		select {
		case <-done:
			t.Fatalf("buildkitd exited:\n%s", tail(d.Log(), 20))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("buildkitd did not answer within 60s:\n%s", tail(d.Log(), 20))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// Kill sends SIGKILL to the daemon and waits for it to be gone.
func (d *daemon) Kill(t *testing.T) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("killing buildkitd: %v", err)
	}
	<-d.done
	t.Logf("buildkitd (pid %d) killed", d.cmd.Process.Pid)
}

// leftovers lists the processes (pid and command line) that run from the
// daemon's state: its steps' runc and what runs under it.
func (d *daemon) leftovers() []string {
	var out []string
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range cmdlines {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		args := strings.ReplaceAll(string(data), "\x00", " ")
		if strings.Contains(args, filepath.Join(d.dir, "root")+"/") {
			out = append(out, filepath.Base(filepath.Dir(f))+" "+args)
		}
	}
	return out
}

// LogPath is the daemon's log file, across restarts.
func (d *daemon) LogPath() string { return filepath.Join(d.dir, "buildkitd.log") }

// Log is the daemon's log so far.
func (d *daemon) Log() string {
	data, _ := os.ReadFile(d.LogPath())
	return string(data)
}

// stop ends the daemon (SIGTERM, then SIGKILL) and removes its state,
// first unmounting what a killed daemon may have left mounted there.
func (d *daemon) stop(t *testing.T) {
	if d.done != nil {
		select {
		case <-d.done:
		default:
			_ = d.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-d.done:
			case <-time.After(30 * time.Second):
				_ = d.cmd.Process.Signal(syscall.SIGKILL)
				<-d.done
			}
		}
	}
	for _, m := range mountsUnder(d.dir) {
		_ = syscall.Unmount(m, syscall.MNT_DETACH)
	}
	if err := os.RemoveAll(d.dir); err != nil {
		t.Logf("removing the daemon's state: %v", err)
	}
}

// mountsUnder lists the mount points below dir, deepest first.
func mountsUnder(dir string) []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range bytes.Split(data, []byte("\n")) {
		f := strings.Fields(string(line))
		if len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			out = append(out, f[4])
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(out)))
	return out
}
