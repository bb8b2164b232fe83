package python

import (
	"context"

	"github.com/distill-build/distill/frontend/providers"
)

// lockFiles are the lock files of the managers that install from one,
// as far as planning checks them (providers.LockFile): what makes each
// the file its name says.
var lockFiles = map[string]providers.LockFile{
	managerUV: {Syntax: providers.TOML, Fix: "uv lock", Check: func(doc any) string {
		if _, ok := doc.(map[string]any)["version"].(int64); !ok {
			return "no version number: it is not a uv lock file"
		}
		return ""
	}},
	managerPoetry: {Syntax: providers.TOML, Fix: "poetry lock", Check: func(doc any) string {
		if _, ok := doc.(map[string]any)["metadata"].(map[string]any); !ok {
			return "no [metadata] table: it is not a Poetry lock file"
		}
		return ""
	}},
	managerPipenv: {Syntax: providers.JSON, Fix: "pipenv lock", Check: func(doc any) string {
		lock := doc.(map[string]any)
		if _, ok := lock["_meta"].(map[string]any); !ok {
			return "no _meta object: it is not a Pipfile.lock"
		}
		if _, ok := lock["default"].(map[string]any); !ok {
			return `no "default" object: it is not a Pipfile.lock`
		}
		return ""
	}},
}

// checkLock checks that the lock file the project installs from, if it
// installs from one, is that file.
func (pl *planner) checkLock(ctx context.Context) error {
	f, ok := lockFiles[pl.kind]
	if !ok {
		return nil
	}
	data, _, err := pl.read(ctx, pl.file)
	if err != nil {
		return err
	}
	return f.Verify(pl.m, pl.depsRange, pl.file, data)
}
