// Package configcmd implements `drok config`: read and write the
// configuration file.
package configcmd

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/config"
)

// NewCmdConfig returns the `drok config` command group.
func NewCmdConfig(f *cmdutil.Factory) *cobra.Command {
	var keys strings.Builder
	width := 0
	for _, k := range config.Keys {
		width = max(width, len(k.Name)+2)
	}
	for _, k := range config.Keys {
		keys.WriteString("  " + k.Name + strings.Repeat(" ", width-len(k.Name)) + k.Help + "\n")
	}
	cmd := &cobra.Command{
		Use:   "config <command>",
		Short: "Read and write the drok configuration",
		Long: `Read and write the configuration file: drok/config.yaml in $XDG_CONFIG_HOME
(~/.config), or in $DROK_CONFIG_DIR when set. Environment variables override
the file, and flags override both.

Keys:
` + keys.String(),
	}
	cmdutil.MakeGroup(cmd)
	cmd.AddCommand(NewCmdGet(f, nil), NewCmdSet(f, nil), NewCmdList(f, nil))
	return cmd
}

func validKey(key string) error {
	if !config.ValidKey(key) {
		names := make([]string, len(config.Keys))
		for i, k := range config.Keys {
			names[i] = k.Name
		}
		return cmdutil.FlagErrorf("unknown key %q: want one of %s", key, strings.Join(names, ", "))
	}
	return nil
}
