// Package gc implements `drok gc`.
package gc

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// Options are the inputs of `drok gc`.
type Options struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	Grace  string
	DryRun bool
	JSON   bool
}

// NewCmdGC returns `drok gc`.
func NewCmdGC(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "gc [--grace 1h] [--dry-run]",
		Short: "Delete unreferenced blobs and abandoned uploads (server administrators)",
		Long: `Ask the server to collect garbage: end uploads idle for longer than the
grace period, forget container image blobs that were pushed but never
referenced by a manifest, and delete stored blobs that no live version of
any ecosystem references and that are older than the grace period. A blob
referenced by an acknowledged publish is never deleted, and neither is one
committed within the grace period (a publish in flight). The daemon also
runs this every hour by itself.`,
		Example: `  drok gc --dry-run
  drok gc --grace 24h`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return run(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Grace, "grace", "", "Minimum age of what is removed (default: the server's, 1h)")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "Report what would be removed without removing it")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func run(opts *Options) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	res, err := c.GC(opts.Ctx, client.GCRequest{Grace: opts.Grace, DryRun: opts.DryRun})
	if err != nil {
		return fmt.Errorf("garbage collection: %w", err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, res)
	}
	verb := "Deleted"
	if res.DryRun {
		verb = "Would delete"
	}
	cmdutil.Success(opts.IO, "%s %d blobs (%s); kept %d; dropped %d unreferenced blob links; ended %d abandoned uploads",
		verb, res.BlobsDeleted, iostreams.FormatBytes(res.BytesFreed), res.BlobsKept, res.RecordsDropped, res.UploadsExpired)
	return nil
}
