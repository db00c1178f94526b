package webhook

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// RedeliverOptions are the inputs of `drok webhook redeliver`.
type RedeliverOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	Target
	Delivery string
	JSON     bool
}

// NewCmdRedeliver returns `drok webhook redeliver`.
func NewCmdRedeliver(f *cmdutil.Factory, runF func(*RedeliverOptions) error) *cobra.Command {
	opts := &RedeliverOptions{IO: f.IOStreams, Client: f.Client, Target: Target{DefaultOrg: f.DefaultOrg}}
	cmd := &cobra.Command{
		Use:   "redeliver [REPO] ID DELIVERY_ID [--org ORG]",
		Short: "Send a delivery again",
		Long: `Queue a delivery again, now. It keeps its delivery id and body (so
receivers can recognise a repeat) and its attempts continue. A delivery
that is still being retried is just tried now; a delivered or failed one
gets one more attempt.`,
		Args: targetArgs(2, "[REPO] ID DELIVERY_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			rest, err := opts.resolve(args, 2)
			if err != nil {
				return err
			}
			opts.ID, opts.Delivery = rest[0], rest[1]
			if runF != nil {
				return runF(opts)
			}
			return redeliverRun(opts)
		},
	}
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	opts.addOrgFlag(cmd)
	return cmd
}

func redeliverRun(opts *RedeliverOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	d, err := c.Redeliver(opts.Ctx, opts.Org, opts.Repo, opts.ID, opts.Delivery)
	if err != nil {
		return fmt.Errorf("redeliver %s of webhook %s: %w", opts.Delivery, opts.ID, err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, d)
	}
	cmdutil.Success(opts.IO, "Queued delivery %s again; see: drok webhook deliveries %s %s", d.ID, &opts.Target, opts.ID)
	return nil
}
