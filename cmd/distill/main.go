// Command distill is the distill CLI: it plans, checks, locks and
// scaffolds the manifest (distill.yaml) that the distill BuildKit frontend
// builds. Every command but lock works without a daemon.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/resolve"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

const about = `distill is a BuildKit frontend that builds small, shell-less, non-root
container images from a short manifest, distill.yaml, instead of a
Dockerfile. The manifest's first line (# syntax=ghcr.io/distill-build/distill:1)
hands the build to the frontend, so any BuildKit client builds the app:

  docker buildx build -f distill.yaml .

This CLI works on the manifest without a daemon: it writes one for an app
(init), prints the build the frontend plans (plan), runs the checks (check)
and prints the manifest's JSON Schema (schema). Only lock needs a builder:
it pins the build's images and runtime packages in distill.lock through
docker buildx.`

func main() {
	os.Exit(report(os.Stderr, run(context.Background(), os.Args[1:], os.Stdout)))
}

// run runs the command line args, writing what it prints to out (docker's
// own output, for lock, goes to the standard error).
func run(ctx context.Context, args []string, out io.Writer) error {
	root := newRoot()
	if args == nil {
		args = []string{} // not os.Args, as cobra reads nil
	}
	root.SetArgs(args)
	root.SetOut(out)
	root.SetErr(os.Stderr)
	return root.ExecuteContext(ctx)
}

// report prints err, if any, once prefixed with "distill: ", and returns
// the exit code: 0, 1 for a failed command, 2 for a command line that
// distill does not understand (with where to find its usage).
func report(w io.Writer, err error) int {
	if err == nil {
		return 0
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(w, "distill: %s\nRun '%s --help' for usage.\n", strings.TrimPrefix(ue.msg, "distill: "), ue.cmd)
		return 2
	}
	lines := []string{err.Error()}
	if errs := manifest.Errors(err); len(errs) > 1 {
		// One problem of the manifest a line, each its own error.
		lines = lines[:0]
		for _, e := range errs {
			lines = append(lines, e.Error())
		}
	}
	for _, l := range lines {
		fmt.Fprintln(w, "distill: "+strings.TrimPrefix(l, "distill: "))
	}
	return 1
}

// usageError is a command line that distill does not understand.
type usageError struct {
	cmd string // the command's path, e.g. "distill plan"
	msg string
}

func (e *usageError) Error() string { return e.msg }

func usageErrorf(cmd *cobra.Command, format string, args ...any) error {
	return &usageError{cmd: cmd.CommandPath(), msg: fmt.Sprintf(format, args...)}
}

// newRoot is the command tree.
func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "distill",
		Short: "Plan, check, lock and scaffold distill.yaml, the manifest of the distill BuildKit frontend",
		Long:  about,
		Example: `  # Write distill.yaml for the app in the current directory, then build it
  distill init
  docker buildx build -f distill.yaml -t myapp .

  # What would be built for arm64, in a readable form
  distill plan --platform linux/arm64 --format pretty

  # The checks of an app in a subdirectory, then pin its images
  distill check services/api
  distill lock services/api`,
		Version: versionString(),
		// Only the help and --version without a command: anything else is
		// a command distill does not have.
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			msg := fmt.Sprintf("unknown command %q", args[0])
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, " or "))
			}
			return usageErrorf(cmd, "%s", msg)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
		SilenceErrors:     true,
		SilenceUsage:      true,
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	root.SuggestionsMinimumDistance = 2
	root.SetVersionTemplate("{{.Version}}\n")
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(flagError)
	root.SetHelpCommand(helpCmd(root))
	root.AddCommand(initCmd(), planCmd(), checkCmd(), lockCmd(), schemaCmd(), versionCmd(), completionCmd())
	root.Flags().BoolP("version", "v", false, "print the version of distill and the frontend image it matches")
	return root
}

// flagError is a flag that cannot be parsed, said without Go's words for
// it.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	var iv *pflag.InvalidValueError
	if errors.As(err, &iv) {
		cause := iv.Unwrap().Error()
		if iv.GetFlag().Value.Type() == "bool" {
			cause = "want true or false"
		}
		msg = fmt.Sprintf("invalid value %q for --%s: %s", iv.GetValue(), iv.GetFlag().Name, cause)
	}
	return usageErrorf(cmd, "%s", msg)
}

// maxDirs is the positional arguments of a command that takes one
// directory at most.
func maxDirs(cmd *cobra.Command, args []string) error {
	if len(args) > 1 {
		return usageErrorf(cmd, "%s takes one directory at most, got %d: %s", cmd.Name(), len(args), strings.Join(args, " "))
	}
	return nil
}

// noArgs is the positional arguments of a command that takes none.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf(cmd, "%s takes no arguments, got %s", cmd.Name(), strings.Join(args, " "))
	}
	return nil
}

// helpCmd is `distill help [command]`: an unknown command is an error, not
// the root's help.
func helpCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Print the help of distill or of one of its commands",
		Long:  "Help prints the help of distill, or of the command it names: what it does, its examples and its flags.",
		Example: `  distill help
  distill help plan`,
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []cobra.Completion
			for _, c := range root.Commands() {
				if c.IsAvailableCommand() && strings.HasPrefix(c.Name(), toComplete) {
					out = append(out, cobra.CompletionWithDesc(c.Name(), c.Short))
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			target, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 || target == nil {
				return usageErrorf(root, "no help for %q: not a command of distill", strings.Join(args, " "))
			}
			// The flags cobra adds as a command runs, for the help to list.
			target.InitDefaultHelpFlag()
			target.InitDefaultVersionFlag()
			return target.Help()
		},
	}
}

func schemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of distill.yaml",
		Long: `Schema prints the JSON Schema of the manifest, distill.yaml: every field,
what it does, and the languages distill builds. Editors that read JSON
Schema (VS Code's YAML extension, JetBrains IDEs) use it to complete and
check the manifest.`,
		Example: `  distill schema > distill.schema.json

  # Then, for the YAML language server, a comment in distill.yaml
  # (after its syntax line):
  # yaml-language-server: $schema=distill.schema.json`,
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := manifest.Schema(resolve.Languages(), resolve.FieldDocs())
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\n", s)
			return err
		},
	}
}
