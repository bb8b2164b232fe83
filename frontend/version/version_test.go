package version

import "testing"

func TestImage(t *testing.T) {
	defer func(v string) { Version = v }(Version)
	for v, want := range map[string]string{"1.4.2": Repository + ":1.4.2", "dev": Repository + ":1"} {
		Version = v
		if got := Image(); got != want {
			t.Errorf("Version %q: Image() = %q, want %q", v, got, want)
		}
	}
}
