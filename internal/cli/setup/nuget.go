package setup

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
)

// nugetTokenPlaceholder is what --print writes instead of the token:
// NuGet expands %VAR% in configuration values.
const nugetTokenPlaceholder = "%DROK_TOKEN%"

// NuGetOptions are the inputs of `drok setup nuget`.
type NuGetOptions struct {
	// CommonOptions.HomeDir locates the user's NuGet.Config.
	CommonOptions
	// WorkDir locates ./nuget.config.
	WorkDir func() (string, error)
	// GOOS picks the user configuration's location.
	GOOS string

	Name    string
	Config  string
	Project bool
}

// NewCmdNuGet returns `drok setup nuget`.
func NewCmdNuGet(f *cmdutil.Factory, runF func(*NuGetOptions) error) *cobra.Command {
	opts := &NuGetOptions{CommonOptions: newCommonOptions(f), WorkDir: os.Getwd, GOOS: runtime.GOOS}
	cmd := &cobra.Command{
		Use:   "nuget [--org ORG] [--name NAME] [--project | --config FILE] [--print]",
		Short: "Point NuGet (nuget, dotnet, Visual Studio) at an organisation's feed",
		Long: `Add a package source for the organisation's NuGet v3 feed,
SERVER/api/v1/packages/nuget/ORG/index.json, with your token as its
credentials (packageSourceCredentials, ClearTextPassword), to the user's
NuGet.Config (~/.nuget/NuGet/NuGet.Config; %APPDATA%\NuGet\NuGet.Config on
Windows), to ./nuget.config with --project, or to FILE with --config.
The file is written with mode 0600; other sources and settings are kept,
and running it again replaces the source instead of adding another.

Push with the same token as API key:

  nuget push Foo.1.0.0.nupkg -Source NAME -ApiKey TOKEN

--print writes a complete nuget.config to standard output instead, with
the token as %DROK_TOKEN%, which NuGet reads from the environment (for CI).`,
		Example: `  drok setup nuget --org acme
  drok setup nuget --org acme --project
  drok setup nuget --org acme --print > nuget.config`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Project && opts.Config != "" {
				return cmdutil.FlagErrorf("--project and --config cannot be used together")
			}
			if opts.Name != "" {
				if err := validNuGetSourceName(opts.Name); err != nil {
					return cmdutil.FlagErrorf("--name: %v", err)
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return nugetRun(opts)
		},
	}
	opts.addFlags(cmd, "Print a nuget.config instead of writing one")
	cmd.Flags().StringVar(&opts.Name, "name", "", "Package source name (default: drok-ORG)")
	cmd.Flags().StringVar(&opts.Config, "config", "", "Write this NuGet.Config file")
	cmd.Flags().BoolVar(&opts.Project, "project", false, "Write ./nuget.config instead of the user's NuGet.Config")
	return cmd
}

// NuGetSourceFor returns the package source of target.
func NuGetSourceFor(t Target, name string) NuGetSource {
	if name == "" {
		name = "drok-" + t.Org
	}
	return NuGetSource{Name: name, URL: t.RegistryURL("nuget") + "index.json", Username: "drok", Password: t.Token}
}

// nugetConfigPath returns the file nugetRun writes.
func nugetConfigPath(opts *NuGetOptions) (string, error) {
	switch {
	case opts.Config != "":
		return opts.Config, nil
	case opts.Project:
		dir, err := opts.WorkDir()
		if err != nil {
			return "", fmt.Errorf("locate nuget.config: %w", err)
		}
		return filepath.Join(dir, "nuget.config"), nil
	case opts.GOOS == "windows" && os.Getenv("APPDATA") != "":
		return filepath.Join(os.Getenv("APPDATA"), "NuGet", "NuGet.Config"), nil
	}
	home, err := opts.HomeDir()
	if err != nil {
		return "", fmt.Errorf("locate NuGet.Config: %w", err)
	}
	return filepath.Join(home, ".nuget", "NuGet", "NuGet.Config"), nil
}

func nugetRun(opts *NuGetOptions) error {
	t, err := opts.target()
	if err != nil {
		return err
	}
	if opts.Print {
		t.Token = nugetTokenPlaceholder
		data, err := MergeNuGetConfig(nil, NuGetSourceFor(t, opts.Name))
		if err != nil {
			return err
		}
		_, err = opts.IO.Out.Write(data)
		return err
	}
	if err := t.requireToken(); err != nil {
		return err
	}
	src := NuGetSourceFor(t, opts.Name)
	path, err := nugetConfigPath(opts)
	if err != nil {
		return err
	}
	existing, err := readConfigFile(path)
	if err != nil {
		return err
	}
	data, err := MergeNuGetConfig(existing, src)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := writeConfigFile(path, data); err != nil {
		return err
	}
	cmdutil.Success(opts.IO, "Added the NuGet source %s (%s) with your token to %s", src.Name, src.URL, displayPath(path))
	if opts.Project || opts.Config != "" {
		cmdutil.Warn(opts.IO, "%s now holds your token: keep it out of version control", path)
	}
	return nil
}
