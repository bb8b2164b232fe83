package plan

import (
	"strings"
	"testing"
)

// TestValidateAfterStep: an artifact's AfterStep names a step of the
// target's builder.
func TestValidateAfterStep(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		after, from, err string
	}{
		{"build", FromBuilder, ""},
		{"", FromBuilder, ""},
		{"vet", FromBuilder, `after step "vet"`},
		{"build", FromContext, `after step "build"`},
	} {
		p := &Plan{Targets: []Target{{Platform: "linux/amd64", Builder: Image{Ref: "b"}, Runtime: Image{Ref: "r"},
			Steps:     []Step{{Name: "build", Run: &Run{Args: []string{"true"}}}},
			Artifacts: []Artifact{{From: tc.from, Src: "/out", Dest: "/app", AfterStep: tc.after}},
			Config:    Config{Entrypoint: []string{"/app/x"}}}}}
		err := p.Validate()
		if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("after %q from %s: %v, want %q", tc.after, tc.from, err, tc.err)
		}
	}
}
