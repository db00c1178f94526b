package configcmd

import (
	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/config"
	"github.com/drok-dev/drok/internal/cli/iostreams"
)

// SetOptions are the inputs of `drok config set`.
type SetOptions struct {
	IO     *iostreams.IOStreams
	Config func() (*config.Config, error)

	Key   string
	Value string
}

// NewCmdSet returns `drok config set`.
func NewCmdSet(f *cmdutil.Factory, runF func(*SetOptions) error) *cobra.Command {
	opts := &SetOptions{IO: f.IOStreams, Config: f.Config}
	cmd := &cobra.Command{
		Use:     "set KEY VALUE",
		Short:   "Store a value in the configuration file",
		Long:    `Store a value in the configuration file; an empty VALUE removes the key.`,
		Example: `  drok config set org acme`,
		Args:    cmdutil.ExactArgs(2, "key and value required: drok config set KEY VALUE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Key, opts.Value = args[0], args[1]
			if err := validKey(opts.Key); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return setRun(opts)
		},
	}
	return cmd
}

func setRun(opts *SetOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	if opts.Value == "" {
		return cfg.Unset(opts.Key)
	}
	if opts.Key == config.KeyServer {
		opts.Value = config.NormalizeServer(opts.Value)
	}
	return cfg.Set(opts.Key, opts.Value)
}
