package pkgcmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// LinkOptions are the inputs of `drok package link`.
type LinkOptions struct {
	IO         *iostreams.IOStreams
	Client     func() (*client.Client, error)
	DefaultOrg func(string) (string, error)
	Ctx        context.Context

	Target Target
	Name   string
	// Repo is the repository name inside the organisation; empty unlinks.
	Repo string
	JSON bool
}

// NewCmdLink returns `drok package link`.
func NewCmdLink(f *cmdutil.Factory, runF func(*LinkOptions) error) *cobra.Command {
	opts := &LinkOptions{IO: f.IOStreams, Client: f.Client, DefaultOrg: f.DefaultOrg}
	cmd := &cobra.Command{
		Use:   "link NAME --repo REPO [--org ORG] [-e ECOSYSTEM]",
		Short: "Link a package to a repository (or unlink it)",
		Long: `Link a package to a repository of its organisation: the package then
takes the repository's visibility and collaborators. --repo "" unlinks it.
REPO may be written REPO or ORG/REPO.`,
		Example: `  drok package link left-pad --repo web --org acme
  drok package link left-pad --repo "" --org acme`,
		Args: cmdutil.ExactArgs(1, "package name required"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			var err error
			if opts.Name, _, err = parseRef(args[0], false, true); err != nil {
				return err
			}
			if !cmd.Flags().Changed("repo") {
				return cmdutil.FlagErrorf(`--repo is required (--repo "" unlinks)`)
			}
			if err := opts.Target.validate(); err != nil {
				return err
			}
			if org, repo, ok := strings.Cut(opts.Repo, "/"); ok {
				if opts.Target.Org != "" && org != opts.Target.Org {
					return cmdutil.FlagErrorf("repository %s is not in organisation %s", opts.Repo, opts.Target.Org)
				}
				opts.Target.Org, opts.Repo = org, repo
			}
			if runF != nil {
				return runF(opts)
			}
			return linkRun(opts)
		},
	}
	addTargetFlags(cmd, &opts.Target)
	cmd.Flags().StringVar(&opts.Repo, "repo", "", `Repository to link to; "" unlinks`)
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func linkRun(opts *LinkOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	ref, err := resolve(opts.Ctx, c, opts.DefaultOrg, opts.Target, opts.Name, "")
	if err != nil {
		return err
	}
	p, err := c.Link(opts.Ctx, ref.Ecosystem, ref.Org, client.LinkRequest{Name: ref.Name, Repo: opts.Repo})
	if err != nil {
		if opts.Repo == "" {
			return fmt.Errorf("unlink %s in %s: %w", ref, ref.Org, err)
		}
		return fmt.Errorf("link %s to %s/%s: %w", ref, ref.Org, opts.Repo, err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, p)
	}
	if opts.Repo == "" {
		cmdutil.Success(opts.IO, "Unlinked %s in %s", ref, ref.Org)
	} else {
		cmdutil.Success(opts.IO, "Linked %s to %s/%s", ref, ref.Org, opts.Repo)
	}
	return nil
}
