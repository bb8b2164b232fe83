package python

import (
	"context"
	"path"
	"regexp"
	"strings"

	"github.com/distill-build/distill/frontend/providers"
)

// entrypoint maps the manifest's command onto the environment: "python"
// is the environment's interpreter, a bare name is a console script of an
// installed distribution (checked when the image is built), "x.py" runs
// with the interpreter.
func (pl *planner) entrypoint(ctx context.Context) error {
	m := pl.m
	py := pl.python()
	if m.Entrypoint.Set() {
		argv, err := providers.Command(m)
		if err != nil {
			return err
		}
		a0 := argv[0]
		switch {
		case a0 == "python" || a0 == "python3" || a0 == "python"+pl.minor:
			argv[0] = py
			pl.scriptFile = providers.ScriptArg(m)
		case strings.HasSuffix(a0, ".py") && !strings.HasPrefix(a0, "/"):
			argv = append([]string{py}, argv...)
		case !strings.Contains(a0, "/"):
			pl.script = a0
			argv[0] = path.Join(VenvDir, "bin", a0)
		}
		pl.command = argv
		if pl.name == "" {
			pl.name = path.Base(a0)
		}
		return nil
	}
	if m.Main.Set() {
		mod := m.Main.Value
		if !regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`).MatchString(mod) {
			return providers.Fail(pl.m, m.Main.Range, "name an importable module, e.g. main: myapp or main: myapp.server", "%q is not a Python module name", mod)
		}
		pl.command = []string{py, "-m", mod}
		return nil
	}
	for _, f := range []string{"main.py", "app.py", "__main__.py"} {
		if ok, err := providers.Exists(ctx, pl.req.FS, m.Path(f)); err != nil {
			return err
		} else if ok {
			pl.command = []string{py, f}
			if f == "__main__.py" {
				pl.command = []string{py, "."}
			}
			return nil
		}
	}
	if pl.pyproject != nil {
		if s := pl.pyproject.scripts(); len(s) == 1 {
			pl.script = s[0]
			pl.command = []string{path.Join(VenvDir, "bin", s[0])}
			return nil
		}
	}
	return providers.Fail(pl.m, m.Language.Range, `add entrypoint: ["python", "main.py"], a console script such as ["uvicorn", "main:app"], or main: <module>`,
		"no entrypoint: the context has no main.py, app.py or __main__.py, and the project declares no single console script")
}

// mainScript is the image path of the script the command runs with the
// interpreter (python x.py), if any.
func (pl *planner) mainScript() string {
	if len(pl.command) < 2 || pl.command[0] != pl.python() || !strings.HasSuffix(pl.command[1], ".py") {
		return ""
	}
	return path.Join(providers.AppDir, pl.command[1])
}
