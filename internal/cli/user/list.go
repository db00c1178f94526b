package user

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// ListOptions are the inputs of `drok user list`.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	JSON bool
}

// NewCmdList returns `drok user list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List users",
		Long:    "List user accounts. On a pipe each line is: NAME, ADMIN (true/false), CREATED.",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
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
	users, err := c.Users(opts.Ctx)
	if err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, users)
	}
	t := iostreams.NewTablePrinter(opts.IO, "NAME", "ADMIN", "CREATED")
	for _, u := range users {
		t.AddRow(u.Name, strconv.FormatBool(u.Admin), cmdutil.FormatTime(opts.IO, u.Created))
	}
	return t.Render()
}
