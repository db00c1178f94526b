package pkgcmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// DeleteOptions are the inputs of `drok package delete`.
type DeleteOptions struct {
	IO         *iostreams.IOStreams
	Client     func() (*client.Client, error)
	DefaultOrg func(string) (string, error)
	Ctx        context.Context

	Target  Target
	Name    string
	Version string
	Yes     bool
}

// NewCmdDelete returns `drok package delete`.
func NewCmdDelete(f *cmdutil.Factory, runF func(*DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{IO: f.IOStreams, Client: f.Client, DefaultOrg: f.DefaultOrg}
	cmd := &cobra.Command{
		Use:   "delete NAME@VERSION [--org ORG] [-e ECOSYSTEM] [--yes]",
		Short: "Delete a version",
		Long: `Delete one version of a package. Its files are no longer served, and a
tombstone keeps the version number from ever being published again.

On a terminal drok asks for confirmation unless --yes is given; elsewhere
--yes is required. Prefer drok package yank to stop new installs while
keeping existing lockfiles working.`,
		Args: cmdutil.ExactArgs(1, "package version required: NAME@VERSION"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			var err error
			if opts.Name, opts.Version, err = parseRef(args[0], true, false); err != nil {
				return err
			}
			if err := opts.Target.validate(); err != nil {
				return err
			}
			if !opts.Yes && !opts.IO.CanPrompt() {
				return cmdutil.FlagErrorf("--yes required to delete when not running interactively")
			}
			if runF != nil {
				return runF(opts)
			}
			return deleteRun(opts)
		},
	}
	addTargetFlags(cmd, &opts.Target)
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "Do not ask for confirmation")
	return cmd
}

func deleteRun(opts *DeleteOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	ref, err := resolve(opts.Ctx, c, opts.DefaultOrg, opts.Target, opts.Name, opts.Version)
	if err != nil {
		return err
	}
	if !opts.Yes {
		ok, err := cmdutil.Confirm(opts.IO, fmt.Sprintf("Delete %s from %s? It can never be published again.", ref, ref.Org))
		if err != nil {
			return err
		}
		if !ok {
			return cmdutil.ErrCancel
		}
	}
	if err := c.DeleteVersion(opts.Ctx, ref.Ecosystem, ref.Org, ref.Name, ref.Version); err != nil {
		return fmt.Errorf("delete %s from %s: %w", ref, ref.Org, err)
	}
	cmdutil.Success(opts.IO, "Deleted %s from %s", ref, ref.Org)
	return nil
}
