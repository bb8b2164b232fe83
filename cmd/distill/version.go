package main

import (
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/distill-build/distill/frontend/version"
	"github.com/spf13/cobra"
)

// versionString is the line `distill version` and `distill --version`
// print.
func versionString() string {
	return fmt.Sprintf("distill %s (frontend image %s)", version.String(), version.Image())
}

func versionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of distill and the frontend image it matches",
		Long: `Version prints the version of this CLI and the frontend image of the same
version: the image a manifest's syntax line names to build with the
frontend this CLI plans for (# syntax=<image>). A development build
matches the newest release of the major version.`,
		Example: `  distill version
  distill version --format json | jq -r .frontend`,
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	format := formatFlag(cmd, "output `format`: text or json (an object with version, frontend, go, os and arch)", "text", "json")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if format.value == "json" {
			js, err := json.MarshalIndent(struct {
				Version  string `json:"version"`
				Frontend string `json:"frontend"`
				Go       string `json:"go"`
				OS       string `json:"os"`
				Arch     string `json:"arch"`
			}{version.String(), version.Image(), runtime.Version(), runtime.GOOS, runtime.GOARCH}, "", "  ")
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\n", js)
			return err
		}
		_, err := fmt.Fprintln(cmd.OutOrStdout(), versionString())
		return err
	}
	return cmd
}
