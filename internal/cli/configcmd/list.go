package configcmd

import (
	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/config"
	"github.com/drok-dev/drok/internal/cli/iostreams"
)

// ListOptions are the inputs of `drok config list`.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Config func() (*config.Config, error)

	JSON bool
}

// NewCmdList returns `drok config list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Config: f.Config}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "Print every key and the value in effect",
		Long:    "Print every key and the value in effect. On a pipe each line is KEY<TAB>VALUE.",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return listRun(opts)
		},
	}
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func listRun(opts *ListOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	if opts.JSON {
		m := map[string]string{}
		for _, k := range config.Keys {
			m[k.Name] = cfg.Value(k.Name)
		}
		return cmdutil.PrintJSON(opts.IO, m)
	}
	t := iostreams.NewTablePrinter(opts.IO, "KEY", "VALUE")
	for _, k := range config.Keys {
		t.AddRow(k.Name, cfg.Value(k.Name))
	}
	return t.Render()
}
