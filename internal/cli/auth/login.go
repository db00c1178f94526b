package auth

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/config"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/cli/keyring"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// LoginOptions are the inputs of `drok login`.
type LoginOptions struct {
	IO        *iostreams.IOStreams
	Config    func() (*config.Config, error)
	Keyring   func() (*keyring.Store, error)
	NewClient func(server, token string) *client.Client
	Ctx       context.Context

	WithToken bool
}

// NewCmdLogin returns `drok login`.
func NewCmdLogin(f *cmdutil.Factory, runF func(*LoginOptions) error) *cobra.Command {
	opts := &LoginOptions{IO: f.IOStreams, Config: f.Config, Keyring: f.Keyring, NewClient: client.New}
	cmd := &cobra.Command{
		Use:   "login [--server URL] [--with-token]",
		Short: "Log in to a drok server",
		Long: `Log in to a drok server with a personal access token.

The token is checked against the server, then stored for that server in the
system keyring (or a 0600 plain file where there is no keyring, with a
warning), and the server becomes the default one in the configuration file.

With --with-token the token is read from standard input; otherwise drok
prompts for it on the terminal without echo. After drok serve creates a new
data directory, the first administrator logs in with the token in
DATA/initial-admin-token.`,
		Example: `  drok login --server https://drok.example.com
  drok login --server http://127.0.0.1:5873 --with-token < ~/.local/share/drok/initial-admin-token`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			if !opts.WithToken && !opts.IO.CanPrompt() {
				return cmdutil.FlagErrorf("--with-token required when not running interactively (the token is read from standard input)")
			}
			if runF != nil {
				return runF(opts)
			}
			return loginRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.WithToken, "with-token", false, "Read the token from standard input")
	return cmd
}

func loginRun(opts *LoginOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	server := cfg.Server()
	var token string
	if opts.WithToken {
		data, err := io.ReadAll(io.LimitReader(opts.IO.In, 64<<10))
		if err != nil {
			return fmt.Errorf("read token from standard input: %w", err)
		}
		token = strings.TrimSpace(string(data))
	} else {
		if token, err = opts.IO.ReadPassword(fmt.Sprintf("Paste a drok token for %s: ", server)); err != nil {
			return err
		}
	}
	if token == "" {
		return cmdutil.FlagErrorf("no token given")
	}
	who, err := opts.NewClient(server, token).Whoami(opts.Ctx)
	switch {
	case client.IsStatus(err, http.StatusUnauthorized), client.IsStatus(err, http.StatusForbidden):
		return cmdutil.AuthErrorf("%s rejected the token: %w", server, err)
	case err != nil:
		return fmt.Errorf("log in to %s: %w", server, err)
	}
	ks, err := opts.Keyring()
	if err != nil {
		return err
	}
	loc, err := ks.Set(server, token)
	if err != nil {
		return fmt.Errorf("log in to %s: %w", server, err)
	}
	if loc.InFile() {
		cmdutil.Warn(opts.IO, "no system keyring available; the token is stored in a plain file: %s (mode 0600)", loc.File)
	}
	if err := cfg.Set(config.KeyServer, server); err != nil {
		return err
	}
	cmdutil.Success(opts.IO, "Logged in to %s as %s (token %s)", server, who.User.Name, who.Token.Name)
	if os.Getenv(cmdutil.TokenEnv) != "" {
		cmdutil.Warn(opts.IO, "%s is set and overrides the stored token", cmdutil.TokenEnv)
	}
	return nil
}
