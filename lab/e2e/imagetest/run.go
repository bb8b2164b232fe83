package imagetest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// RunOpts change how an image runs.
type RunOpts struct {
	// Args replaces Entrypoint+Cmd when set.
	Args []string
	// Env is added to the image's env.
	Env []string
}

// Container is a running image.
type Container struct {
	id, root, bundle string
	pid              int
	logs             *os.File
}

var seq atomic.Int64

// Run unpacks the image and starts it detached with runc, as the image's
// user, in fresh pid/net/ipc/uts/mount namespaces (the network namespace
// has only loopback). The container is killed and removed at cleanup.
func (img *Image) Run(t testing.TB, opts RunOpts) *Container {
	t.Helper()
	c := img.prepare(t, opts)
	logs, err := os.Create(filepath.Join(c.bundle, "..", "output.log"))
	if err != nil {
		t.Fatal(err)
	}
	c.logs = logs
	pidFile := filepath.Join(c.bundle, "..", "pid")
	cmd := exec.Command("runc", "--root", c.root, "run", "--detach", "--bundle", c.bundle, "--pid-file", pidFile, c.id)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, logs, logs
	if err := cmd.Run(); err != nil {
		t.Fatalf("runc run: %v\n%s", err, c.Logs())
	}
	t.Cleanup(func() {
		exec.Command("runc", "--root", c.root, "kill", c.id, "KILL").Run()
		time.Sleep(100 * time.Millisecond)
		exec.Command("runc", "--root", c.root, "delete", "--force", c.id).Run()
		logs.Close()
	})
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	c.pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	return c
}

// RunToCompletion runs the image in the foreground and returns its output
// and exit code.
func (img *Image) RunToCompletion(t testing.TB, opts RunOpts, timeout time.Duration) (stdout, stderr string, code int) {
	t.Helper()
	c := img.prepare(t, opts)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "runc", "--root", c.root, "run", "--bundle", c.bundle, c.id)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	exec.Command("runc", "--root", c.root, "delete", "--force", c.id).Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("runc run: %v\n%s", err, e.String())
	}
	return o.String(), e.String(), code
}

func (img *Image) prepare(t testing.TB, opts RunOpts) *Container {
	t.Helper()
	if _, err := exec.LookPath("runc"); err != nil {
		t.Fatal("runc is not installed (make lab-up installs it)")
	}
	dir := t.TempDir()
	c := &Container{
		id:     fmt.Sprintf("distill-e2e-%d-%d", os.Getpid(), seq.Add(1)),
		root:   filepath.Join(dir, "runc"),
		bundle: filepath.Join(dir, "bundle"),
	}
	rootfs := filepath.Join(c.bundle, "rootfs")
	if err := os.MkdirAll(rootfs, 0o755); err != nil {
		t.Fatal(err)
	}
	img.Unpack(t, rootfs)
	// /etc/hosts names the container's hostname, as docker run and
	// Kubernetes write it: a JVM's InetAddress.getLocalHost (H2's
	// server) fails without it.
	hosts := "127.0.0.1\tlocalhost\n::1\tlocalhost\n127.0.1.1\t" + hostname + "\n"
	if err := os.WriteFile(filepath.Join(c.bundle, "hosts"), []byte(hosts), 0o644); err != nil {
		t.Fatal(err)
	}
	spec, err := img.spec(rootfs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.bundle, "config.json"), spec, 0o644); err != nil {
		t.Fatal(err)
	}
	return c
}

// hostname is the containers' hostname.
const hostname = "distill-e2e"

