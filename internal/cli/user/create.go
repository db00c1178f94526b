package user

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// CreateOptions are the inputs of `drok user create`.
type CreateOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	Name  string
	Admin bool
	JSON  bool
}

// Created is the --json output of `drok user create`: the user and the
// secret of their first token.
type Created struct {
	Name    string    `json:"name"`
	Admin   bool      `json:"admin"`
	Created time.Time `json:"created"`
	Token   string    `json:"token"`
	TokenID string    `json:"token_id"`
	Scopes  []string  `json:"scopes"`
}

// NewCmdCreate returns `drok user create`.
func NewCmdCreate(f *cmdutil.Factory, runF func(*CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "create NAME [--admin]",
		Short: "Create a user and print their first token",
		Long: `Create a user account and print the secret of its first token
(package:read, package:write). The secret is shown once: hand it to the user,
who logs in with: drok login --with-token.`,
		Example: `  drok user create alice
  drok user create bob --admin --json | jq -r .token`,
		Args: cmdutil.ExactArgs(1, "user name required"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return createRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Admin, "admin", false, "Make the user a site administrator")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func createRun(opts *CreateOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	out, err := c.CreateUser(opts.Ctx, client.CreateUser{Name: opts.Name, Admin: opts.Admin})
	if err != nil {
		return fmt.Errorf("create user %s: %w", opts.Name, err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, Created{
			Name: out.User.Name, Admin: out.User.Admin, Created: out.User.Created,
			Token: out.Token.Secret, TokenID: out.Token.ID, Scopes: out.Token.Scopes,
		})
	}
	fmt.Fprintln(opts.IO.Out, out.Token.Secret)
	cmdutil.Success(opts.IO, "Created user %s; the token above is shown only once", out.User.Name)
	return nil
}
