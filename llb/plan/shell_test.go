package plan

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestShellLine runs the quoted words through a real shell.
func TestShellLine(t *testing.T) {
	words := []string{"plain", "", "with space", "it's", `"$HOME"`, "a\nb", "^/app/\\.venv/", "*"}
	out, err := exec.Command("sh", "-c", `for w in `+ShellLine(words)+`; do printf '%s\0' "$w"; done`).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00"); !slices.Equal(got, words) {
		t.Errorf("through sh: %q, want %q", got, words)
	}
}
