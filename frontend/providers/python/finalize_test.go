package python

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distill-build/distill/frontend/helper"
)

func TestFixShebangAndVenv(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	venv := "/app/.venv"
	bin := filepath.Join(root, "app/.venv/bin")
	must(t, os.MkdirAll(bin, 0o755))
	must(t, os.WriteFile(filepath.Join(root, "app/.venv/pyvenv.cfg"), []byte("home = /usr/local/bin\ninclude-system-site-packages = false\nversion = 3.13.14\nexecutable = /usr/local/bin/python3.13\ncommand = /usr/local/bin/python3.13 -m venv --without-pip /app/.venv\n"), 0o644))
	must(t, os.Symlink("/usr/local/bin/python3.13", filepath.Join(bin, "python")))
	must(t, os.Symlink("python", filepath.Join(bin, "python3")))
	must(t, os.WriteFile(filepath.Join(bin, "uvicorn"), []byte("#!/app/.venv/bin/python\nimport sys\n"), 0o755))
	must(t, os.WriteFile(filepath.Join(bin, "tool"), []byte("#!/usr/local/bin/python3.13 -E\nimport sys\n"), 0o755))
	must(t, os.WriteFile(filepath.Join(bin, "activate"), []byte("# sh\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "app/.venv/.gitignore"), []byte("*\n"), 0o644))
	must(t, os.MkdirAll(filepath.Join(root, "app/.venv/include/python3.13"), 0o755))
	must(t, os.Symlink("lib", filepath.Join(root, "app/.venv/lib64")))
	o := PythonOptions{Venv: venv, Minor: "3.13", Builder: helper.Root{Dir: root}}
	must(t, pointVenv(o, "/usr/bin/python3.13"))
	cfg, _ := os.ReadFile(filepath.Join(root, "app/.venv/pyvenv.cfg"))
	if !strings.Contains(string(cfg), "home = /usr/bin\n") || strings.Contains(string(cfg), "command") || strings.Contains(string(cfg), "executable") {
		t.Errorf("pyvenv.cfg:\n%s", cfg)
	}
	if l, _ := os.Readlink(filepath.Join(bin, "python")); l != "/usr/bin/python3.13" {
		t.Errorf("bin/python -> %s", l)
	}
	if l, _ := os.Readlink(filepath.Join(bin, "python3.13")); l != "python" {
		t.Errorf("bin/python3.13 -> %s", l)
	}
	if data, _ := os.ReadFile(filepath.Join(bin, "tool")); !strings.HasPrefix(string(data), "#!/app/.venv/bin/python -E\n") {
		t.Errorf("tool: %q", data)
	}
	if data, _ := os.ReadFile(filepath.Join(bin, "uvicorn")); !strings.HasPrefix(string(data), "#!/app/.venv/bin/python\n") {
		t.Errorf("uvicorn: %q", data)
	}
	for _, p := range []string{"bin/activate", ".gitignore", "include", "lib64"} {
		if _, err := os.Lstat(filepath.Join(root, "app/.venv", p)); err == nil {
			t.Errorf("%s kept", p)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
