package token

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// ListOptions are the inputs of `drok token list`.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context
	Now    func() time.Time

	JSON bool
}

// NewCmdList returns `drok token list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Client: f.Client, Now: time.Now}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List your tokens",
		Long: `List your personal access tokens (never their secrets).

On a pipe each line is: ID, NAME, SCOPES (comma-separated), CREATED,
EXPIRES, LAST USED, STATUS (active, expired or revoked), tab-separated.`,
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
	tokens, err := c.Tokens(opts.Ctx)
	if err != nil {
		return fmt.Errorf("list tokens: %w", err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, tokens)
	}
	if len(tokens) == 0 && opts.IO.IsStdoutTTY() {
		fmt.Fprintln(opts.IO.ErrOut, "No tokens.")
		return nil
	}
	t := iostreams.NewTablePrinter(opts.IO, "ID", "NAME", "SCOPES", "CREATED", "EXPIRES", "LAST USED", "STATUS")
	for _, tok := range tokens {
		t.AddRow(tok.ID, tok.Name, strings.Join(tok.Scopes, ","),
			cmdutil.FormatTime(opts.IO, tok.Created), cmdutil.FormatTime(opts.IO, tok.Expires),
			cmdutil.FormatTime(opts.IO, tok.LastUsed), Status(tok, opts.Now()))
	}
	return t.Render()
}

// Status is active, expired or revoked.
func Status(t client.Token, now time.Time) string {
	switch {
	case !t.Revoked.IsZero():
		return "revoked"
	case !t.Expires.IsZero() && !now.Before(t.Expires):
		return "expired"
	}
	return "active"
}
