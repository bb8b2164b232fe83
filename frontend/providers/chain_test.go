package providers

import (
	"slices"
	"testing"

	"github.com/distill-build/distill/llb/plan"
)

func TestChain(t *testing.T) {
	a := plan.Run{Args: []string{"python3.13", "-m", "venv", "--without-pip", "/app/.venv"}, Dir: "/"}
	b := plan.Run{Args: []string{"sh", "-c", `echo "$0" 'it''s'`, "x y"}, Dir: "/app", Env: []string{"B=1", "A=2"},
		Caches: []plan.Cache{{ID: "pip", Target: "/c", Sharing: "shared"}}, Network: true,
		Secrets: []plan.Secret{{ID: "netrc", Target: "/root/.netrc"}}}
	c := plan.Run{Args: []string{"true"}, Dir: "/", Env: []string{"A=2"}, Secrets: []plan.Secret{{ID: "netrc", Target: "/root/.netrc"}}}
	got := Chain(a, b, c)
	want := "set -e\ncd / && python3.13 -m venv --without-pip /app/.venv\ncd /app && sh -c 'echo \"$0\" '\\''it'\\'''\\''s'\\''' 'x y'\ncd / && true"
	if got.Args[0] != "sh" || got.Args[1] != "-c" || got.Args[2] != want || len(got.Args) != 3 {
		t.Errorf("args:\n%q\nwant script\n%q", got.Args, want)
	}
	if got.Dir != "/" || !got.Network || !slices.Equal(got.Env, []string{"A=2", "B=1"}) || len(got.Caches) != 1 || len(got.Secrets) != 1 {
		t.Errorf("chained run: %+v", got)
	}
	if r := Chain(a); !slices.Equal(r.Args, a.Args) {
		t.Errorf("one run is itself: %q", r.Args)
	}
}
