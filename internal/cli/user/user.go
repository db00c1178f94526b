// Package user implements `drok user`: accounts (site administrators only).
package user

import (
	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
)

// NewCmdUser returns the `drok user` command group.
func NewCmdUser(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user <command>",
		Short: "Manage user accounts (site administrators)",
	}
	cmdutil.MakeGroup(cmd)
	cmd.AddCommand(NewCmdCreate(f, nil), NewCmdList(f, nil))
	return cmd
}
