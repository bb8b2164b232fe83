package golang

import "testing"

func TestExecName(t *testing.T) {
	for in, want := range map[string]string{
		"example.com/hello":               "hello",
		"miniflux.app/v2":                 "miniflux.app",
		"github.com/user/tool/v3":         "tool",
		"github.com/user/tool/v2/cmd/srv": "srv",
		"github.com/user/tool/v1":         "v1",
		"github.com/user/tool/v0":         "v0",
		"github.com/user/tool/v2x":        "v2x",
		"v2":                              "v2",
		"gopkg.in/yaml.v3":                "yaml.v3",
	} {
		if got := execName(in); got != want {
			t.Errorf("execName(%q) = %q, want %q", in, got, want)
		}
	}
}
