package repo

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// CollaboratorAddOptions are the inputs of `drok repo collaborator add`.
type CollaboratorAddOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	Org        string
	Repo       string
	User       string
	Permission string
	JSON       bool
}

// NewCmdCollaboratorAdd returns `drok repo collaborator add`.
func NewCmdCollaboratorAdd(f *cmdutil.Factory, runF func(*CollaboratorAddOptions) error) *cobra.Command {
	opts := &CollaboratorAddOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "add ORG/REPO USER [--permission read|write|admin]",
		Short: "Grant a user a permission on a repository",
		Args:  cmdutil.ExactArgs(2, "repository and user required: drok repo collaborator add ORG/REPO USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			var err error
			if opts.Org, opts.Repo, err = cmdutil.ParseRepo(args[0]); err != nil {
				return err
			}
			opts.User = args[1]
			if err := cmdutil.OneOf("permission", opts.Permission, permissions...); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return collaboratorAddRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Permission, "permission", "read", "Permission: read, write or admin")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	_ = cmd.RegisterFlagCompletionFunc("permission", cobra.FixedCompletions(permissions, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func collaboratorAddRun(opts *CollaboratorAddOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	r, err := c.SetCollaborator(opts.Ctx, opts.Org, opts.Repo, opts.User, opts.Permission)
	if err != nil {
		return fmt.Errorf("add collaborator %s to %s/%s: %w", opts.User, opts.Org, opts.Repo, err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, r)
	}
	cmdutil.Success(opts.IO, "Granted %s %s access to %s/%s", opts.User, opts.Permission, opts.Org, opts.Repo)
	return nil
}
