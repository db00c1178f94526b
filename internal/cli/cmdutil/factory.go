// Package cmdutil holds what every drok command shares: the Factory of
// lazily built dependencies, typed errors and their exit codes, argument
// helpers and JSON output.
package cmdutil

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/spf13/pflag"

	"github.com/drok-dev/drok/internal/cli/config"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/cli/keyring"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// TokenEnv is the environment variable whose token overrides a stored login.
const TokenEnv = "DROK_TOKEN"

// Auth is the server a command talks to and the credential it uses.
type Auth struct {
	// Server is the base URL, without trailing slash.
	Server string
	// Token is empty when not logged in.
	Token string
	// Source says where Token came from: the environment variable, the
	// system keyring or a plain file.
	Source string
}

// Factory builds the dependencies of commands on first use, so that a
// command that needs no server never reads the keyring, and tests can
// replace any of them.
type Factory struct {
	// IOStreams are the standard streams.
	IOStreams *iostreams.IOStreams
	// Executable returns the path of the running drok binary.
	Executable func() (string, error)
	// Config returns the configuration (file, environment, global flags).
	Config func() (*config.Config, error)
	// Keyring returns the token store.
	Keyring func() (*keyring.Store, error)
	// Auth returns the server and token to use.
	Auth func() (Auth, error)
	// Client returns an API client for Auth.
	Client func() (*client.Client, error)

	// ServerFlag is the global --server flag; the root command sets it.
	ServerFlag *pflag.Flag
}

// NewFactory returns the Factory of a real invocation.
func NewFactory(ios *iostreams.IOStreams) *Factory {
	f := &Factory{IOStreams: ios, Executable: os.Executable}
	f.Config = sync.OnceValues(func() (*config.Config, error) {
		cfg, err := config.Load()
		if err != nil {
			return nil, err
		}
		cfg.BindFlag(config.KeyServer, f.ServerFlag)
		return cfg, nil
	})
	f.Keyring = sync.OnceValues(func() (*keyring.Store, error) {
		cfg, err := f.Config()
		if err != nil {
			return nil, err
		}
		return keyring.New(cfg.Dir()), nil
	})
	f.Auth = sync.OnceValues(func() (Auth, error) {
		cfg, err := f.Config()
		if err != nil {
			return Auth{}, err
		}
		return ResolveAuth(cfg.Server(), f.Keyring)
	})
	f.Client = func() (*client.Client, error) {
		a, err := f.Auth()
		if err != nil {
			return nil, err
		}
		return client.New(a.Server, a.Token), nil
	}
	return f
}

// ResolveAuth finds the token for server: DROK_TOKEN, else the keyring.
func ResolveAuth(server string, store func() (*keyring.Store, error)) (Auth, error) {
	a := Auth{Server: server}
	if t := os.Getenv(TokenEnv); t != "" {
		a.Token, a.Source = t, TokenEnv+" environment variable"
		return a, nil
	}
	ks, err := store()
	if err != nil {
		return Auth{}, err
	}
	token, loc, err := ks.Get(server)
	switch {
	case errors.Is(err, keyring.ErrNotFound):
		return a, nil
	case err != nil:
		return Auth{}, fmt.Errorf("read token for %s: %w", server, err)
	}
	a.Token, a.Source = token, loc.String()
	return a, nil
}

// RequireAuth returns Auth or an AuthError when not logged in.
func (f *Factory) RequireAuth() (Auth, error) {
	a, err := f.Auth()
	if err != nil {
		return Auth{}, err
	}
	if a.Token == "" {
		return Auth{}, NotLoggedIn(a.Server)
	}
	return a, nil
}

// NotLoggedIn is the AuthError of a command that needs a token when none
// is stored for server.
func NotLoggedIn(server string) error {
	return AuthErrorf("not logged in to %s; run: drok login --server %s", server, server)
}

// DefaultOrg returns flagValue, else the configured default organisation,
// else a usage error.
func (f *Factory) DefaultOrg(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	cfg, err := f.Config()
	if err != nil {
		return "", err
	}
	if org := cfg.Org(); org != "" {
		return org, nil
	}
	return "", FlagErrorf("no organisation: pass --org ORG or set a default with: drok config set org ORG")
}
