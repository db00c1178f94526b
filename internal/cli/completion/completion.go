// Package completion implements `drok completion`: shell completion
// scripts.
package completion

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
)

// Shells are the shells drok writes completion scripts for.
var Shells = []string{"bash", "zsh", "fish", "powershell"}

// CompletionOptions are the inputs of `drok completion`.
type CompletionOptions struct {
	IO *iostreams.IOStreams
	// Root is the command tree to complete.
	Root  *cobra.Command
	Shell string
}

// NewCmdCompletion returns `drok completion`.
func NewCmdCompletion(f *cmdutil.Factory, runF func(*CompletionOptions) error) *cobra.Command {
	opts := &CompletionOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `Print the completion script of a shell. Load it from your shell's start-up
file, for instance:

  bash:        source <(drok completion bash)         # in ~/.bashrc
  zsh:         drok completion zsh > "${fpath[1]}/_drok"
  fish:        drok completion fish > ~/.config/fish/completions/drok.fish
  powershell:  drok completion powershell | Out-String | Invoke-Expression

Packaged builds ship the same scripts in completions/.`,
		ValidArgs: Shells,
		Args:      cmdutil.ExactArgs(1, "shell required: bash, zsh, fish or powershell"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Shell, opts.Root = args[0], cmd.Root()
			if runF != nil {
				return runF(opts)
			}
			return completionRun(opts)
		},
	}
	return cmd
}

func completionRun(opts *CompletionOptions) error {
	return Generate(opts.Root, opts.Shell, opts.IO.Out)
}

// Generate writes the completion script of shell for root to w.
func Generate(root *cobra.Command, shell string, w io.Writer) error {
	var err error
	switch shell {
	case "bash":
		err = root.GenBashCompletionV2(w, true)
	case "zsh":
		err = root.GenZshCompletion(w)
	case "fish":
		err = root.GenFishCompletion(w, true)
	case "powershell":
		err = root.GenPowerShellCompletionWithDesc(w)
	default:
		return cmdutil.FlagErrorf("unsupported shell %q: want bash, zsh, fish or powershell", shell)
	}
	if err != nil {
		return fmt.Errorf("write %s completion: %w", shell, err)
	}
	return nil
}
