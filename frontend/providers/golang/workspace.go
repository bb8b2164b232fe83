package golang

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/providers"
	"golang.org/x/mod/modfile"
)

// A Go workspace: go.work at the app's root uses several modules. The app
// is the module the manifest's directory is in (or the one `dependencies:`
// names); the build copies go.work and the modules the app builds with
// (its imports and requires among the workspace's modules, transitively,
// and their local replacements), and go.work is rewritten to use only
// those, so a change to another module of the workspace neither reaches
// the builder nor invalidates a step.

// workspace is how the frontend recognizes a go.work above the app.
var workspace = &providers.Workspace{Files: []string{"go.work"}, Has: workHas}

// workHas reports whether go.work uses the module member is in.
func workHas(_ string, data []byte, member string) bool {
	wf, err := modfile.ParseWork("go.work", data, nil)
	if err != nil {
		return false
	}
	return usedModule(wf, member) != ""
}

// usedModule is the directory of go.work's module that dir is in ("":
// none), the deepest one.
func usedModule(wf *modfile.WorkFile, dir string) string {
	best := ""
	for _, u := range wf.Use {
		d := path.Clean(u.Path)
		if (d == "." || d == dir || strings.HasPrefix(dir, d+"/")) && (best == "" || len(d) > len(best)) {
			best = d
		}
	}
	return best
}

// goWork is the workspace an app is built in.
type goWork struct {
	file *modfile.WorkFile
	// sum says go.work.sum is there.
	sum bool
	// modules maps the workspace's module paths to their directories,
	// modFiles the directories to their go.mod, parsed.
	modules  map[string]string
	modFiles map[string]*modfile.File
	// closure are the directories of the modules the app builds with,
	// sorted.
	closure []string
	// content is go.work as the build writes it: only the closure's use
	// directives.
	content string
	// files are what the module download needs (workFiles).
	files []string
	// byMain says main: picked the app's module (a manifest at the
	// workspace's root).
	byMain bool
}

// readWork reads go.work at the app's root, if any, and picks the app's
// module: the one the manifest's directory is in, else the one
// `dependencies:` names. It sets pr.gomod.
func (pr *project) readWork(ctx context.Context) error {
	m := pr.req.Manifest
	data, err := pr.req.FS.ReadFile(ctx, "go.work")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("reading go.work: %w", err)
	}
	wf, err := modfile.ParseWork("go.work", data, nil)
	if err != nil {
		return providers.Fail(m, m.Language.Range, "fix go.work (go work edit -fmt shows the error)", "go.work: %v", err)
	}
	w := &goWork{file: wf, modules: map[string]string{}, modFiles: map[string]*modfile.File{}}
	var uses []string
	for _, u := range wf.Use {
		d := path.Clean(u.Path)
		if checkRelative(d) != nil {
			return providers.Fail(m, m.Language.Range, "keep the workspace's modules inside the build context", "go.work uses %s, outside the build context", u.Path)
		}
		uses = append(uses, d)
	}
	if !m.Dependencies.Set() {
		dir := usedModule(wf, pathOr(m.Member, "."))
		if dir == "" && m.Member == "" && m.Main.Set() && checkRelative(m.Main.Value) == nil {
			// A manifest at the workspace's root: main: names the package,
			// whose module is the app.
			if dir = usedModule(wf, path.Clean(m.Main.Value)); dir != "" {
				w.byMain = true
			}
		}
		if dir == "" {
			slices.Sort(uses)
			return providers.Fail(m, m.Language.Range, "put the manifest in the app's module directory, or name the app's package, e.g. main: ./"+firstOr(uses, "services/api"),
				"go.work uses %d modules (%s): which one is the app is not known", len(uses), strings.Join(uses, ", "))
		}
		pr.gomod = path.Join(dir, "go.mod")
	}
	if w.sum, err = providers.Exists(ctx, pr.req.FS, "go.work.sum"); err != nil {
		return err
	}
	if pf, ok := pr.req.FS.(providers.Prefetcher); ok {
		var mods []string
		for _, d := range uses {
			mods = append(mods, path.Join(d, "go.mod"))
		}
		if err := pf.Prefetch(ctx, mods); err != nil {
			return err
		}
	}
	for _, d := range uses {
		gm, err := pr.req.FS.ReadFile(ctx, path.Join(d, "go.mod"))
		if err != nil {
			return providers.Fail(m, m.Language.Range, "add the module's go.mod, or drop it from go.work", "go.work uses %s, which has no go.mod in the build context", d)
		}
		mf, err := modfile.Parse(path.Join(d, "go.mod"), gm, nil)
		if err != nil || mf.Module == nil {
			return providers.Fail(m, m.Language.Range, "fix "+path.Join(d, "go.mod"), "%s: %v", path.Join(d, "go.mod"), err)
		}
		w.modules[mf.Module.Mod.Path] = d
		w.modFiles[d] = mf
	}
	pr.work = w
	return nil
}

