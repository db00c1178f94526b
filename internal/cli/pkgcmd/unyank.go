package pkgcmd

import (
	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
)

// NewCmdUnyank returns `drok package unyank`; it shares YankOptions and
// yankRun with yank.
func NewCmdUnyank(f *cmdutil.Factory, runF func(*YankOptions) error) *cobra.Command {
	opts := &YankOptions{IO: f.IOStreams, Client: f.Client, DefaultOrg: f.DefaultOrg, Yank: false}
	cmd := &cobra.Command{
		Use:   "unyank NAME@VERSION [--org ORG] [-e ECOSYSTEM]",
		Short: "Undo a yank",
		Args:  cmdutil.ExactArgs(1, "package version required: NAME@VERSION"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return yankRunE(cmd, args, opts, runF)
		},
	}
	addTargetFlags(cmd, &opts.Target)
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}
