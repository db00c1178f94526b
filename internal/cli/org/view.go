package org

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// ViewOptions are the inputs of `drok org view`.
type ViewOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	Name string
	JSON bool
}

// NewCmdView returns `drok org view`.
func NewCmdView(f *cmdutil.Factory, runF func(*ViewOptions) error) *cobra.Command {
	opts := &ViewOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "view ORG",
		Short: "Show an organisation",
		Long: `Show an organisation: plan, counts and members.

On a pipe each line is "field:<TAB>value"; members are "member:<TAB>USER<TAB>ROLE".`,
		Args: cmdutil.ExactArgs(1, "organisation name required"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return viewRun(opts)
		},
	}
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func viewRun(opts *ViewOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	o, err := c.Org(opts.Ctx, opts.Name)
	if err != nil {
		return fmt.Errorf("view organisation %s: %w", opts.Name, err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, o)
	}
	return printOrg(opts.IO, o)
}
