package providers_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/providers"
)

func TestFindWorkspace(t *testing.T) {
	t.Parallel()
	fsys := contextfs.FS{FS: fstest.MapFS{
		"ws.txt":                 {Data: []byte("apps/*\n")},
		"apps/web/ws.txt":        {Data: []byte("nothing\n")},
		"apps/web/distill.yaml":  {Data: []byte("language: x\n")},
		"tools/cli/distill.yaml": {Data: []byte("language: x\n")},
	}}
	// A file declares a workspace when one of its lines matches the member.
	ws := &providers.Workspace{Files: []string{"ws.txt"}, Has: func(_ string, data []byte, member string) bool {
		return providers.MatchMember(member, strings.Fields(string(data)), nil)
	}}
	for dir, want := range map[string]string{"apps/web": ".", "tools/cli": "", ".": "", "apps/web/sub": ""} {
		got, err := providers.FindWorkspace(context.Background(), fsys, dir, ws)
		if err != nil || got != want {
			t.Errorf("FindWorkspace(%s) = %q, %v; want %q", dir, got, err, want)
		}
	}
}

func TestMatchMember(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		member             string
		patterns, excludes []string
		want               bool
	}{
		{"packages/a", []string{"packages/*"}, nil, true},
		{"packages/a", []string{"./packages/*/"}, nil, true},
		{"packages/a/b", []string{"packages/*"}, nil, false},
		{"packages/a/b", []string{"packages/**"}, nil, true},
		{"apps/web", []string{"apps/web"}, nil, true},
		{"packages/legacy", []string{"packages/*", "!packages/legacy"}, nil, false},
		{"packages/legacy", []string{"packages/*"}, []string{"packages/legacy"}, false},
		{"tools", []string{"packages/*"}, nil, false},
	} {
		if got := providers.MatchMember(tc.member, tc.patterns, tc.excludes); got != tc.want {
			t.Errorf("MatchMember(%q, %q, %q) = %v, want %v", tc.member, tc.patterns, tc.excludes, got, tc.want)
		}
	}
}
