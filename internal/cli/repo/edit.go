package repo

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// EditOptions are the inputs of `drok repo edit`.
type EditOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	Org  string
	Name string
	// Edit holds the changed fields only.
	Edit client.RepoEdit
	JSON bool
}

// NewCmdEdit returns `drok repo edit`.
func NewCmdEdit(f *cmdutil.Factory, runF func(*EditOptions) error) *cobra.Command {
	opts := &EditOptions{IO: f.IOStreams, Client: f.Client}
	var visibility, description string
	cmd := &cobra.Command{
		Use:   "edit ORG/REPO [--visibility private|internal|public] [--description TEXT]",
		Short: "Change a repository's visibility or description",
		Args:  cmdutil.ExactArgs(1, "repository required: ORG/REPO"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			var err error
			if opts.Org, opts.Name, err = cmdutil.ParseRepo(args[0]); err != nil {
				return err
			}
			if cmd.Flags().Changed("visibility") {
				if err := cmdutil.OneOf("visibility", visibility, visibilities...); err != nil {
					return err
				}
				opts.Edit.Visibility = &visibility
			}
			if cmd.Flags().Changed("description") {
				opts.Edit.Description = &description
			}
			if opts.Edit.Visibility == nil && opts.Edit.Description == nil {
				return cmdutil.FlagErrorf("nothing to change: pass --visibility or --description")
			}
			if runF != nil {
				return runF(opts)
			}
			return editRun(opts)
		},
	}
	addVisibilityFlag(cmd, &visibility)
	cmd.Flags().StringVar(&description, "description", "", "Description of the repository (empty clears it)")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func editRun(opts *EditOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	r, err := c.EditRepo(opts.Ctx, opts.Org, opts.Name, opts.Edit)
	if err != nil {
		return fmt.Errorf("edit repository %s/%s: %w", opts.Org, opts.Name, err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, r)
	}
	cmdutil.Success(opts.IO, "Edited repository %s/%s", r.Org, r.Name)
	return nil
}
