package auth

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/config"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/cli/keyring"
)

// ErrNotLoggedIn is returned by logout when no token is stored.
var ErrNotLoggedIn = errors.New("not logged in")

// LogoutOptions are the inputs of `drok logout`.
type LogoutOptions struct {
	IO      *iostreams.IOStreams
	Config  func() (*config.Config, error)
	Keyring func() (*keyring.Store, error)
}

// NewCmdLogout returns `drok logout`.
func NewCmdLogout(f *cmdutil.Factory, runF func(*LogoutOptions) error) *cobra.Command {
	opts := &LogoutOptions{IO: f.IOStreams, Config: f.Config, Keyring: f.Keyring}
	cmd := &cobra.Command{
		Use:   "logout [--server URL]",
		Short: "Forget the token stored for a server",
		Long: `Remove the token stored for the server from the keyring (and the plain
file). The token itself stays valid: revoke it with drok token revoke.`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return logoutRun(opts)
		},
	}
	return cmd
}

func logoutRun(opts *LogoutOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	server := cfg.Server()
	ks, err := opts.Keyring()
	if err != nil {
		return err
	}
	err = ks.Delete(server)
	switch {
	case errors.Is(err, keyring.ErrNotFound):
		return cmdutil.NewAuthError(fmt.Errorf("%w to %s", ErrNotLoggedIn, server))
	case err != nil:
		return fmt.Errorf("log out of %s: %w", server, err)
	}
	cmdutil.Success(opts.IO, "Logged out of %s", server)
	if os.Getenv(cmdutil.TokenEnv) != "" {
		cmdutil.Warn(opts.IO, "%s is still set and keeps authenticating drok", cmdutil.TokenEnv)
	}
	return nil
}
