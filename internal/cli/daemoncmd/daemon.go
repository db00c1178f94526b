// Package daemoncmd implements `drok daemon`: status, stop and logs of the
// daemon of a local data directory.
package daemoncmd

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/config"
)

// NewCmdDaemon returns the `drok daemon` command group.
func NewCmdDaemon(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "daemon <command>",
		Short: "Manage the local drok daemon",
		Long: `Inspect and control the daemon of a data directory on this machine, using
the files it keeps there: drok.pid, drok.addr and drok.log. --data defaults
like drok serve's: DROK_DATA, the data key of the configuration, then
$XDG_DATA_HOME/drok.`,
	}
	cmdutil.MakeGroup(cmd)
	cmd.AddCommand(NewCmdStatus(f, nil), NewCmdStop(f, nil), NewCmdLogs(f, nil))
	return cmd
}

func addDataFlag(cmd *cobra.Command) {
	cmd.Flags().String("data", "", "Data directory of the daemon (default $XDG_DATA_HOME/drok)")
	_ = cmd.MarkFlagDirname("data")
}

// dataDir resolves --data like drok serve does.
func dataDir(f *cmdutil.Factory, cmd *cobra.Command) (string, error) {
	cfg, err := f.Config()
	if err != nil {
		return "", err
	}
	cfg.BindFlag(config.KeyData, cmd.Flags().Lookup("data"))
	dir, err := cfg.DataDir()
	if err != nil {
		return "", err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("data directory: %w", err)
	}
	return abs, nil
}
