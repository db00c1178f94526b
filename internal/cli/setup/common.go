package setup

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
)

// CommonOptions are the inputs every `drok setup ECOSYSTEM` command
// shares; each ecosystem's options embed it.
type CommonOptions struct {
	IO         *iostreams.IOStreams
	Auth       func() (cmdutil.Auth, error)
	DefaultOrg func(string) (string, error)
	// HomeDir locates the user's configuration files.
	HomeDir func() (string, error)

	// Org is --org; empty means the org key of the configuration.
	Org string
	// Print is --print: write to standard output, without the token,
	// instead of writing files.
	Print bool
}

// newCommonOptions returns the CommonOptions of a command built by f.
func newCommonOptions(f *cmdutil.Factory) CommonOptions {
	return CommonOptions{IO: f.IOStreams, Auth: f.Auth, DefaultOrg: f.DefaultOrg, HomeDir: os.UserHomeDir}
}

// addFlags adds --org and --print, described by printUsage, to cmd.
func (o *CommonOptions) addFlags(cmd *cobra.Command, printUsage string) {
	cmd.Flags().StringVar(&o.Org, "org", "", "Organisation (default: the org key of the configuration)")
	cmd.Flags().BoolVar(&o.Print, "print", false, printUsage)
}

// target resolves the organisation, then the login, into the Target to
// configure. Its token is empty when the user is not logged in.
func (o *CommonOptions) target() (Target, error) {
	org, err := o.DefaultOrg(o.Org)
	if err != nil {
		return Target{}, err
	}
	a, err := o.Auth()
	if err != nil {
		return Target{}, err
	}
	return Target{Server: a.Server, Org: org, Token: a.Token}, nil
}

// hintf writes a line to standard error when it is a terminal: how the
// output of --print gets the token.
func (o *CommonOptions) hintf(format string, args ...any) {
	if o.IO.IsStderrTTY() {
		fmt.Fprintf(o.IO.ErrOut, format+"\n", args...)
	}
}

// requireToken returns the not-logged-in error when t has no token.
func (t Target) requireToken() error {
	if t.Token == "" {
		return cmdutil.NotLoggedIn(t.Server)
	}
	return nil
}
