package python

// The python-finalize helper: run by the frontend binary inside the
// builder (providers.HelperBin), it points the environment at the
// runtime's interpreter and carries the shared libraries it needs.

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"github.com/distill-build/distill/frontend/helper"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// PythonOptions are the inputs of python-finalize.
type PythonOptions struct {
	// Venv is the virtual environment (image path, same in the builder).
	Venv string
	// Minor is the CPython minor, e.g. 3.13.
	Minor string
	// Builder is the builder's root ("/" in a build step); Runtime the
	// runtime image's root, mounted read-only.
	Builder, Runtime helper.Root
	// Out is the output tree copied onto the runtime.
	Out string
	// Scan are image directories whose ELF objects need their libraries
	// (the app directory, venv included); they reach the image as they are.
	Scan []string
	// Script is the console script the entrypoint names, checked to exist.
	Script string
	// SearchPath is the builder's PATH, to find its interpreter.
	SearchPath string
	Log        io.Writer
}

// interpreterDirs are where images keep python3.X: distroless and
// Debian's /usr/bin, the official images' /usr/local/bin.
var interpreterDirs = []string{"/usr/local/bin", "/usr/bin", "/bin"}

// transplantDrop are the parts of the standard library an app never
// imports at run time (as the official images drop tests, plus the IDE,
// Tk and the bundled pip).
var transplantDrop = []string{"test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3/tests", "__phello__"}

// PythonFinalize makes the environment run on the runtime: it checks the
// entrypoint's console script, finds the runtime's interpreter of the same
// minor (or transplants the builder's with its standard library when the
// runtime has none), points the environment at it, and collects the
// shared libraries that the interpreter and the compiled extensions need
// and the runtime lacks.
func PythonFinalize(o PythonOptions) error {
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", args...)
		}
	}
	bin := path.Join(o.Venv, "bin")
	if o.Script != "" {
		if _, err := os.Lstat(o.Builder.Host(path.Join(bin, o.Script))); err != nil {
			return fmt.Errorf("entrypoint %q: no console script of that name was installed; scripts in the environment: %s (for a module, write [\"python\", \"-m\", \"module\"])",
				o.Script, strings.Join(scripts(o.Builder, bin), ", "))
		}
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	exe := "python" + o.Minor
	c := &helper.Closure{Builder: o.Builder, Runtime: o.Runtime, Out: o.Out, Provided: o.Scan, Log: o.Log}

	interp := ""
	for _, d := range interpreterDirs {
		if o.Runtime.Exists(path.Join(d, exe)) {
			interp = path.Join(d, exe)
			break
		}
	}
	if interp != "" {
		logf("runtime interpreter: %s", interp)
	} else {
		src, err := findExecutable(o.Builder, exe, o.SearchPath)
		if err != nil {
			return fmt.Errorf("the runtime has no %s and the builder none to transplant: %v", exe, err)
		}
		interp, err = transplant(o, c, src)
		if err != nil {
			return err
		}
		logf("transplanted %s from the builder", interp)
	}
	if err := pointVenv(o, interp); err != nil {
		return err
	}

	return helper.Carry(c, o.Scan, 0, o.Log)
}

func scripts(r helper.Root, bin string) []string {
	entries, _ := os.ReadDir(r.Host(bin))
	var out []string
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, "python") || strings.HasPrefix(n, "activate") || strings.HasPrefix(n, "Activate") {
			continue
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}

