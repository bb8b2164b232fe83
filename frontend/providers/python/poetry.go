package python

import (
	"path"

	"github.com/distill-build/distill/llb/plan"
)

// poetrySteps install poetry.lock with Poetry, installed into a virtual
// environment of its own. Poetry installs for the platform it runs on:
// its steps never run for another platform from the build platform.
func (in *installer) poetrySteps() ([]plan.Step, bool) {
	poetryVenv := path.Join(toolsDir, "poetry")
	poetry := path.Join(poetryVenv, "bin", "poetry")
	return in.toolSteps(lockTool{
		install: in.toolInstall("install poetry "+PoetryVersion,
			[]string{"sh", "-c", `"$0" -m venv "$1" && "$1/bin/pip" install --no-compile "poetry==$2"`, in.pyexe, poetryVenv, PoetryVersion}),
		env:     []string{"VIRTUAL_ENV=" + VenvDir, "POETRY_VIRTUALENVS_CREATE=false", "POETRY_CACHE_DIR=" + poetryCache, "POETRY_NO_INTERACTION=1"},
		cache:   plan.Cache{ID: "poetry", Target: poetryCache, Sharing: "locked"},
		deps:    []string{poetry, "install", "--only", "main", "--no-root", "--no-ansi"},
		project: []string{poetry, "install", "--only", "main", "--no-ansi"},
	})
}
