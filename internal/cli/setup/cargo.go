package setup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
)

// CargoOptions are the inputs of `drok setup cargo`.
type CargoOptions struct {
	IO         *iostreams.IOStreams
	Auth       func() (cmdutil.Auth, error)
	DefaultOrg func(string) (string, error)
	// CargoHome locates cargo's home directory ($CARGO_HOME or ~/.cargo).
	CargoHome func() (string, error)

	Org      string
	Registry string
	Print    bool
}

// NewCmdCargo returns `drok setup cargo`.
func NewCmdCargo(f *cmdutil.Factory, runF func(*CargoOptions) error) *cobra.Command {
	opts := &CargoOptions{IO: f.IOStreams, Auth: f.Auth, DefaultOrg: f.DefaultOrg, CargoHome: cargoHome}
	cmd := &cobra.Command{
		Use:   "cargo [--org ORG] [--registry NAME] [--print]",
		Short: "Point cargo at an organisation's Cargo registry",
		Long: `Add the organisation's sparse index as a cargo registry (default name
"drok") to $CARGO_HOME/config.toml (~/.cargo/config.toml):

  [registries.drok]
  index = "sparse+SERVER/api/v1/packages/cargo/ORG/"
  credential-provider = "cargo:token"

and your token to $CARGO_HOME/credentials.toml (mode 0600):

  [registries.drok]
  token = "TOKEN"

Other registries and settings in both files are kept; running it again
replaces drok's lines. Then publish with ` + "`cargo publish --registry drok`" + ` and
depend on crates with ` + "`name = { version = \"1\", registry = \"drok\" }`" + `.

--print writes the config.toml lines to standard output instead and
leaves the token out: cargo reads it from CARGO_REGISTRIES_DROK_TOKEN
(for CI).`,
		Example: `  drok setup cargo --org acme
  drok setup cargo --org acme --registry acme
  drok setup cargo --org acme --print >> .cargo/config.toml`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !validRegistryName(opts.Registry) {
				return cmdutil.FlagErrorf("invalid --registry %q: use letters, digits, '-' and '_'", opts.Registry)
			}
			if runF != nil {
				return runF(opts)
			}
			return cargoRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Org, "org", "", "Organisation (default: the org key of the configuration)")
	cmd.Flags().StringVar(&opts.Registry, "registry", "drok", "Name of the registry in cargo's configuration")
	cmd.Flags().BoolVar(&opts.Print, "print", false, "Print the configuration instead of writing it")
	return cmd
}

func validRegistryName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// cargoHome is $CARGO_HOME, else ~/.cargo.
func cargoHome() (string, error) {
	if h := os.Getenv("CARGO_HOME"); h != "" {
		return h, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".cargo"), nil
}

// CargoEntries returns the config.toml entries of [registries.NAME].
func CargoEntries(t Target) []TOMLEntry {
	return []TOMLEntry{
		{Key: "index", Value: "sparse+" + t.RegistryURL("cargo")},
		{Key: "credential-provider", Value: "cargo:token"},
	}
}

// cargoEnvVar is the environment variable cargo reads registry's token from.
func cargoEnvVar(registry string) string {
	return "CARGO_REGISTRIES_" + strings.ToUpper(strings.ReplaceAll(registry, "-", "_")) + "_TOKEN"
}

func cargoRun(opts *CargoOptions) error {
	org, err := opts.DefaultOrg(opts.Org)
	if err != nil {
		return err
	}
	a, err := opts.Auth()
	if err != nil {
		return err
	}
	t := Target{Server: a.Server, Org: org, Token: a.Token}
	table := "registries." + opts.Registry
	if opts.Print {
		fmt.Fprintf(opts.IO.Out, "[%s]\n", table)
		for _, e := range CargoEntries(t) {
			fmt.Fprintln(opts.IO.Out, e)
		}
		if opts.IO.IsStderrTTY() {
			fmt.Fprintf(opts.IO.ErrOut, "cargo reads the token from the %s environment variable with these lines.\n", cargoEnvVar(opts.Registry))
		}
		return nil
	}
	if t.Token == "" {
		return cmdutil.NotLoggedIn(a.Server)
	}
	dir, err := opts.CargoHome()
	if err != nil {
		return fmt.Errorf("locate cargo's home directory: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	// The token first: a config that names the registry without a token
	// would make cargo fail with a less helpful message.
	credPath := filepath.Join(dir, "credentials.toml")
	if err := mergeTOMLFile(credPath, table, []TOMLEntry{{Key: "token", Value: t.Token}}); err != nil {
		return err
	}
	cfgPath := filepath.Join(dir, "config.toml")
	if _, err := os.Stat(cfgPath); errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(filepath.Join(dir, "config")); err == nil {
			cfgPath = filepath.Join(dir, "config") // the legacy name cargo still reads
		}
	}
	if err := mergeTOMLFile(cfgPath, table, CargoEntries(t)); err != nil {
		return err
	}
	cmdutil.Success(opts.IO, "Added cargo registry %q (%s) to %s and your token to %s",
		opts.Registry, t.RegistryURL("cargo"), displayPath(cfgPath), displayPath(credPath))
	return nil
}

// mergeTOMLFile merges entries into table of the TOML file at path.
func mergeTOMLFile(path, table string, entries []TOMLEntry) error {
	existing, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	merged, err := MergeTOMLTable(existing, table, entries)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return writeConfigFile(path, merged)
}