// spec writes the OCI runtime config for the image.
func (img *Image) spec(rootfs string, opts RunOpts) ([]byte, error) {
	cfg := img.Config.Config
	args := opts.Args
	if len(args) == 0 {
		args = append(append([]string{}, cfg.Entrypoint...), cfg.Cmd...)
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("image has no entrypoint or cmd")
	}
	uid, gid, err := lookupUser(rootfs, cfg.User)
	if err != nil {
		return nil, err
	}
	cwd := cfg.WorkingDir
	if cwd == "" {
		cwd = "/"
	}
	caps := []string{}
	if uid == 0 {
		caps = []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}
	}
	spec := map[string]any{
		"ociVersion": "1.0.2",
		"process": map[string]any{
			"terminal": false,
			"user":     map[string]any{"uid": uid, "gid": gid},
			"args":     args,
			"env":      append(append([]string{}, cfg.Env...), opts.Env...),
			"cwd":      cwd,
			"capabilities": map[string]any{
				"bounding": caps, "effective": caps, "permitted": caps,
			},
			"rlimits":         []any{map[string]any{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}},
			"noNewPrivileges": true,
		},
		"root":     map[string]any{"path": "rootfs", "readonly": false},
		"hostname": hostname,
		"mounts": []any{
			map[string]any{"destination": "/proc", "type": "proc", "source": "proc"},
			map[string]any{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			map[string]any{"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
			map[string]any{"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			map[string]any{"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": []string{"nosuid", "noexec", "nodev"}},
			map[string]any{"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": []string{"nosuid", "noexec", "nodev", "ro"}},
			map[string]any{"destination": "/etc/hosts", "type": "bind", "source": filepath.Join(filepath.Dir(rootfs), "hosts"), "options": []string{"rbind", "ro"}},
		},
		"linux": map[string]any{
			"namespaces": []any{
				map[string]any{"type": "pid"}, map[string]any{"type": "network"}, map[string]any{"type": "ipc"},
				map[string]any{"type": "uts"}, map[string]any{"type": "mount"},
			},
			"maskedPaths":   []string{"/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"},
			"readonlyPaths": []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
		},
	}
	return json.MarshalIndent(spec, "", "  ")
}

// lookupUser maps an image config user ("65532", "65532:65532", "nonroot")
// to ids, reading names from the rootfs's /etc/passwd and /etc/group.
func lookupUser(rootfs, user string) (int, int, error) {
	if user == "" {
		return 0, 0, nil
	}
	u, g, hasGroup := strings.Cut(user, ":")
	uid, err := strconv.Atoi(u)
	gid := -1
	if err != nil {
		f, ferr := os.Open(filepath.Join(rootfs, "etc", "passwd"))
		if ferr != nil {
			return 0, 0, fmt.Errorf("user %q: %w", user, ferr)
		}
		defer f.Close()
		uid = -1
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Split(sc.Text(), ":")
			if len(fields) > 3 && fields[0] == u {
				uid, _ = strconv.Atoi(fields[2])
				gid, _ = strconv.Atoi(fields[3])
			}
		}
		if uid < 0 {
			return 0, 0, fmt.Errorf("user %q not in /etc/passwd", u)
		}
	}
	if hasGroup {
		if gid, err = strconv.Atoi(g); err != nil {
			return 0, 0, fmt.Errorf("group %q: only numeric groups are supported", g)
		}
	}
	if gid < 0 {
		gid = uid
	}
	return uid, gid, nil
}

// Logs returns what the container wrote so far.
func (c *Container) Logs() string {
	b, _ := os.ReadFile(filepath.Join(c.bundle, "..", "output.log"))
	return string(b)
}

// Pid is the container's init process, as seen from the host.
func (c *Container) Pid() int { return c.pid }

// ProcessUID is the real uid of the container's init process.
func (c *Container) ProcessUID(t testing.TB) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.pid))
	if err != nil {
		t.Fatalf("container process: %v\n%s", err, c.Logs())
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
			f := strings.Fields(rest)
			uid, _ := strconv.Atoi(f[0])
			return uid
		}
	}
	t.Fatal("no Uid line in /proc status")
	return -1
}

// HTTPGet fetches http://127.0.0.1:port/path inside the container's
// network namespace (nsenter + curl from the host), retrying until the app
// answers or the deadline passes.
func (c *Container) HTTPGet(t testing.TB, port int, p string, deadline time.Duration) string {
	t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d%s", port, p)
	end := time.Now().Add(deadline)
	var last string
	for time.Now().Before(end) {
		out, err := exec.Command("nsenter", fmt.Sprintf("--net=/proc/%d/ns/net", c.pid), "--",
			"curl", "-sS", "--fail", "--max-time", "5", url).CombinedOutput()
		if err == nil {
			return string(out)
		}
		last = fmt.Sprintf("%v: %s", err, out)
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("GET %s: no answer within %s (last: %s)\ncontainer output:\n%s", url, deadline, last, c.Logs())
	return ""
}
