package providers_test

import (
	"context"
	"path"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/manifest"
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
		got, err := providers.FindWorkspace(context.Background(), fsys, nil, dir, ws)
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

// TestFindWorkspaceReach: without a file declaring a workspace, the root
// is the deepest directory holding the manifest's directory and the
// paths its dependency files reach; paths leaving the context are left
// to the provider.
func TestFindWorkspaceReach(t *testing.T) {
	t.Parallel()
	fsys := contextfs.FS{FS: fstest.MapFS{
		"ws.txt":                    {Data: []byte("apps/*\n")},
		"apps/web/reach.txt":        {Data: []byte("../../libs/ui\n")},
		"services/api/reach.txt":    {Data: []byte("../../libs/shared ../worker/proto\n")},
		"services/solo/reach.txt":   {Data: []byte("\n")},
		"services/out/reach.txt":    {Data: []byte("../../../elsewhere\n")},
		"services/sub/reach.txt":    {Data: []byte("../sub2/x.whl\n")},
		"a/b/c/reach.txt":           {Data: []byte("../../lib /abs\n")},
		"services/inside/reach.txt": {Data: []byte("./vendor/pkg\n")},
	}}
	// Reach reads reach.txt in the manifest's directory: paths relative
	// to it, made relative to the context.
	ws := &providers.Workspace{Files: []string{"ws.txt"},
		Has: func(_ string, data []byte, member string) bool {
			return providers.MatchMember(member, strings.Fields(string(data)), nil)
		},
		Reach: func(ctx context.Context, fsys providers.FS, _ *manifest.Manifest, dir string) ([]string, error) {
			data, ok, err := providers.ReadFile(ctx, fsys, path.Join(dir, "reach.txt"))
			if err != nil || !ok {
				return nil, err
			}
			var out []string
			for _, p := range strings.Fields(string(data)) {
				if !path.IsAbs(p) {
					p = path.Join(dir, p)
				}
				out = append(out, p)
			}
			return out, nil
		}}
	for _, tc := range []struct{ dir, want string }{
		{"apps/web", "."},            // a declared workspace first
		{"services/api", "."},        // libs/shared and services/worker/proto
		{"services/solo", ""},        // nothing reached
		{"services/out", ""},         // only a path leaving the context
		{"services/sub", "services"}, // a file beside the app
		{"a/b/c", "a"},               // the absolute path ignored
		{"services/inside", ""},      // a path under the app's directory
		{"services/none", ""},        // no dependency file
	} {
		got, err := providers.FindWorkspace(context.Background(), fsys, nil, tc.dir, ws)
		if err != nil || got != tc.want {
			t.Errorf("FindWorkspace(%s) = %q, %v; want %q", tc.dir, got, err, tc.want)
		}
	}
}
