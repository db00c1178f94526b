package webhook

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// ListOptions are the inputs of `drok webhook list`.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	Target
	JSON bool
}

// NewCmdList returns `drok webhook list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Client: f.Client, Target: Target{DefaultOrg: f.DefaultOrg}}
	cmd := &cobra.Command{
		Use:     "list [REPO] [--org ORG]",
		Aliases: []string{"ls"},
		Short:   "List the webhooks of an organisation or repository",
		Long: `List the webhooks of a repository (ORG/REPO) or of an organisation (ORG);
an organisation's list does not include its repositories' webhooks.
Secrets are never shown.

On a pipe each line is: ID, URL, EVENTS (comma-separated), CREATED,
tab-separated.`,
		Args: targetArgs(0, "[REPO]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			if _, err := opts.resolve(args, 0); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return listRun(opts)
		},
	}
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	opts.addOrgFlag(cmd)
	return cmd
}

func listRun(opts *ListOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	hooks, err := c.Hooks(opts.Ctx, opts.Org, opts.Repo)
	if err != nil {
		return fmt.Errorf("list webhooks of %s: %w", &opts.Target, err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, hooks)
	}
	if len(hooks) == 0 && opts.IO.IsStdoutTTY() {
		fmt.Fprintf(opts.IO.ErrOut, "No webhooks on %s.\n", &opts.Target)
		return nil
	}
	t := iostreams.NewTablePrinter(opts.IO, "ID", "URL", "EVENTS", "CREATED")
	for _, h := range hooks {
		t.AddRow(h.ID, h.URL, strings.Join(h.Events, ","), cmdutil.FormatTime(opts.IO, h.Created))
	}
	return t.Render()
}
