package daemoncmd

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/cli/localdaemon"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// StatusOptions are the inputs of `drok daemon status`.
type StatusOptions struct {
	IO  *iostreams.IOStreams
	Ctx context.Context

	DataDir string
	JSON    bool
}

// Status is the --json output of `drok daemon status`.
type Status struct {
	Running bool   `json:"running"`
	PID     int    `json:"pid,omitempty"`
	URL     string `json:"url,omitempty"`
	Healthy bool   `json:"healthy"`
	Version string `json:"version,omitempty"`
	DataDir string `json:"data_dir"`
	Log     string `json:"log"`
}

// NewCmdStatus returns `drok daemon status`.
func NewCmdStatus(f *cmdutil.Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "status [--data DIR]",
		Short: "Show whether the daemon runs, its pid, URL and health",
		Long: `Show whether the daemon of a data directory runs, its pid, URL, version and
health. Exits with status 1 when it is not running.

On a pipe each line is "field:<TAB>value".`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			var err error
			if opts.DataDir, err = dataDir(f, cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return statusRun(opts)
		},
	}
	addDataFlag(cmd)
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func statusRun(opts *StatusOptions) error {
	st, err := localdaemon.Read(opts.DataDir)
	if err != nil {
		return err
	}
	out := Status{Running: st.Running, DataDir: st.Dir, Log: st.Files.Log}
	if st.Running {
		out.PID, out.URL = st.PID, st.URL
		if st.URL != "" {
			ctx, cancel := context.WithTimeout(opts.Ctx, 3*time.Second)
			h, err := client.New(st.URL, "").Health(ctx)
			cancel()
			out.Healthy, out.Version = err == nil, h.Version
		}
	}
	if opts.JSON {
		if err := cmdutil.PrintJSON(opts.IO, out); err != nil {
			return err
		}
	} else {
		state := "stopped"
		switch {
		case out.Running && out.Healthy:
			state = "running"
		case out.Running:
			state = "running, not answering"
		}
		fields := []iostreams.Field{{Label: "Status", Value: state}}
		if out.Running {
			fields = append(fields,
				iostreams.Field{Label: "PID", Value: strconv.Itoa(out.PID)},
				iostreams.Field{Label: "URL", Value: out.URL},
				iostreams.Field{Label: "Version", Value: out.Version})
		}
		fields = append(fields,
			iostreams.Field{Label: "Data", Value: out.DataDir},
			iostreams.Field{Label: "Log", Value: out.Log})
		if err := iostreams.PrintFields(opts.IO, fields); err != nil {
			return err
		}
	}
	if !out.Running {
		if !opts.JSON {
			fmt.Fprintf(opts.IO.ErrOut, "No drok daemon is running for %s; start one with: drok serve --detach --data %s\n", st.Dir, st.Dir)
		}
		return cmdutil.ErrSilent
	}
	return nil
}
