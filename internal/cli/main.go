// Package cli implements the drok command line: the root command, the
// mapping of errors to exit codes, and (in its subpackages) one package per
// noun with one file per verb.
package cli

//go:generate go run ./gendocs -docs ../../docs/cli -completions ../../completions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/config"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// Main runs the drok command line and returns the process exit code.
func Main() int {
	ios := iostreams.System()
	f := cmdutil.NewFactory(ios)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, f, os.Args[1:])
}

// Run executes the command line args with f and returns the exit code.
func Run(ctx context.Context, f *cmdutil.Factory, args []string) int {
	root := NewCmdRoot(f)
	root.SetArgs(args)
	started := false
	markStarted(root, &started)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return cmdutil.ExitOK
	}
	code := cmdutil.ExitCode(err)
	if !started && code == cmdutil.ExitError {
		// cobra rejected the command line before any command ran: an
		// unknown command, a missing required flag, bad arguments.
		code, err = cmdutil.ExitUsage, cmdutil.FlagErrorWrap(err)
	}
	printError(f, cmd, err)
	return code
}

// markStarted wraps every RunE of the tree so that *started tells whether
// cobra got as far as running a command.
func markStarted(cmd *cobra.Command, started *bool) {
	if run := cmd.RunE; run != nil {
		cmd.RunE = func(c *cobra.Command, args []string) error {
			*started = true
			return run(c, args)
		}
	}
	for _, c := range cmd.Commands() {
		markStarted(c, started)
	}
}

func printError(f *cmdutil.Factory, cmd *cobra.Command, err error) {
	w := f.IOStreams.ErrOut
	var fe *cmdutil.FlagError
	var ue *client.UnreachableError
	switch {
	case errors.Is(err, cmdutil.ErrSilent):
	case errors.Is(err, cmdutil.ErrCancel):
		fmt.Fprintln(w, "Cancelled.")
	case errors.As(err, &ue):
		if config.NormalizeServer(ue.Server) == config.DefaultServer {
			fmt.Fprintf(w, "drok daemon is not running at %s; start it with: drok serve --detach\n", config.DefaultServer)
		} else {
			fmt.Fprintf(w, "cannot reach the drok server at %s: %v\n", ue.Server, ue.Err)
		}
	case errors.As(err, &fe):
		fmt.Fprintln(w, err)
		if cmd != nil {
			fmt.Fprintf(w, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
	case client.IsStatus(err, http.StatusUnauthorized):
		fmt.Fprintln(w, err)
		if a, aerr := f.Auth(); aerr == nil {
			if a.Token == "" {
				fmt.Fprintf(w, "Not logged in to %s; run: drok login --server %s\n", a.Server, a.Server)
			} else {
				fmt.Fprintf(w, "%s rejected the token from the %s; log in again with: drok login --server %s\n", a.Server, a.Source, a.Server)
			}
		}
	default:
		fmt.Fprintln(w, err)
	}
}
