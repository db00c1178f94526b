package webhook

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// PingOptions are the inputs of `drok webhook ping`.
type PingOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	Target
	JSON bool
}

// NewCmdPing returns `drok webhook ping`.
func NewCmdPing(f *cmdutil.Factory, runF func(*PingOptions) error) *cobra.Command {
	opts := &PingOptions{IO: f.IOStreams, Client: f.Client, Target: Target{DefaultOrg: f.DefaultOrg}}
	cmd := &cobra.Command{
		Use:   "ping [REPO] ID [--org ORG]",
		Short: "Send a test delivery",
		Long: `Queue a delivery of the event "ping" to a webhook, to check that the
receiver is reachable and verifies signatures. It prints the delivery id;
follow it with drok webhook deliveries.`,
		Args: targetArgs(1, "[REPO] ID"),
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
			return pingRun(opts)
		},
	}
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	opts.addOrgFlag(cmd)
	return cmd
}

func pingRun(opts *PingOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	d, err := c.PingHook(opts.Ctx, opts.Org, opts.Repo, opts.ID)
	if err != nil {
		return fmt.Errorf("ping webhook %s of %s: %w", opts.ID, &opts.Target, err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, d)
	}
	fmt.Fprintln(opts.IO.Out, d.ID)
	cmdutil.Success(opts.IO, "Queued a ping to webhook %s; see: drok webhook deliveries %s %s", opts.ID, &opts.Target, opts.ID)
	return nil
}
