package python

import (
	"path"
	"strings"

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
