package pkgcmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// ListOptions are the inputs of `drok package list`.
type ListOptions struct {
	IO         *iostreams.IOStreams
	Client     func() (*client.Client, error)
	DefaultOrg func(string) (string, error)
	Ctx        context.Context

	Target Target
	JSON   bool
}

// NewCmdList returns `drok package list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Client: f.Client, DefaultOrg: f.DefaultOrg}
	cmd := &cobra.Command{
		Use:     "list [--org ORG] [-e ECOSYSTEM]",
		Aliases: []string{"ls"},
		Short:   "List the packages of an organisation",
		Long: `List the packages of an organisation that you can see.

On a pipe each line is: ECOSYSTEM, NAME, LATEST, VISIBILITY, REPOSITORY,
UPDATED, tab-separated.`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			if err := opts.Target.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return listRun(opts)
		},
	}
	addTargetFlags(cmd, &opts.Target)
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func listRun(opts *ListOptions) error {
	org, err := opts.DefaultOrg(opts.Target.Org)
	if err != nil {
		return err
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	pkgs, err := c.Packages(opts.Ctx, org, opts.Target.Ecosystem, "")
	if err != nil {
		return fmt.Errorf("list packages of %s: %w", org, err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, pkgs)
	}
	return PrintPackages(opts.IO, pkgs)
}
