package daemoncmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/cli/localdaemon"
)

// LogsOptions are the inputs of `drok daemon logs`.
type LogsOptions struct {
	IO  *iostreams.IOStreams
	Ctx context.Context

	DataDir string
	Follow  bool
	Tail    int
	// Poll is how often --follow checks for new output.
	Poll time.Duration
}

// NewCmdLogs returns `drok daemon logs`.
func NewCmdLogs(f *cmdutil.Factory, runF func(*LogsOptions) error) *cobra.Command {
	opts := &LogsOptions{IO: f.IOStreams, Poll: 200 * time.Millisecond}
	cmd := &cobra.Command{
		Use:   "logs [--data DIR] [-f] [--tail N]",
		Short: "Print the log of a detached daemon",
		Long: `Print DATA/drok.log, the output of a daemon started with drok serve --detach.
Token secrets in it are shown as drok_[REDACTED]. With -f drok keeps printing
new lines until interrupted.`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			var err error
			if opts.DataDir, err = dataDir(f, cmd); err != nil {
				return err
			}
			if opts.Tail < 0 {
				return cmdutil.FlagErrorf("--tail must not be negative")
			}
			if runF != nil {
				return runF(opts)
			}
			return logsRun(opts)
		},
	}
	addDataFlag(cmd)
	cmd.Flags().BoolVarP(&opts.Follow, "follow", "f", false, "Keep printing new lines")
	cmd.Flags().IntVarP(&opts.Tail, "tail", "n", 0, "Print only the last N lines (default: all)")
	return cmd
}

func logsRun(opts *LogsOptions) error {
	path := localdaemon.FilesOf(opts.DataDir).Log
	data, err := localdaemon.Tail(path, opts.Tail)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no daemon log at %s (it is written by drok serve --detach)", path)
	}
	if err != nil {
		return fmt.Errorf("read daemon log: %w", err)
	}
	if _, err := opts.IO.Out.Write(data); err != nil {
		return err
	}
	if !opts.Follow {
		return nil
	}
	return follow(opts, path)
}

// follow prints what is appended to path until the context ends, line by
// line so that secrets are redacted whole.
func follow(opts *LogsOptions, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("follow daemon log: %w", err)
	}
	defer f.Close()
	offset, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return fmt.Errorf("follow daemon log: %w", err)
	}
	var partial []byte
	buf := make([]byte, 32<<10)
	tick := time.NewTicker(opts.Poll)
	defer tick.Stop()
	for {
		select {
		case <-opts.Ctx.Done():
			return nil
		case <-tick.C:
		}
		if st, err := f.Stat(); err == nil && st.Size() < offset { // truncated
			offset, partial = 0, nil
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return fmt.Errorf("follow daemon log: %w", err)
			}
		}
		for {
			n, err := f.Read(buf)
			offset += int64(n)
			partial = append(partial, buf[:n]...)
			if i := bytes.LastIndexByte(partial, '\n'); i >= 0 {
				if _, werr := opts.IO.Out.Write(localdaemon.Redact(partial[:i+1])); werr != nil {
					return werr
				}
				partial = append([]byte(nil), partial[i+1:]...)
			}
			if err != nil || n == 0 {
				break
			}
		}
	}
}
