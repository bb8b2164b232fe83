package python

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
)

// pipSteps install a requirements file (and the files it includes) with
// pip. Local paths in the requirements need the sources: then they are
// copied in first; path dependencies outside the app's directory are
// copied to where pip finds them (pathdeps.go).
func (in *installer) pipSteps() ([]plan.Step, bool) {
	pl := in.pl
	file := pl.inApp(pl.file)
	name := "pip install -r " + file
	reqs := []string{"-r", path.Join(providers.AppDir, file)}
	steps := in.copyRequirements()
	dirs := pl.installDirs()
	if !pl.reqLocal && len(pl.deps) == 0 {
		return append(steps, in.lockedInstall(name, reqs, dirs...)), false
	}
	steps = append(steps, in.copyPathDeps()...)
	if pl.reqLocal {
		steps = append(steps, in.copySources())
	}
	return append(steps, in.install(in.run(name, in.depsOrigin, in.pipRun(in.pipInstall(reqs...))), nil, dirs...)), pl.reqLocal
}

// copyRequirements copy the requirements files to where pip reads them:
// under /app as in the context, or, for the app's directory in a larger
// root, those of the app's directory into /app and each other one to its
// place from there.
func (in *installer) copyRequirements() []plan.Step {
	pl := in.pl
	if pl.member == "." {
		return []plan.Step{{Name: "[python] copy " + strings.Join(pl.reqFiles, ", "), Origin: in.depsOrigin,
			Copy: &plan.Copy{Paths: pl.reqFiles, Dest: providers.AppDir}}}
	}
	var mine []string
	var steps []plan.Step
	for i, f := range pl.reqFiles {
		if within(f, pl.member) {
			mine = append(mine, pl.inApp(f))
			continue
		}
		steps = append(steps, plan.Step{Name: "[python] copy " + f + " to " + pl.reqDests[i], Origin: in.depsOrigin,
			Copy: &plan.Copy{Dir: dirOf(f), Paths: []string{path.Base(f)}, Dest: path.Dir(pl.reqDests[i])}})
	}
	return append([]plan.Step{{Name: "[python] copy " + strings.Join(mine, ", ") + " of " + pl.member, Origin: in.depsOrigin,
		Copy: &plan.Copy{Dir: pl.member, Paths: mine, Dest: providers.AppDir}}}, steps...)
}

// reqFile is a requirements file pip reads: its context path, where pip
// reads it in the builder, its content.
type reqFile struct {
	path, dest string
	data       []byte
	// from is the file including it, as the line names it.
	from, as string
}

// walkRequirements reads the requirements file and those it includes
// (-r, -c, relative to the including file), and lists the packages they
// install from local paths (relative to pip's working directory, the
// app's).
func (pl *planner) walkRequirements(ctx context.Context) ([]reqFile, []localDep, error) {
	var files []reqFile
	var locals []localDep
	seen := map[string]bool{}
	queue := []reqFile{{path: pl.file, dest: path.Join(providers.AppDir, pl.inApp(pl.file))}}
	for len(queue) > 0 {
		f := queue[0]
		queue = queue[1:]
		if seen[f.path] {
			continue
		}
		seen[f.path] = true
		data, ok, err := pl.read(ctx, f.path)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return nil, nil, providers.Fail(pl.m, pl.depsRange, "add it to the build context or remove the -r/-c line", "%s includes %s, which is not in the build context", pl.file, f.path)
		}
		f.data = data
		files = append(files, f)
		refs, local := requirementsRefs(data)
		for _, l := range local {
			l.from = f.path
			locals = append(locals, l)
		}
		for _, r := range refs {
			rp := path.Join(path.Dir(f.path), r)
			if path.IsAbs(r) || strings.HasPrefix(rp, "../") {
				return nil, nil, providers.Fail(pl.m, pl.depsRange, "keep included requirement files inside the build context", "%s includes %s, outside the build context", f.path, r)
			}
			queue = append(queue, reqFile{path: rp, dest: path.Join(path.Dir(f.dest), r), from: f.path, as: r})
		}
	}
	return files, locals, nil
}

