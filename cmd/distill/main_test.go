package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/distill-build/distill/llb/plan"
)

func TestPlanCommand(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"plan", "--platform", "linux/amd64,linux/arm64", "../../examples/go-server"}, &out); err != nil {
		t.Fatal(err)
	}
	var p plan.Plan
	if err := json.Unmarshal(out.Bytes(), &p); err != nil {
		t.Fatalf("plan output is not JSON: %v", err)
	}
	if len(p.Targets) != 2 || p.Targets[1].Platform != "linux/arm64" || p.Targets[1].Builder.Platform != "linux/amd64" {
		t.Errorf("targets = %+v", p.Targets)
	}
}

func TestPlanCommandError(t *testing.T) {
	t.Parallel()
	err := run(context.Background(), []string{"plan", "-f", "missing.yaml", "../../examples/go-hello"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("err = %v", err)
	}
}

func TestSchemaCommand(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"schema"}, &out); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(out.Bytes()) {
		t.Error("schema is not JSON")
	}
}
