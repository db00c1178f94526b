package pkgcmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// YankOptions are the inputs of `drok package yank` and `drok package unyank`.
type YankOptions struct {
	IO         *iostreams.IOStreams
	Client     func() (*client.Client, error)
	DefaultOrg func(string) (string, error)
	Ctx        context.Context

	Target  Target
	Name    string
	Version string
	// Yank is false for unyank.
	Yank   bool
	Reason string
	JSON   bool
}

// NewCmdYank returns `drok package yank`.
func NewCmdYank(f *cmdutil.Factory, runF func(*YankOptions) error) *cobra.Command {
	opts := &YankOptions{IO: f.IOStreams, Client: f.Client, DefaultOrg: f.DefaultOrg, Yank: true}
	cmd := &cobra.Command{
		Use:   "yank NAME@VERSION [--reason TEXT] [--org ORG] [-e ECOSYSTEM]",
		Short: "Yank a version",
		Long: `Yank a version: resolvers stop picking it for new installs, while exact
pins and existing lockfiles keep working (npm sees it as deprecated, PyPI
and Cargo as yanked). Undo with drok package unyank.`,
		Example: `  drok package yank left-pad@1.3.0 --reason "breaks on Node 22"`,
		Args:    cmdutil.ExactArgs(1, "package version required: NAME@VERSION"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return yankRunE(cmd, args, opts, runF)
		},
	}
	addTargetFlags(cmd, &opts.Target)
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "Why the version is yanked (shown to clients)")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func yankRunE(cmd *cobra.Command, args []string, opts *YankOptions, runF func(*YankOptions) error) error {
	opts.Ctx = cmd.Context()
	var err error
	if opts.Name, opts.Version, err = parseRef(args[0], true, false); err != nil {
		return err
	}
	if err := opts.Target.validate(); err != nil {
		return err
	}
	if runF != nil {
		return runF(opts)
	}
	return yankRun(opts)
}

func yankRun(opts *YankOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	ref, err := resolve(opts.Ctx, c, opts.DefaultOrg, opts.Target, opts.Name, opts.Version)
	if err != nil {
		return err
	}
	verb := "yank"
	if !opts.Yank {
		verb = "unyank"
	}
	v, err := c.Yank(opts.Ctx, ref.Ecosystem, ref.Org, client.YankRequest{
		Name: ref.Name, Version: ref.Version, Yank: opts.Yank, Reason: opts.Reason,
	})
	if err != nil {
		return fmt.Errorf("%s %s in %s: %w", verb, ref, ref.Org, err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, v)
	}
	if opts.Yank {
		cmdutil.Success(opts.IO, "Yanked %s in %s", ref, ref.Org)
	} else {
		cmdutil.Success(opts.IO, "Unyanked %s in %s", ref, ref.Org)
	}
	return nil
}
