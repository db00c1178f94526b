package org

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// ListOptions are the inputs of `drok org list`.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	JSON bool
}

// NewCmdList returns `drok org list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List your organisations",
		Long: `List the organisations you belong to (all of them for site administrators).

On a pipe each line is: NAME, PLAN, MEMBERS, REPOS, PACKAGES, tab-separated.`,
		Args: cmdutil.NoArgs,
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
	orgs, err := c.Orgs(opts.Ctx)
	if err != nil {
		return fmt.Errorf("list organisations: %w", err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, orgs)
	}
	t := iostreams.NewTablePrinter(opts.IO, "NAME", "PLAN", "MEMBERS", "REPOS", "PACKAGES")
	for _, o := range orgs {
		t.AddRow(o.Name, o.Settings.Plan, strconv.Itoa(len(o.Members)), strconv.Itoa(o.Repos), strconv.Itoa(o.Packages))
	}
	return t.Render()
}
