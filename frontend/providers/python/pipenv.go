package python

import (
	"path"

	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
)

// pipenvSteps install Pipfile.lock's default packages with pip, from the
// hashed requirements list it was converted to.
func (in *installer) pipenvSteps() ([]plan.Step, bool) {
	pl := in.pl
	lock := path.Join(lockDir, "Pipfile.lock.txt")
	name := "pip install " + pl.file + " (default packages, hashes checked)"
	return []plan.Step{
		{Name: "[python] requirements from " + pl.file, Origin: in.depsOrigin, Write: &plan.Write{Path: lock, Content: pl.lockReqs}},
		in.lockedInstall(name, []string{"--require-hashes", "--no-deps", "-r", lock}, providers.AppDir, lockDir),
	}, false
}