// readRequirements reads the requirements file and those it includes
// (-r, -c), reports the requirements they do not pin, and places the
// packages they install from local paths.
func (pl *planner) readRequirements(ctx context.Context) error {
	files, locals, err := pl.walkRequirements(ctx)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := pl.checkDest(localDep{path: f.as, from: f.from}, f.path, f.dest, false); err != nil {
			return err
		}
		pl.reqFiles, pl.reqDests = append(pl.reqFiles, f.path), append(pl.reqDests, f.dest)
		if loose := unpinnedRequirements(f.data); len(loose) > 0 {
			pl.findings = append(pl.findings, check.Finding{Rule: check.DependenciesWithoutLock, Range: pl.depsRange,
				Msg:  fmt.Sprintf("%s does not pin %s: every build may install other versions", f.path, strings.Join(loose, ", ")),
				Hint: "pin every requirement (pip freeze, pip-compile --generate-hashes, uv pip compile) or use a lock file (uv.lock, poetry.lock)"})
		}
	}
	if err := pl.prefetchLocals(ctx, locals, pl.member); err != nil {
		return err
	}
	for _, l := range locals {
		if l.path == "" {
			pl.reqLocal = true
			continue
		}
		inside, err := pl.addLocal(ctx, l, pl.member, providers.AppDir)
		if err != nil {
			return err
		}
		pl.reqLocal = pl.reqLocal || inside
	}
	return nil
}

// requirementsRefs lists the files a requirements file pulls in (-r, -c)
// and the lines installing from local paths (which need the sources;
// path "" for one not named by a relative path: an absolute path, a
// file:// URL, an editable VCS checkout).
func requirementsRefs(data []byte) (files []string, local []localDep) {
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if i := strings.Index(line, " #"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		switch {
		case fields[0] == "-r" || fields[0] == "--requirement" || fields[0] == "-c" || fields[0] == "--constraint":
			if len(fields) > 1 {
				files = append(files, fields[1])
			}
		case strings.HasPrefix(fields[0], "--requirement=") || strings.HasPrefix(fields[0], "--constraint="):
			_, f, _ := strings.Cut(fields[0], "=")
			files = append(files, f)
		case strings.HasPrefix(fields[0], "-r") && len(fields[0]) > 2 && !strings.HasPrefix(fields[0], "--"):
			files = append(files, fields[0][2:])
		case fields[0] == "-e" || fields[0] == "--editable":
			target := ""
			if len(fields) > 1 {
				target = fields[1]
			}
			local = append(local, localDep{path: localPath(target), editable: true})
		case strings.HasPrefix(fields[0], "--editable="):
			local = append(local, localDep{path: localPath(strings.TrimPrefix(fields[0], "--editable=")), editable: true})
		case strings.HasPrefix(fields[0], "."), strings.HasPrefix(fields[0], "/"), strings.HasPrefix(fields[0], "file:"):
			local = append(local, localDep{path: localPath(fields[0])})
		case strings.Contains(line, "@ file:"):
			_, url, _ := strings.Cut(line, "@ file:")
			local = append(local, localDep{path: localPath("file:" + strings.TrimSpace(url))})
		}
	}
	return files, local
}

// localPath is the relative path a requirement names (extras, markers
// and a URL's fragment dropped), or "" when it names none.
func localPath(target string) string {
	target = strings.TrimSpace(target)
	if rest, ok := strings.CutPrefix(target, "file:"); ok {
		if strings.HasPrefix(rest, "//") {
			return ""
		}
		target = rest
	}
	if i := strings.IndexAny(target, "[;# "); i >= 0 {
		target = target[:i]
	}
	if target == "" || path.IsAbs(target) || strings.Contains(target, "://") {
		return ""
	}
	if !strings.HasPrefix(target, ".") {
		// (pip takes a bare name for a package's, unless it has a slash.)
		if !strings.Contains(target, "/") {
			return ""
		}
	}
	return path.Clean(target)
}

// unpinnedRequirements lists the requirements of a requirements file that
// do not pin one version (name==x.y, a direct URL or a local path do).
func unpinnedRequirements(data []byte) []string {
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if i := strings.Index(line, " #"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		line = strings.TrimSpace(strings.TrimSuffix(line, "\\"))
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "-") || strings.HasPrefix(line, ".") || strings.HasPrefix(line, "/") {
			continue
		}
		spec, _, _ := strings.Cut(line, ";")
		if strings.Contains(spec, "===") || strings.Contains(spec, "@") || (strings.Contains(spec, "==") && !strings.Contains(spec, "*")) {
			continue
		}
		name := strings.FieldsFunc(spec, func(r rune) bool { return strings.ContainsRune("<>=!~[ ", r) })
		if len(name) > 0 {
			out = append(out, name[0])
		}
	}
	return out
}
