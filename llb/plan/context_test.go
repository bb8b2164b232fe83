package plan

import (
	"slices"
	"testing"
)

func TestContextPaths(t *testing.T) {
	t.Parallel()
	p := &Plan{Targets: []Target{{
		Steps: []Step{
			{Copy: &Copy{Paths: []string{"libs/greet/go.mod", "services/api/go.mod", "./go.work.sum"}}},
			{Run: &Run{Emulated: &Emulated{Setup: []Step{{Copy: &Copy{Paths: []string{"tools/setup.sh"}}}}}}},
			{Copy: &Copy{Paths: []string{"services/api", "libs/greet"}}},
		},
		Artifacts: []Artifact{{From: FromContext, Src: "static/"}, {From: FromBuilder, Src: "/out/app"}},
	}}}
	paths, whole := p.ContextPaths()
	if want := []string{"go.work.sum", "libs/greet", "services/api", "static", "tools/setup.sh"}; whole || !slices.Equal(paths, want) {
		t.Errorf("ContextPaths = %q, %v; want %q", paths, whole, want)
	}
	p.Targets[0].Steps = append(p.Targets[0].Steps, Step{Copy: &Copy{Dest: "/src"}})
	if paths, whole := p.ContextPaths(); !whole || paths != nil {
		t.Errorf("a copy of the whole context: ContextPaths = %q, %v", paths, whole)
	}
	p.Targets[0].Steps = []Step{{Copy: &Copy{Paths: []string{"."}}}}
	if _, whole := p.ContextPaths(); !whole {
		t.Errorf("a copy of \".\" is the whole context")
	}
	// A copy of a directory's content, or of paths under it, reads only it.
	p.Targets[0].Steps = []Step{{Copy: &Copy{Dir: "apps/api", Dest: "/app"}}, {Copy: &Copy{Dir: "packages", Paths: []string{"shared/pyproject.toml"}}}}
	if paths, whole := p.ContextPaths(); whole || !slices.Equal(paths, []string{"apps/api", "packages/shared/pyproject.toml", "static"}) {
		t.Errorf("copies with a Dir: ContextPaths = %q, %v", paths, whole)
	}
	p.Targets[0].Steps = []Step{{Copy: &Copy{Dir: ".", Dest: "/app"}}}
	if _, whole := p.ContextPaths(); !whole {
		t.Errorf("a copy of the content of \".\" is the whole context")
	}
}
