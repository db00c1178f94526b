package pkgcmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// ViewOptions are the inputs of `drok package view`.
type ViewOptions struct {
	IO         *iostreams.IOStreams
	Client     func() (*client.Client, error)
	DefaultOrg func(string) (string, error)
	Ctx        context.Context

	Target  Target
	Name    string
	Version string
	JSON    bool
}

// NewCmdView returns `drok package view`.
func NewCmdView(f *cmdutil.Factory, runF func(*ViewOptions) error) *cobra.Command {
	opts := &ViewOptions{IO: f.IOStreams, Client: f.Client, DefaultOrg: f.DefaultOrg}
	cmd := &cobra.Command{
		Use:   "view NAME[@VERSION] [--org ORG] [-e ECOSYSTEM]",
		Short: "Show a package or one of its versions",
		Long: `Show a package with its tags and versions, or one version with its files.

On a pipe each line is "field:<TAB>value"; a package adds
"tag:<TAB>TAG<TAB>VERSION" and "version:<TAB>VERSION<TAB>PUBLISHED<TAB>STATE<TAB>DOWNLOADS"
lines, a version adds "file:<TAB>NAME<TAB>SHA256<TAB>SIZE" lines. With --json a
package prints the package object and NAME@VERSION the version object.`,
		Example: `  drok package view left-pad --org acme
  drok package view @acme/ui@2.0.1 -e npm --json`,
		Args: cmdutil.ExactArgs(1, "package required: NAME[@VERSION]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			var err error
			if opts.Name, opts.Version, err = parseRef(args[0], false, false); err != nil {
				return err
			}
			if err := opts.Target.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return viewRun(opts)
		},
	}
	addTargetFlags(cmd, &opts.Target)
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func viewRun(opts *ViewOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	ref, err := resolve(opts.Ctx, c, opts.DefaultOrg, opts.Target, opts.Name, opts.Version)
	if err != nil {
		return err
	}
	p, err := c.Package(opts.Ctx, ref.Ecosystem, ref.Org, ref.Name)
	if err != nil {
		return fmt.Errorf("view %s in %s: %w", ref, ref.Org, err)
	}
	if ref.Version == "" {
		if opts.JSON {
			return cmdutil.PrintJSON(opts.IO, p)
		}
		return printPackage(opts.IO, p)
	}
	for _, v := range p.Versions {
		if v.Version == ref.Version {
			if opts.JSON {
				return cmdutil.PrintJSON(opts.IO, v)
			}
			return printVersion(opts.IO, p, v)
		}
	}
	return fmt.Errorf("view %s in %s: no such version", ref, ref.Org)
}
