package repo

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// CollaboratorRemoveOptions are the inputs of `drok repo collaborator remove`.
type CollaboratorRemoveOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	Org  string
	Repo string
	User string
}

// NewCmdCollaboratorRemove returns `drok repo collaborator remove`.
func NewCmdCollaboratorRemove(f *cmdutil.Factory, runF func(*CollaboratorRemoveOptions) error) *cobra.Command {
	opts := &CollaboratorRemoveOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:     "remove ORG/REPO USER",
		Aliases: []string{"rm"},
		Short:   "Remove a collaborator from a repository",
		Args:    cmdutil.ExactArgs(2, "repository and user required: drok repo collaborator remove ORG/REPO USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			var err error
			if opts.Org, opts.Repo, err = cmdutil.ParseRepo(args[0]); err != nil {
				return err
			}
			opts.User = args[1]
			if runF != nil {
				return runF(opts)
			}
			return collaboratorRemoveRun(opts)
		},
	}
	return cmd
}

func collaboratorRemoveRun(opts *CollaboratorRemoveOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	if err := c.RemoveCollaborator(opts.Ctx, opts.Org, opts.Repo, opts.User); err != nil {
		return fmt.Errorf("remove collaborator %s from %s/%s: %w", opts.User, opts.Org, opts.Repo, err)
	}
	cmdutil.Success(opts.IO, "Removed %s from %s/%s", opts.User, opts.Org, opts.Repo)
	return nil
}
