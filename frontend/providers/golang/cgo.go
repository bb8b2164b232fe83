package golang

import (
	"context"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"path"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/providers"
)

// maxScan bounds the number of Go files read for cgo detection.
const maxScan = 5000

// detectCgo reports whether any non-test Go file of the module imports "C"
// unconditionally. Files whose build constraint mentions cgo have a pure-Go
// alternative and do not force cgo; neither do files for other systems.
// The reason names the first file found, and says "c++" when the cgo
// package also holds C++ sources (which need libstdc++: the cc base).
func detectCgo(ctx context.Context, fsys providers.FS, root string) (bool, string, error) {
	var found string
	var cxx bool
	count := 0
	var walk func(dir string) error
	walk = func(dir string) error {
		entries, err := fsys.ReadDir(ctx, dir)
		if err != nil {
			return err
		}
		var cgoHere bool
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		slices.Sort(names)
		for _, e := range entries {
			n := e.Name()
			p := path.Join(dir, n)
			if e.IsDir() {
				continue
			}
			if !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") || !forLinux(n) {
				continue
			}
			if count++; count > maxScan {
				return nil
			}
			data, err := fsys.ReadFile(ctx, p)
			if err != nil {
				return err
			}
			if importsC(data) {
				cgoHere = true
				if found == "" {
					found = p
				}
			}
		}
		if cgoHere {
			for _, n := range names {
				switch path.Ext(n) {
				case ".cc", ".cpp", ".cxx":
					cxx = true
				}
			}
		}
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() && !skipDir(n) {
				if err := walk(path.Join(dir, n)); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(root); err != nil {
		return false, "", err
	}
	if found == "" {
		return false, "", nil
	}
	reason := `import "C" in ` + found
	if cxx {
		reason += ", with C++ sources"
	}
	return true, reason, nil
}

// skipDir names directories the go tool ignores too.
func skipDir(n string) bool {
	return strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") || n == "testdata" || n == "node_modules"
}

func needsCXX(reason string) bool { return strings.HasSuffix(reason, "with C++ sources") }

// forLinux drops files named for another GOOS (foo_windows.go, foo_darwin_arm64.go).
func forLinux(name string) bool {
	stem := strings.TrimSuffix(name, ".go")
	parts := strings.Split(stem, "_")
	for _, p := range parts[1:] {
		switch p {
		case "windows", "darwin", "ios", "freebsd", "netbsd", "openbsd", "plan9", "solaris", "illumos", "aix", "dragonfly", "js", "wasip1", "android":
			return false
		}
	}
	return true
}

// importsC parses the file's header and reports an unconditional import "C".
func importsC(data []byte) bool {
	f, err := parser.ParseFile(token.NewFileSet(), "", data, parser.ImportsOnly|parser.ParseComments)
	if err != nil {
		return false
	}
	var hasC bool
	for _, imp := range f.Imports {
		if imp.Path.Value == `"C"` {
			hasC = true
		}
	}
	if !hasC {
		return false
	}
	for _, cg := range f.Comments {
		if cg.Pos() > f.Package {
			break
		}
		for _, c := range cg.List {
			if constraint.IsGoBuild(c.Text) {
				expr, err := constraint.Parse(c.Text)
				if err != nil {
					continue
				}
				// A file that builds only with cgo has a fallback when
				// cgo is off: cgo is optional for this package.
				if !expr.Eval(func(tag string) bool { return tag != "cgo" }) {
					return false
				}
				if !expr.Eval(func(tag string) bool {
					return tag == "linux" || tag == "unix" || tag == "cgo" || strings.HasPrefix(tag, "go1.") || tag == "gc" || tag == "amd64" || tag == "arm64"
				}) {
					return false
				}
			}
		}
	}
	return true
}
