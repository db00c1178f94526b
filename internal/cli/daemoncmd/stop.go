package daemoncmd

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/cli/localdaemon"
)

// StopOptions are the inputs of `drok daemon stop`.
type StopOptions struct {
	IO *iostreams.IOStreams

	DataDir string
	Timeout time.Duration
}

// NewCmdStop returns `drok daemon stop`.
func NewCmdStop(f *cmdutil.Factory, runF func(*StopOptions) error) *cobra.Command {
	opts := &StopOptions{IO: f.IOStreams, Timeout: 10 * time.Second}
	cmd := &cobra.Command{
		Use:   "stop [--data DIR]",
		Short: "Stop the daemon",
		Long: `Ask the daemon of a data directory to shut down gracefully (SIGTERM) and wait
up to 10 seconds for it to exit. Exits with status 1 when no daemon runs.`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.DataDir, err = dataDir(f, cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return stopRun(opts)
		},
	}
	addDataFlag(cmd)
	return cmd
}

func stopRun(opts *StopOptions) error {
	st, err := localdaemon.Read(opts.DataDir)
	if err != nil {
		return err
	}
	if !st.Running {
		if err := st.RemoveStale(); err != nil {
			return err
		}
		return fmt.Errorf("no drok daemon is running for %s", st.Dir)
	}
	if err := localdaemon.Stop(st.PID, opts.Timeout); err != nil {
		return err
	}
	if err := st.RemoveStale(); err != nil {
		return err
	}
	cmdutil.Success(opts.IO, "Stopped drok daemon (pid %d)", st.PID)
	return nil
}
