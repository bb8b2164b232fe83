package main

import (
	"github.com/spf13/cobra"
)

func completionCmd() *cobra.Command {
	shells := []string{"bash", "zsh", "fish"}
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print the shell completion script of distill",
		Long: `Completion prints the script that makes the shell complete distill's
commands, flags, their values (--format, --platform) and directories.

Bash (needs the bash-completion package):
  # this shell only
  source <(distill completion bash)
  # every new shell, for this user
  mkdir -p ~/.local/share/bash-completion/completions
  distill completion bash > ~/.local/share/bash-completion/completions/distill

Zsh (completion must be on: "autoload -U compinit; compinit" in ~/.zshrc):
  # this shell only
  source <(distill completion zsh)
  # every new shell: a directory of $fpath (before compinit runs)
  distill completion zsh > "${fpath[1]}/_distill"

Fish:
  # this shell only
  distill completion fish | source
  # every new shell
  distill completion fish > ~/.config/fish/completions/distill.fish

Start a new shell after installing it.`,
		Example:   `  distill completion bash > ~/.local/share/bash-completion/completions/distill`,
		ValidArgs: shells,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf(cmd, "completion takes one shell: bash, zsh or fish")
			}
			if err := cobra.OnlyValidArgs(cmd, args); err != nil {
				return usageErrorf(cmd, "no completion for %s: the shells are bash, zsh and fish", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			root, w := cmd.Root(), cmd.OutOrStdout()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(w, true)
			case "zsh":
				return root.GenZshCompletion(w)
			default:
				return root.GenFishCompletion(w, true)
			}
		},
	}
}
