// Package setup implements `drok setup`: point an ecosystem's own client
// (npm, and later pip, cargo, docker, maven, nuget) at a drok server.
//
// Each ecosystem is one entry of the writers registry: a command that
// renders the client's configuration for a Target and merges it into the
// client's configuration file.
package setup

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
)

// Writer configures the client of one ecosystem.
type Writer struct {
	// Ecosystem is the subcommand name (npm, pypi, ...).
	Ecosystem string
	// NewCmd returns the `drok setup ECOSYSTEM` command.
	NewCmd func(f *cmdutil.Factory) *cobra.Command
}

// writers is the registry of supported ecosystems.
var writers = []Writer{
	{Ecosystem: "npm", NewCmd: func(f *cmdutil.Factory) *cobra.Command { return NewCmdNpm(f, nil) }},
	{Ecosystem: "pip", NewCmd: func(f *cmdutil.Factory) *cobra.Command { return NewCmdPip(f, nil) }},
	{Ecosystem: "cargo", NewCmd: func(f *cmdutil.Factory) *cobra.Command { return NewCmdCargo(f, nil) }},
	{Ecosystem: "docker", NewCmd: func(f *cmdutil.Factory) *cobra.Command { return NewCmdDocker(f, nil) }},
	{Ecosystem: "maven", NewCmd: func(f *cmdutil.Factory) *cobra.Command { return NewCmdMaven(f, nil) }},
	{Ecosystem: "nuget", NewCmd: func(f *cmdutil.Factory) *cobra.Command { return NewCmdNuGet(f, nil) }},
}

// NewCmdSetup returns the `drok setup` command group.
func NewCmdSetup(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "setup <ecosystem>",
		Short: "Configure a package manager to use drok",
		Long: `Write the configuration that points an ecosystem's own client at an
organisation's registry on the drok server you are logged in to, with your
token. Existing settings for other registries are kept; running it again
replaces drok's lines instead of adding more.`,
	}
	cmdutil.MakeGroup(cmd)
	for _, w := range writers {
		cmd.AddCommand(w.NewCmd(f))
	}
	return cmd
}

// Target is what a client needs to reach one organisation's registry of
// one ecosystem.
type Target struct {
	// Server is the drok base URL, without trailing slash.
	Server string
	Org    string
	// Token is the secret the client authenticates with.
	Token string
}

// RegistryURL is the ecosystem's registry URL of the target's organisation:
// SERVER/api/v1/packages/ECO/ORG/.
func (t Target) RegistryURL(eco string) string {
	return t.Server + "/api/v1/packages/" + eco + "/" + url.PathEscape(t.Org) + "/"
}

// readConfigFile returns the content of path; a missing file is empty.
func readConfigFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, nil
}

// writeConfigFile replaces path with data, mode 0600, through a temporary
// file in the same directory.
func writeConfigFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// displayPath shortens a path below the home directory to ~/...
func displayPath(path string) string {
	home, err := os.UserHomeDir()
	if err == nil && home != "" && strings.HasPrefix(path, home+string(filepath.Separator)) {
		return "~" + path[len(home):]
	}
	return path
}