// workClosure finds the directories of the modules the app builds with,
// starting from its own (scanned already): the workspace's modules its
// code imports or its go.mod requires, and the local replacements, each
// scanned in turn (their cgo counts as the app's own). It also writes
// go.work for them.
func (pr *project) workClosure(ctx context.Context, own moduleScan, count *int) (moduleScan, error) {
	m, w := pr.req.Manifest, pr.work
	in := map[string]bool{pr.modDir: true}
	queue := []string{pr.modDir}
	var all moduleScan
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		s := own
		if d != pr.modDir {
			if err := providers.PrefetchTrees(ctx, pr.req.FS, []string{d}); err != nil {
				return all, err
			}
			var err error
			if s, err = scanModule(ctx, pr.req.FS, d, count); err != nil {
				return all, err
			}
		}
		if all.cgoFile == "" && s.cgoFile != "" {
			all.cgoFile, all.cxx = s.cgoFile, s.cxx
		}
		gm := path.Join(d, "go.mod")
		mf, ok := w.modFiles[d]
		if !ok {
			// A local replacement go.work does not use.
			data, err := pr.req.FS.ReadFile(ctx, gm)
			if errors.Is(err, fs.ErrNotExist) {
				return all, providers.Fail(m, pr.gomodRange, "keep the module's go.mod in the build context", "%s is not in the build context", gm)
			} else if err != nil {
				return all, fmt.Errorf("reading %s: %w", gm, err)
			}
			if mf, err = modfile.Parse(gm, data, nil); err != nil {
				return all, providers.Fail(m, pr.gomodRange, "fix "+gm, "%s: %v", gm, err)
			}
		}
		var next []string
		for _, imp := range slices.Sorted(maps.Keys(s.imports)) {
			next = append(next, w.moduleOf(imp))
		}
		for _, r := range mf.Require {
			next = append(next, w.modules[r.Mod.Path])
		}
		for _, r := range mf.Replace {
			if modfile.IsDirectoryPath(r.New.Path) && !path.IsAbs(r.New.Path) {
				rd := path.Join(d, r.New.Path)
				if checkRelative(rd) != nil {
					return all, providers.Fail(m, pr.gomodRange, "keep replaced modules inside the build context", "%s replaces a module with %s, outside the build context", gm, r.New.Path)
				}
				next = append(next, rd)
			}
		}
		for _, n := range next {
			if n != "" && !in[n] {
				in[n] = true
				queue = append(queue, n)
			}
		}
	}
	w.closure = slices.Sorted(maps.Keys(in))
	for _, u := range slices.Clone(w.file.Use) {
		if !in[path.Clean(u.Path)] {
			if err := w.file.DropUse(u.Path); err != nil {
				return all, err
			}
		}
	}
	w.file.Cleanup()
	w.content = string(modfile.Format(w.file.Syntax))
	var err error
	w.files, err = pr.workFiles(ctx)
	return all, err
}

// moduleOf is the directory of the workspace module that provides the
// package (the longest module path that is a prefix of it), or "".
func (w *goWork) moduleOf(pkg string) string {
	best, dir := "", ""
	for mp, d := range w.modules {
		if (pkg == mp || strings.HasPrefix(pkg, mp+"/")) && len(mp) > len(best) {
			best, dir = mp, d
		}
	}
	return dir
}

// workFiles are what the module download needs of the workspace: the
// go.mod and go.sum of each module of the closure and their local
// replacements, and go.work.sum.
func (pr *project) workFiles(ctx context.Context) ([]string, error) {
	w := pr.work
	var files []string
	if w.sum {
		files = append(files, "go.work.sum")
	}
	for _, d := range w.closure {
		files = append(files, path.Join(d, "go.mod"))
		sum := path.Join(d, "go.sum")
		if ok, err := providers.Exists(ctx, pr.req.FS, sum); err != nil {
			return nil, err
		} else if ok {
			files = append(files, sum)
		}
	}
	return files, nil
}

func pathOr(p, def string) string {
	if p == "" {
		return def
	}
	return p
}

func firstOr(s []string, def string) string {
	if len(s) == 0 {
		return def
	}
	return s[0]
}
