package repo

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// ListOptions are the inputs of `drok repo list`.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	Org  string
	JSON bool
}

// NewCmdList returns `drok repo list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:     "list ORG",
		Aliases: []string{"ls"},
		Short:   "List the repositories of an organisation",
		Long: `List the repositories of an organisation that you can see.

On a pipe each line is: ORG/REPO, VISIBILITY, DESCRIPTION, tab-separated.`,
		Args: cmdutil.ExactArgs(1, "organisation required"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			opts.Org = args[0]
			if runF != nil {
				return runF(opts)
			}
			return listRun(opts)
		},
	}
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func listRun(opts *ListOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	repos, err := c.Repos(opts.Ctx, opts.Org)
	if err != nil {
		return fmt.Errorf("list repositories of %s: %w", opts.Org, err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, repos)
	}
	t := iostreams.NewTablePrinter(opts.IO, "NAME", "VISIBILITY", "DESCRIPTION")
	for _, r := range repos {
		t.AddRow(r.Org+"/"+r.Name, r.Visibility, r.Description)
	}
	return t.Render()
}
