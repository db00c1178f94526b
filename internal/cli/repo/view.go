package repo

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// ViewOptions are the inputs of `drok repo view`.
type ViewOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	Org  string
	Name string
	JSON bool
}

// NewCmdView returns `drok repo view`.
func NewCmdView(f *cmdutil.Factory, runF func(*ViewOptions) error) *cobra.Command {
	opts := &ViewOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "view ORG/REPO",
		Short: "Show a repository",
		Long: `Show a repository and its collaborators.

On a pipe each line is "field:<TAB>value"; collaborators are
"collaborator:<TAB>USER<TAB>PERMISSION".`,
		Args: cmdutil.ExactArgs(1, "repository required: ORG/REPO"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			var err error
			if opts.Org, opts.Name, err = cmdutil.ParseRepo(args[0]); err != nil {
				return err
			}
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
	r, err := c.Repo(opts.Ctx, opts.Org, opts.Name)
	if err != nil {
		return fmt.Errorf("view repository %s/%s: %w", opts.Org, opts.Name, err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, r)
	}
	return printRepo(opts.IO, r)
}
