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
)

// CargoOptions are the inputs of `drok setup cargo`.
type CargoOptions struct {
	CommonOptions
	// CargoHome locates cargo's home directory ($CARGO_HOME or ~/.cargo).
	CargoHome func() (string, error)

	Registry string
}

// NewCmdCargo returns `drok setup cargo`.
func NewCmdCargo(f *cmdutil.Factory, runF func(*CargoOptions) error) *cobra.Command {
	opts := &CargoOptions{CommonOptions: newCommonOptions(f)}
	opts.CargoHome = func() (string, error) { return cargoHome(opts.HomeDir) }
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
	opts.addFlags(cmd, "Print the configuration instead of writing it")
	cmd.Flags().StringVar(&opts.Registry, "registry", "drok", "Name of the registry in cargo's configuration")
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

// cargoHome is $CARGO_HOME, else .cargo in the home directory.
func cargoHome(homeDir func() (string, error)) (string, error) {
	if h := os.Getenv("CARGO_HOME"); h != "" {
		return h, nil
	}
	home, err := homeDir()
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
	t, err := opts.target()
	if err != nil {
		return err
	}
	table := "registries." + opts.Registry
	if opts.Print {
		fmt.Fprintf(opts.IO.Out, "[%s]\n", table)
		for _, e := range CargoEntries(t) {
			fmt.Fprintln(opts.IO.Out, e)
		}
		opts.hintf("cargo reads the token from the %s environment variable with these lines.", cargoEnvVar(opts.Registry))
		return nil
	}
	if err := t.requireToken(); err != nil {
		return err
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
	existing, err := readConfigFile(path)
	if err != nil {
		return err
	}
	merged, err := MergeTOMLTable(existing, table, entries)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return writeConfigFile(path, merged)
}
