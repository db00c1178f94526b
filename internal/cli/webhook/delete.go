package webhook

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// DeleteOptions are the inputs of `drok webhook delete`.
type DeleteOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	Target
}

// NewCmdDelete returns `drok webhook delete`.
func NewCmdDelete(f *cmdutil.Factory, runF func(*DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{IO: f.IOStreams, Client: f.Client, Target: Target{DefaultOrg: f.DefaultOrg}}
	cmd := &cobra.Command{
		Use:     "delete [REPO] ID [--org ORG]",
		Aliases: []string{"rm"},
		Short:   "Delete a webhook",
		Long:    "Delete a webhook with its delivery log; pending deliveries are dropped.",
		Args:    targetArgs(1, "[REPO] ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			rest, err := opts.resolve(args, 1)
			if err != nil {
				return err
			}
			opts.ID = rest[0]
			if runF != nil {
				return runF(opts)
			}
			return deleteRun(opts)
		},
	}
	opts.addOrgFlag(cmd)
	return cmd
}

func deleteRun(opts *DeleteOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	if err := c.DeleteHook(opts.Ctx, opts.Org, opts.Repo, opts.ID); err != nil {
		return fmt.Errorf("delete webhook %s of %s: %w", opts.ID, &opts.Target, err)
	}
	cmdutil.Success(opts.IO, "Deleted webhook %s of %s", opts.ID, &opts.Target)
	return nil
}
