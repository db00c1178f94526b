package webhook

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// DeliveriesOptions are the inputs of `drok webhook deliveries`.
type DeliveriesOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	Target
	JSON bool
}

// NewCmdDeliveries returns `drok webhook deliveries`.
func NewCmdDeliveries(f *cmdutil.Factory, runF func(*DeliveriesOptions) error) *cobra.Command {
	opts := &DeliveriesOptions{IO: f.IOStreams, Client: f.Client, Target: Target{DefaultOrg: f.DefaultOrg}}
	cmd := &cobra.Command{
		Use:   "deliveries [REPO] ID [--org ORG]",
		Short: "Show the delivery log of a webhook",
		Long: `Show the latest deliveries of a webhook, newest first: status (pending,
delivered or failed), attempts so far, the receiver's last response code
and the start of its answer (or the network error), and when a pending
delivery is tried next. --json adds the full response excerpt (up to
1 KB).

On a pipe each line is: ID, EVENT, PACKAGE@VERSION, STATUS, ATTEMPTS,
CODE, CREATED, NEXT ATTEMPT, RESPONSE, tab-separated.`,
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
			return deliveriesRun(opts)
		},
	}
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	opts.addOrgFlag(cmd)
	return cmd
}

func deliveriesRun(opts *DeliveriesOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	ds, err := c.HookDeliveries(opts.Ctx, opts.Org, opts.Repo, opts.ID)
	if err != nil {
		return fmt.Errorf("deliveries of webhook %s of %s: %w", opts.ID, &opts.Target, err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, ds)
	}
	if len(ds) == 0 && opts.IO.IsStdoutTTY() {
		fmt.Fprintln(opts.IO.ErrOut, "No deliveries yet.")
		return nil
	}
	t := iostreams.NewTablePrinter(opts.IO, "ID", "EVENT", "PACKAGE", "STATUS", "ATTEMPTS", "CODE", "CREATED", "NEXT ATTEMPT", "RESPONSE")
	for _, d := range ds {
		pkg := d.Package
		if d.Version != "" {
			pkg += "@" + d.Version
		}
		code := ""
		if d.ResponseCode != 0 {
			code = strconv.Itoa(d.ResponseCode)
		}
		t.AddRow(d.ID, d.Event, pkg, d.Status, strconv.Itoa(d.Attempts), code,
			cmdutil.FormatTime(opts.IO, d.Created), cmdutil.FormatTime(opts.IO, d.NextAttempt), summary(d))
	}
	return t.Render()
}

// summary is one line about the last attempt: the start of the answer,
// else the error.
func summary(d client.Delivery) string {
	s := strings.TrimSpace(d.ResponseExcerpt)
	if s == "" {
		s = d.Error
	}
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 60 {
		s = string(r[:59]) + "…"
	}
	return s
}
