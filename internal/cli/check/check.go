// Package check implements `drok check`.
package check

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// Options are the inputs of `drok check`.
type Options struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	Repair bool
	JSON   bool
}

// NewCmdCheck returns `drok check`.
func NewCmdCheck(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "check [--repair]",
		Short: "Compare usage counters with a recount (server administrators)",
		Long: `Recount every organisation's storage from the files of its live versions
and compare it with the counter that quotas use. Exits 1 when a counter
differs; --repair rewrites the counters that differ.

On a pipe each line is: ORG, RECORDED, COUNTED, STATE (ok, differs or
repaired), tab-separated.`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return run(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Repair, "repair", false, "Rewrite counters that differ from the recount")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func run(opts *Options) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	reps, err := c.Check(opts.Ctx, opts.Repair)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	bad := 0
	for _, r := range reps {
		if !r.OK && !r.Repaired {
			bad++
		}
	}
	if opts.JSON {
		if err := cmdutil.PrintJSON(opts.IO, reps); err != nil {
			return err
		}
	} else {
		t := iostreams.NewTablePrinter(opts.IO, "ORG", "RECORDED", "COUNTED", "STATE")
		for _, r := range reps {
			state := "ok"
			switch {
			case r.Repaired:
				state = "repaired"
			case !r.OK:
				state = "differs"
			}
			t.AddRow(r.Org, fmt.Sprint(r.Recorded), fmt.Sprint(r.Counted), state)
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d storage counters differ from the recount; run drok check --repair", bad)
	}
	return nil
}
