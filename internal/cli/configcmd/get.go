package configcmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/config"
	"github.com/drok-dev/drok/internal/cli/iostreams"
)

// GetOptions are the inputs of `drok config get`.
type GetOptions struct {
	IO     *iostreams.IOStreams
	Config func() (*config.Config, error)

	Key string
}

// NewCmdGet returns `drok config get`.
func NewCmdGet(f *cmdutil.Factory, runF func(*GetOptions) error) *cobra.Command {
	opts := &GetOptions{IO: f.IOStreams, Config: f.Config}
	cmd := &cobra.Command{
		Use:   "get KEY",
		Short: "Print the value in effect for a key",
		Long:  "Print the value in effect for a key: from the environment, the file or the default.",
		Args:  cmdutil.ExactArgs(1, "key required"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Key = args[0]
			if err := validKey(opts.Key); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return getRun(opts)
		},
	}
	return cmd
}

func getRun(opts *GetOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	fmt.Fprintln(opts.IO.Out, cfg.Value(opts.Key))
	return nil
}
