package repo

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// CreateOptions are the inputs of `drok repo create`.
type CreateOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	Org         string
	Name        string
	Visibility  string
	Description string
	JSON        bool
}

// NewCmdCreate returns `drok repo create`.
func NewCmdCreate(f *cmdutil.Factory, runF func(*CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:     "create ORG/REPO --visibility private|internal|public [--description TEXT]",
		Short:   "Create a repository",
		Example: `  drok repo create acme/web --visibility internal --description "Front-end packages"`,
		Args:    cmdutil.ExactArgs(1, "repository required: ORG/REPO"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			var err error
			if opts.Org, opts.Name, err = cmdutil.ParseRepo(args[0]); err != nil {
				return err
			}
			if opts.Visibility == "" {
				return cmdutil.FlagErrorf("--visibility is required: private, internal or public")
			}
			if err := cmdutil.OneOf("visibility", opts.Visibility, visibilities...); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return createRun(opts)
		},
	}
	addVisibilityFlag(cmd, &opts.Visibility)
	cmd.Flags().StringVar(&opts.Description, "description", "", "Description of the repository")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func createRun(opts *CreateOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	in := client.RepoEdit{Name: opts.Name, Visibility: &opts.Visibility}
	if opts.Description != "" {
		in.Description = &opts.Description
	}
	r, err := c.CreateRepo(opts.Ctx, opts.Org, in)
	if err != nil {
		return fmt.Errorf("create repository %s/%s: %w", opts.Org, opts.Name, err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, r)
	}
	cmdutil.Success(opts.IO, "Created %s repository %s/%s", r.Visibility, r.Org, r.Name)
	return nil
}
