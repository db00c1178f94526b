// Package auth implements `drok login`, `drok logout` and `drok auth status`.
package auth

import (
	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
)

// NewCmdAuth returns the `drok auth` command group.
func NewCmdAuth(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "auth <command>",
		Short: "Show how drok authenticates",
		Long: `drok login stores a token per server: in the system keyring, or, where
there is none (headless machines), in a 0600 plain file in the configuration
directory. DROK_TOKEN, when set, overrides the stored token.`,
	}
	cmdutil.MakeGroup(cmd)
	cmd.AddCommand(NewCmdStatus(f, nil))
	return cmd
}
