package python

import (
	"path"

	"github.com/distill-build/distill/llb/plan"
	"github.com/pelletier/go-toml/v2"
)

// uvSteps install uv.lock with uv, installed into the builder for it.
func (in *installer) uvSteps() ([]plan.Step, bool) {
	if in.pl.ws != nil {
		return in.workspaceSteps(in.uvTool())
	}
	return in.toolSteps(in.uvTool())
}

// uvTool is uv, installed into the builder, and its commands for a
// project.
func (in *installer) uvTool() lockTool {
	uv := path.Join(toolsDir, "uv", "bin", "uv")
	return lockTool{
		install: in.toolInstall("install uv "+UVVersion,
			[]string{in.pyexe, "-m", "pip", "install", "--no-compile", "--target", path.Join(toolsDir, "uv"), "uv==" + UVVersion}),
		env: []string{"UV_PROJECT_ENVIRONMENT=" + VenvDir, "UV_PYTHON_DOWNLOADS=never", "UV_LINK_MODE=copy",
			"UV_COMPILE_BYTECODE=0", "UV_CACHE_DIR=" + uvCache, "UV_SYSTEM_CERTS=1", "UV_NO_PROGRESS=1"},
		cache:   plan.Cache{ID: "uv", Target: uvCache, Sharing: "shared"},
		deps:    []string{uv, "sync", "--frozen", "--no-dev", "--no-install-project", "--no-editable"},
		project: []string{uv, "sync", "--frozen", "--no-dev", "--no-editable"},
		// uv selects the target's wheels itself, into the environment;
		// --no-build makes a missing wheel an error the probe reports.
		cross: []string{"--no-build", "--python-platform", uvPlatform[in.p.Architecture] + "-manylinux_2_40"},
	}
}

// uvLockRequiresPython reads the top-level requires-python of uv.lock.
func uvLockRequiresPython(data []byte) string {
	var l struct {
		RequiresPython string `toml:"requires-python"`
	}
	if toml.Unmarshal(data, &l) != nil {
		return ""
	}
	return l.RequiresPython
}
