package golang

import (
	"context"
	"go/ast"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/distill-build/distill/frontend/providers"
)

// maxScan bounds the number of Go files read for cgo detection.
const maxScan = 5000

// moduleScan is what the sources of a module tell: the first file that
// imports "C" unconditionally, whether its package also holds C++
// sources, and every package the module's files import.
type moduleScan struct {
	cgoFile string
	cxx     bool
	imports map[string]bool
}

// cgo is whether the module's code needs cgo, and why.
func (s moduleScan) cgo() (bool, string) {
	if s.cgoFile == "" {
		return false, ""
	}
	reason := `import "C" in ` + s.cgoFile
	if s.cxx {
		reason += ", with C++ sources"
	}
	return true, reason
}

// scanModule reads the non-test Go files for Linux under root. Files
// whose build constraint mentions cgo have a pure-Go alternative and do
// not force cgo; neither do files for other systems.
func scanModule(ctx context.Context, fsys providers.FS, root string, count *int) (moduleScan, error) {
	s := moduleScan{imports: map[string]bool{}}
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
			if *count++; *count > maxScan {
				return nil
			}
			data, err := fsys.ReadFile(ctx, p)
			if err != nil {
				return err
			}
			c, imports := parseImports(data)
			for _, i := range imports {
				s.imports[i] = true
			}
			if c {
				cgoHere = true
				if s.cgoFile == "" {
					s.cgoFile = p
				}
			}
		}
		if cgoHere {
			for _, n := range names {
				switch path.Ext(n) {
				case ".cc", ".cpp", ".cxx":
					s.cxx = true
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
	return s, walk(root)
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
	c, _ := parseImports(data)
	return c
}

// packageClause is the file's package name, unless its build constraint
// leaves it out of a Linux build (//go:build tools, ignore, windows).
func packageClause(data []byte) (string, bool) {
	f, err := parser.ParseFile(token.NewFileSet(), "", data, parser.PackageClauseOnly|parser.ParseComments)
	if err != nil {
		return "", false
	}
	for _, cg := range f.Comments {
		if cg.Pos() > f.Package {
			break
		}
		for _, c := range cg.List {
			if !constraint.IsGoBuild(c.Text) {
				continue
			}
			if expr, err := constraint.Parse(c.Text); err == nil && !expr.Eval(linuxTag) {
				return "", false
			}
		}
	}
	return f.Name.Name, true
}

// linuxTag reports whether a build tag holds in a Linux build, cgo on or
// off, on either architecture distill builds most (so a file for one of
// them counts).
func linuxTag(tag string) bool {
	return tag == "linux" || tag == "unix" || tag == "cgo" || strings.HasPrefix(tag, "go1.") || tag == "gc" || tag == "amd64" || tag == "arm64"
}

// parseImports parses the file's header: whether it imports "C"
// unconditionally, and the other packages it imports.
func parseImports(data []byte) (bool, []string) {
	f, err := parser.ParseFile(token.NewFileSet(), "", data, parser.ImportsOnly|parser.ParseComments)
	if err != nil {
		return false, nil
	}
	var hasC bool
	var imports []string
	for _, imp := range f.Imports {
		if p, err := strconv.Unquote(imp.Path.Value); err == nil && p != "C" {
			imports = append(imports, p)
		}
		if imp.Path.Value == `"C"` {
			hasC = true
		}
	}
	return hasC && cgoUnconditional(f), imports
}

// cgoUnconditional reports whether the file's build constraint leaves it
// in a cgo-off Linux build's reach with no pure-Go alternative.
func cgoUnconditional(f *ast.File) bool {
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
				if !expr.Eval(linuxTag) {
					return false
				}
			}
		}
	}
	return true
}
