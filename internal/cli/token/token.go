// Package token implements `drok token`: personal access tokens.
package token

import (
	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
)

// NewCmdToken returns the `drok token` command group.
func NewCmdToken(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token <command>",
		Short: "Manage personal access tokens",
		Long: `Create, list and revoke your personal access tokens.

A token's scopes can never exceed those of the token that creates it.
Scopes: package:read, package:write (implies read) and admin (everything).`,
	}
	cmdutil.MakeGroup(cmd)
	cmd.AddCommand(NewCmdCreate(f, nil), NewCmdList(f, nil), NewCmdRevoke(f, nil))
	return cmd
}
