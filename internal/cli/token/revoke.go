package token

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// RevokeOptions are the inputs of `drok token revoke`.
type RevokeOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	ID string
}

// NewCmdRevoke returns `drok token revoke`.
func NewCmdRevoke(f *cmdutil.Factory, runF func(*RevokeOptions) error) *cobra.Command {
	opts := &RevokeOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke one of your tokens",
		Long:  "Revoke a token by its ID (see drok token list). It stops working at once.",
		Args:  cmdutil.ExactArgs(1, "token ID required; see: drok token list"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			opts.ID = args[0]
			if runF != nil {
				return runF(opts)
			}
			return revokeRun(opts)
		},
	}
	return cmd
}

func revokeRun(opts *RevokeOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	if err := c.RevokeToken(opts.Ctx, opts.ID); err != nil {
		return fmt.Errorf("revoke token %s: %w", opts.ID, err)
	}
	cmdutil.Success(opts.IO, "Revoked token %s", opts.ID)
	return nil
}
