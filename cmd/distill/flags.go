package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/frontend/manifest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
)

// commonPlatforms are the platforms the shell completes for --platform and
// --build-platform (any linux platform is accepted).
var commonPlatforms = []string{"linux/amd64", "linux/arm64"}

// choice is the value of a flag that takes one of a few words.
type choice struct {
	value   string
	choices []string
}

func newChoice(def string, choices ...string) *choice {
	return &choice{value: def, choices: choices}
}

func (c *choice) String() string { return c.value }
func (c *choice) Type() string   { return "string" }
func (c *choice) Set(s string) error {
	if !slices.Contains(c.choices, s) {
		return fmt.Errorf("want %s", strings.Join(c.choices, " or "))
	}
	c.value = s
	return nil
}

// complete completes the flag's words.
func (c *choice) complete(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return c.choices, cobra.ShellCompDirectiveNoFileComp
}

// formatFlag adds --format to cmd.
func formatFlag(cmd *cobra.Command, usage string, choices ...string) *choice {
	c := newChoice(choices[0], choices...)
	cmd.Flags().Var(c, "format", usage)
	must(cmd.RegisterFlagCompletionFunc("format", c.complete))
	return c
}

// manifestFlags are the flags of the commands that read a manifest.
type manifestFlags struct {
	file          string
	platforms     []string
	buildPlatform string
}

// fileFlag adds -f/--file to cmd.
func fileFlag(cmd *cobra.Command, file *string, usage string) {
	cmd.Flags().StringVarP(file, "file", "f", manifest.DefaultFilename, usage)
	must(cmd.RegisterFlagCompletionFunc("file", completeManifest))
}

// platformFlag adds --platform to cmd.
func platformFlag(cmd *cobra.Command, ps *[]string, usage string) {
	cmd.Flags().StringSliceVar(ps, "platform", nil, usage)
	must(cmd.RegisterFlagCompletionFunc("platform", completePlatforms))
}

// add adds the flags to cmd: build says whether it plans (and so takes
// --build-platform).
func (f *manifestFlags) add(cmd *cobra.Command, build bool) {
	fileFlag(cmd, &f.file, "the manifest `file`, relative to the directory")
	platformFlag(cmd, &f.platforms, "target `platforms`, comma-separated or repeated (default: the manifest's platforms:, else the build platform)")
	if build {
		cmd.Flags().StringVar(&f.buildPlatform, "build-platform", "linux/amd64", "the `platform` the build steps run on natively (the builder's)")
		must(cmd.RegisterFlagCompletionFunc("build-platform", completePlatforms))
	}
}

// targetPlatforms parses --platform.
func (f *manifestFlags) targetPlatforms() ([]ocispecs.Platform, error) {
	var out []ocispecs.Platform
	for _, s := range f.platforms {
		p, err := parsePlatform("--platform", s)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// parsePlatform parses the value of a platform flag: a linux platform.
func parsePlatform(flag, s string) (ocispecs.Platform, error) {
	p, err := platforms.Parse(strings.TrimSpace(s))
	if err != nil || p.OS != "linux" {
		return p, fmt.Errorf("%s %s: not a platform distill builds for (write linux/arch[/variant], e.g. linux/arm64)", flag, s)
	}
	return p, nil
}

// completePlatforms completes a comma-separated list of platforms.
func completePlatforms(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	i := strings.LastIndex(toComplete, ",")
	done := strings.Split(toComplete[:i+1], ",")
	var out []cobra.Completion
	for _, p := range commonPlatforms {
		if !slices.Contains(done, p) {
			out = append(out, toComplete[:i+1]+p)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeManifest completes -f: the YAML files and directories of the
// directory the command was given (not the shell's), which -f is
// relative to.
func completeManifest(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	dir := "."
	if len(args) > 0 {
		dir = args[0]
	}
	sub, _ := path.Split(toComplete)
	entries, err := os.ReadDir(filepath.Join(dir, filepath.FromSlash(sub)))
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	dirs := false
	for _, e := range entries {
		name := sub + e.Name()
		switch {
		case !strings.HasPrefix(name, toComplete) || strings.HasPrefix(e.Name(), "."):
		case e.IsDir():
			out, dirs = append(out, name+"/"), true
		case strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml"):
			out = append(out, name)
		}
	}
	if dirs {
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeDir completes the directory argument.
func completeDir(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return nil, cobra.ShellCompDirectiveFilterDirs
}

// isDir says why dir, the directory argument, is not one.
func isDir(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: no such directory", dir)
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%s: not a directory", dir)
	}
	return nil
}

// must panics on an error of the command tree's construction (a flag
// completion registered twice): a bug, caught by any test.
func must(err error) {
	if err != nil {
		panic(err)
	}
}
