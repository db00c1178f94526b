package org

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// CreateOptions are the inputs of `drok org create`.
type CreateOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	Name string
	JSON bool
}

// NewCmdCreate returns `drok org create`.
func NewCmdCreate(f *cmdutil.Factory, runF func(*CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "create ORG",
		Short: "Create an organisation owned by you",
		Args:  cmdutil.ExactArgs(1, "organisation name required"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return createRun(opts)
		},
	}
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func createRun(opts *CreateOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	o, err := c.CreateOrg(opts.Ctx, opts.Name)
	if err != nil {
		return fmt.Errorf("create organisation %s: %w", opts.Name, err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, o)
	}
	cmdutil.Success(opts.IO, "Created organisation %s", o.Name)
	return nil
}
