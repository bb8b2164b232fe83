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
// copied in first.
func (in *installer) pipSteps() ([]plan.Step, bool) {
	pl := in.pl
	name := "pip install -r " + pl.file
	reqs := []string{"-r", path.Join(providers.AppDir, pl.file)}
	steps := []plan.Step{{Name: "[python] copy " + strings.Join(pl.reqFiles, ", "), Origin: in.depsOrigin,
		Copy: &plan.Copy{Paths: pl.reqFiles, Dest: providers.AppDir}}}
	if !pl.reqLocal {
		return append(steps, in.lockedInstall(name, reqs, providers.AppDir)), false
	}
	return append(steps, in.copySources(),
		in.install(in.run(name, in.depsOrigin, in.pipRun(in.pipInstall(reqs...))), nil, providers.AppDir)), true
}

// readRequirements reads the requirements file and those it includes
// (-r, -c), and reports the requirements they do not pin.
func (pl *planner) readRequirements(ctx context.Context) error {
	seen := map[string]bool{}
	queue := []string{pl.file}
	for len(queue) > 0 {
		f := queue[0]
		queue = queue[1:]
		if seen[f] {
			continue
		}
		seen[f] = true
		data, ok, err := pl.read(ctx, f)
		if err != nil {
			return err
		}
		if !ok {
			return providers.Fail(pl.m, pl.depsRange, "add it to the build context or remove the -r/-c line", "%s includes %s, which is not in the build context", pl.file, f)
		}
		pl.reqFiles = append(pl.reqFiles, f)
		if loose := unpinnedRequirements(data); len(loose) > 0 {
			pl.findings = append(pl.findings, check.Finding{Rule: check.DependenciesWithoutLock, Range: pl.depsRange,
				Msg:  fmt.Sprintf("%s does not pin %s: every build may install other versions", f, strings.Join(loose, ", ")),
				Hint: "pin every requirement (pip freeze, pip-compile --generate-hashes, uv pip compile) or use a lock file (uv.lock, poetry.lock)"})
		}
		refs, local := requirementsRefs(data)
		pl.reqLocal = pl.reqLocal || local
		for _, r := range refs {
			rp := path.Join(path.Dir(f), r)
			if path.IsAbs(r) || strings.HasPrefix(rp, "../") {
				return providers.Fail(pl.m, pl.depsRange, "keep included requirement files inside the build context", "%s includes %s, outside the build context", f, r)
			}
			queue = append(queue, rp)
		}
	}
	return nil
}

// requirementsRefs lists the files a requirements file pulls in (-r, -c)
// and whether it installs from local paths (which need the sources).
func requirementsRefs(data []byte) (files []string, local bool) {
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
		case fields[0] == "-e" || fields[0] == "--editable",
			strings.HasPrefix(fields[0], "."), strings.HasPrefix(fields[0], "/"),
			strings.Contains(line, "@ file:"), strings.HasPrefix(fields[0], "file:"):
			local = true
		}
	}
	return files, local
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
