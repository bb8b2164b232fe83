package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReadSpec(t *testing.T) {
	tests := []struct {
		name, json, wantErr string
	}{
		{"valid", `{"repository":"library/golang","tags":["1.26-trixie"],"platforms":[{"platform":"linux/arm64","layers":["a",{"path":"b"}],"config":{"Cmd":["bash"]}}]}`, ""},
		{"no repository", `{"tags":["t"],"platforms":[{"platform":"linux/amd64"}]}`, "no repository"},
		{"no tags", `{"repository":"r","platforms":[{"platform":"linux/amd64"}]}`, "no tags"},
		{"no platforms", `{"repository":"r","tags":["t"]}`, "no platforms"},
		{"bad platform", `{"repository":"r","tags":["t"],"platforms":[{"platform":"amd64"}]}`, "invalid platform"},
		{"not JSON", `{`, "reading"},
		{"unknown config field", `{"repository":"r","tags":["t"],"platforms":[{"platform":"linux/amd64","config":{"Usr":"0"}}]}`, "unknown field \"Usr\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "spec.json")
			if err := os.WriteFile(file, []byte(tt.json), 0o644); err != nil {
				t.Fatal(err)
			}
			spec, err := readSpec(file)
			if tt.wantErr == "" {
				if err != nil || len(spec.Platforms[0].Layers) != 2 || spec.Platforms[0].Layers[1].Path != "b" {
					t.Fatalf("readSpec = %+v, %v", spec, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestSourceDateEpoch(t *testing.T) {
	tests := []struct {
		env     string
		want    time.Time
		wantErr bool
	}{
		{"", time.Unix(0, 0).UTC(), false},
		{"1700000000", time.Unix(1700000000, 0).UTC(), false},
		{"yesterday", time.Time{}, true},
	}
	for _, tt := range tests {
		t.Setenv("SOURCE_DATE_EPOCH", tt.env)
		got, err := sourceDateEpoch()
		if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
			t.Errorf("SOURCE_DATE_EPOCH=%q: %v, %v", tt.env, got, err)
		}
	}
}
