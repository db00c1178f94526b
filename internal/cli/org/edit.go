package org

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// EditOptions are the inputs of `drok org edit`.
type EditOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	Name     string
	Settings client.OrgSettings
	JSON     bool
}

// NewCmdEdit returns `drok org edit`.
func NewCmdEdit(f *cmdutil.Factory, runF func(*EditOptions) error) *cobra.Command {
	opts := &EditOptions{IO: f.IOStreams, Client: f.Client}
	var immutableTags bool
	var maxSnapshots int
	cmd := &cobra.Command{
		Use:   "edit ORG [--plan NAME] [--immutable-tags=true|false] [--max-snapshots N]",
		Short: "Change an organisation's settings (owners)",
		Long: `Change an organisation's settings (owners).

--immutable-tags makes every container image tag immutable once pushed
(release tags such as v1.2.3 always are).

--max-snapshots N keeps only the newest N timestamped builds of each Maven
SNAPSHOT version (older builds leave the version when a new one is
deployed); 0 keeps all.`,
		Args: cmdutil.ExactArgs(1, "organisation name required"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			opts.Name = args[0]
			if !cmd.Flags().Changed("plan") && !cmd.Flags().Changed("immutable-tags") && !cmd.Flags().Changed("max-snapshots") {
				return cmdutil.FlagErrorf("nothing to change: pass --plan, --immutable-tags or --max-snapshots")
			}
			if cmd.Flags().Changed("plan") && opts.Settings.Plan == "" {
				return cmdutil.FlagErrorf("--plan must not be empty")
			}
			if cmd.Flags().Changed("immutable-tags") {
				opts.Settings.ImmutableTags = &immutableTags
			}
			if cmd.Flags().Changed("max-snapshots") {
				if maxSnapshots < 0 {
					return cmdutil.FlagErrorf("--max-snapshots must be 0 (keep all) or more")
				}
				opts.Settings.MaxSnapshots = &maxSnapshots
			}
			if runF != nil {
				return runF(opts)
			}
			return editRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Settings.Plan, "plan", "", "Plan of the organisation")
	cmd.Flags().BoolVar(&immutableTags, "immutable-tags", false, "Make every container image tag immutable once pushed (release tags like v1.2.3 always are)")
	cmd.Flags().IntVar(&maxSnapshots, "max-snapshots", 0, "Timestamped builds kept per Maven SNAPSHOT version (0 = all)")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func editRun(opts *EditOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	o, err := c.EditOrg(opts.Ctx, opts.Name, opts.Settings)
	if err != nil {
		return fmt.Errorf("edit organisation %s: %w", opts.Name, err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, o)
	}
	cmdutil.Success(opts.IO, "Edited organisation %s", o.Name)
	return nil
}
