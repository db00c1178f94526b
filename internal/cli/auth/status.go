package auth

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// StatusOptions are the inputs of `drok auth status`.
type StatusOptions struct {
	IO     *iostreams.IOStreams
	Auth   func() (cmdutil.Auth, error)
	Client func() (*client.Client, error)
	Ctx    context.Context

	JSON bool
}

// Status is the --json output of `drok auth status`.
type Status struct {
	Server      string       `json:"server"`
	User        client.User  `json:"user"`
	Token       client.Token `json:"token"`
	TokenSource string       `json:"token_source"`
}

// NewCmdStatus returns `drok auth status`.
func NewCmdStatus(f *cmdutil.Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{IO: f.IOStreams, Auth: f.Auth, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "status [--server URL]",
		Short: "Show the server, user and token in use",
		Long: `Show the server, the user, the token's name and scopes, and where the token
is stored. Exits with status 4 when not logged in or the token is rejected.`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return statusRun(opts)
		},
	}
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func statusRun(opts *StatusOptions) error {
	a, err := opts.Auth()
	if err != nil {
		return err
	}
	if a.Token == "" {
		return cmdutil.NotLoggedIn(a.Server)
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	who, err := c.Whoami(opts.Ctx)
	switch {
	case client.IsStatus(err, http.StatusUnauthorized), client.IsStatus(err, http.StatusForbidden):
		return cmdutil.AuthErrorf("%s rejected the token from the %s: %w", a.Server, a.Source, err)
	case err != nil:
		return fmt.Errorf("check login at %s: %w", a.Server, err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, Status{Server: a.Server, User: who.User, Token: who.Token, TokenSource: a.Source})
	}
	fields := []iostreams.Field{
		{Label: "Server", Value: a.Server},
		{Label: "User", Value: who.User.Name},
		{Label: "Admin", Value: strconv.FormatBool(who.User.Admin)},
		{Label: "Token", Value: who.Token.Name},
		{Label: "Token ID", Value: who.Token.ID},
		{Label: "Scopes", Value: strings.Join(who.Token.Scopes, ",")},
		{Label: "Expires", Value: cmdutil.FormatTime(opts.IO, who.Token.Expires)},
		{Label: "Stored in", Value: a.Source},
	}
	return iostreams.PrintFields(opts.IO, fields)
}