func findExecutable(r helper.Root, name, searchPath string) (string, error) {
	dirs := filepath.SplitList(searchPath)
	dirs = append(dirs, interpreterDirs...)
	for _, d := range dirs {
		if !path.IsAbs(d) {
			continue
		}
		p := path.Join(d, name)
		if rp, err := r.Resolve(p); err == nil {
			if fi, err := os.Stat(r.Host(rp)); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("%s not found on PATH (%s)", name, searchPath)
}

// transplant copies the builder's interpreter (its prefix's bin/python3.X,
// the standard library, lib-dynload) into the output tree at the same
// paths, and adds its ELF closure; it returns the interpreter's path.
func transplant(o PythonOptions, c *helper.Closure, exe string) (string, error) {
	real, err := o.Builder.Resolve(exe)
	if err != nil {
		return "", err
	}
	prefix := path.Dir(path.Dir(real))
	name := "python" + o.Minor
	interp := path.Join(prefix, "bin", name)
	if err := helper.CopyFile(o.Builder.Host(real), filepath.Join(o.Out, filepath.FromSlash(interp))); err != nil {
		return "", err
	}
	for _, link := range []string{"python3", "python"} {
		lp := filepath.Join(o.Out, filepath.FromSlash(path.Join(prefix, "bin", link)))
		if !o.Runtime.Exists(path.Join(prefix, "bin", link)) {
			if err := os.Symlink(name, lp); err != nil {
				return "", err
			}
		}
	}
	stdlib := path.Join(prefix, "lib", name)
	if err := copyTree(o.Builder, stdlib, o.Out, func(rel string) bool {
		if slices.Contains(transplantDrop, rel) {
			return true
		}
		// site-packages of the builder holds pip: the app's packages are
		// in the environment.
		if strings.HasPrefix(rel, "site-packages/") && rel != "site-packages/README.txt" {
			return true
		}
		return path.Base(rel) == "__pycache__"
	}); err != nil {
		return "", err
	}
	c.Provided = append(c.Provided, stdlib)
	if err := c.Add(interp); err != nil {
		return "", err
	}
	files, err := helper.ELFFiles(o.Builder, path.Join(stdlib, "lib-dynload"))
	if err != nil {
		return "", err
	}
	for _, f := range files {
		if err := c.Add(f); err != nil {
			return "", err
		}
	}
	return interp, nil
}

// copyTree copies the image directory dir of r into out at the same path,
// keeping symlinks and modes, leaving out what drop reports (relative
// slash paths).
func copyTree(r helper.Root, dir, out string, drop func(rel string) bool) error {
	host := r.Host(dir)
	return filepath.WalkDir(host, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(host, p)
		rel = filepath.ToSlash(rel)
		if rel != "." && drop(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		dst := filepath.Join(out, filepath.FromSlash(dir), filepath.FromSlash(rel))
		switch {
		case d.IsDir():
			return os.MkdirAll(dst, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(t, dst)
		case d.Type().IsRegular():
			return helper.CopyFile(p, dst)
		}
		return nil
	})
}

// pointVenv makes the environment's python the runtime's interpreter:
// pyvenv.cfg's home, the bin/python links, and shebangs that name another
// interpreter. Activation scripts need a shell the image does not have.
func pointVenv(o PythonOptions, interp string) error {
	bin := path.Join(o.Venv, "bin")
	cfg := o.Builder.Host(path.Join(o.Venv, "pyvenv.cfg"))
	data, err := os.ReadFile(cfg)
	if err != nil {
		return fmt.Errorf("%s is not a virtual environment: %v", o.Venv, err)
	}
	var lines []string
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		k, _, _ := strings.Cut(line, "=")
		switch strings.TrimSpace(k) {
		case "home":
			line = "home = " + path.Dir(interp)
		case "executable", "command":
			// Only `venv --upgrade` reads them, with the builder's paths.
			continue
		}
		lines = append(lines, line)
	}
	if err := os.WriteFile(cfg, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	py := path.Join(bin, "python")
	links := map[string]string{"python": interp, "python3": "python", "python" + o.Minor: "python"}
	names := make([]string, 0, len(links))
	for n := range links {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		lp := o.Builder.Host(path.Join(bin, n))
		if err := os.Remove(lp); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := os.Symlink(links[n], lp); err != nil {
			return err
		}
	}
	// What only a developer's checkout uses: the venv's .gitignore, the
	// empty include/ tree, and lib64 (a link to lib that no import path
	// names: platlibdir is lib).
	_ = os.Remove(o.Builder.Host(path.Join(o.Venv, ".gitignore")))
	removeEmptyTree(o.Builder.Host(path.Join(o.Venv, "include")))
	if t, err := os.Readlink(o.Builder.Host(path.Join(o.Venv, "lib64"))); err == nil && t == "lib" {
		_ = os.Remove(o.Builder.Host(path.Join(o.Venv, "lib64")))
	}
	entries, err := os.ReadDir(o.Builder.Host(bin))
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := e.Name()
		hp := o.Builder.Host(path.Join(bin, n))
		if strings.HasPrefix(n, "activate") || n == "Activate.ps1" {
			if err := os.Remove(hp); err != nil {
				return err
			}
			continue
		}
		if !e.Type().IsRegular() {
			continue
		}
		if err := fixShebang(hp, py, o.Venv); err != nil {
			return err
		}
	}
	return nil
}

// removeEmptyTree removes dir if it holds only empty directories.
func removeEmptyTree(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() {
			return
		}
		removeEmptyTree(filepath.Join(dir, e.Name()))
	}
	_ = os.Remove(dir)
}

// fixShebang points a script whose shebang names a python outside the
// environment at the environment's python.
func fixShebang(hostPath, py, venv string) error {
	data, err := os.ReadFile(hostPath)
	if err != nil || !bytes.HasPrefix(data, []byte("#!")) {
		return err
	}
	line, rest, _ := bytes.Cut(data, []byte("\n"))
	fields := strings.Fields(strings.TrimPrefix(string(line), "#!"))
	if len(fields) == 0 {
		return nil
	}
	interp := fields[0]
	if strings.HasPrefix(interp, venv+"/") || !strings.HasPrefix(path.Base(interp), "python") {
		return nil
	}
	fi, err := os.Stat(hostPath)
	if err != nil {
		return err
	}
	fields[0] = py
	out := append([]byte("#!"+strings.Join(fields, " ")+"\n"), rest...)
	return os.WriteFile(hostPath, out, fi.Mode().Perm())
}

// finalizeMain is the python-finalize helper subcommand.
func finalizeMain(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fl.SetOutput(stderr)
	var o PythonOptions
	var runtime, scan string
	fl.StringVar(&o.Venv, "venv", "/app/.venv", "virtual environment")
	fl.StringVar(&o.Minor, "python", "", "CPython minor, e.g. 3.13")
	fl.StringVar(&runtime, "runtime", "", "runtime image root")
	fl.StringVar(&o.Out, "out", "/out/sysroot", "output tree")
	fl.StringVar(&scan, "scan", "/app", "directories whose ELF objects need libraries (comma separated)")
	fl.StringVar(&o.Script, "script", "", "console script the entrypoint names")
	if err := fl.Parse(args[1:]); err != nil {
		return 2
	}
	if o.Minor == "" || runtime == "" {
		fmt.Fprintln(stderr, "python-finalize: --python and --runtime are required")
		return 2
	}
	o.Builder, o.Runtime = helper.Root{Dir: "/"}, helper.Root{Dir: runtime}
	o.Scan = strings.Split(scan, ",")
	o.SearchPath = os.Getenv("PATH")
	o.Log = stdout
	if err := PythonFinalize(o); err != nil {
		fmt.Fprintln(stderr, "distill:", err)
		return 1
	}
	return 0
}
