package repo

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/cli/pkgcmd"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// PackagesOptions are the inputs of `drok repo packages`.
type PackagesOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	Org  string
	Repo string
	JSON bool
}

// NewCmdPackages returns `drok repo packages`.
func NewCmdPackages(f *cmdutil.Factory, runF func(*PackagesOptions) error) *cobra.Command {
	opts := &PackagesOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "packages ORG/REPO",
		Short: "List the packages linked to a repository",
		Long: `List the packages linked to a repository (see drok package link).

On a pipe each line is: ECOSYSTEM, NAME, LATEST, VISIBILITY, REPOSITORY,
UPDATED, tab-separated.`,
		Args: cmdutil.ExactArgs(1, "repository required: ORG/REPO"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			var err error
			if opts.Org, opts.Repo, err = cmdutil.ParseRepo(args[0]); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return packagesRun(opts)
		},
	}
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func packagesRun(opts *PackagesOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	pkgs, err := c.RepoPackages(opts.Ctx, opts.Org, opts.Repo)
	if err != nil {
		return fmt.Errorf("list packages of %s/%s: %w", opts.Org, opts.Repo, err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, pkgs)
	}
	return pkgcmd.PrintPackages(opts.IO, pkgs)
}
