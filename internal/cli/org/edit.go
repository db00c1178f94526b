package org

import (
	"context"
	"fmt"

	"github.com/dustin/go-humanize"
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

// editFlags are the raw flag values of `drok org edit`.
type editFlags struct {
	immutableTags  bool
	maxSnapshots   int
	storageLimit   string
	bandwidthLimit string
	warnOnly       bool
	block, noBlock bool
	severity       string
}

// NewCmdEdit returns `drok org edit`.
func NewCmdEdit(f *cmdutil.Factory, runF func(*EditOptions) error) *cobra.Command {
	opts := &EditOptions{IO: f.IOStreams, Client: f.Client}
	var fl editFlags
	cmd := &cobra.Command{
		Use:   "edit ORG [--plan NAME] [--storage-limit SIZE] [--bandwidth-limit SIZE] [--block-vulnerable-packages] [flags]",
		Short: "Change an organisation's settings (owners)",
		Long: `Change an organisation's settings (owners).

--plan, --storage-limit, --bandwidth-limit and --bandwidth-warn-only need
a server administrator. --plan picks the plan: free (500 MB storage, 5 GB bandwidth a month), pro
(10 GB, 100 GB), organization (50 GB, 500 GB) or enterprise, which takes
custom limits with --storage-limit and --bandwidth-limit (sizes such as
200GB, 2TB, 512MiB; 0 removes the limit) and is unlimited without them. A publish that would take
storage over the limit is refused; downloads over the monthly bandwidth
limit are refused until the month ends (UTC), or only warned about with
--bandwidth-warn-only.

--block-vulnerable-packages refuses downloads of versions an imported
security advisory flags (--no-block-vulnerable-packages stops); with
--block-severity only advisories of at least that severity (low, moderate,
high, critical) block. Blocked versions are also marked in each protocol's
metadata so clients prefer another version.

--immutable-tags makes every container image tag immutable once pushed
(release tags such as v1.2.3 always are).

--max-snapshots N keeps only the newest N timestamped builds of each Maven
SNAPSHOT version (older builds leave the version when a new one is
deployed); 0 keeps all.`,
		Example: `  drok org edit acme --plan pro
  drok org edit acme --plan enterprise --storage-limit 200GB --bandwidth-limit 2TB
  drok org edit acme --block-vulnerable-packages --block-severity high`,
		Args: cmdutil.ExactArgs(1, "organisation name required"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			opts.Name = args[0]
			if err := fl.apply(cmd, &opts.Settings); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return editRun(opts)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Settings.Plan, "plan", "", "Plan of the organisation: free, pro, organization or enterprise")
	fs.StringVar(&fl.storageLimit, "storage-limit", "", "Custom storage limit, e.g. 200GB (enterprise plan)")
	fs.StringVar(&fl.bandwidthLimit, "bandwidth-limit", "", "Custom monthly bandwidth limit, e.g. 2TB (enterprise plan)")
	fs.BoolVar(&fl.warnOnly, "bandwidth-warn-only", false, "Serve downloads over the bandwidth limit with a warning instead of refusing them")
	fs.BoolVar(&fl.block, "block-vulnerable-packages", false, "Refuse downloads of versions flagged by security advisories")
	fs.BoolVar(&fl.noBlock, "no-block-vulnerable-packages", false, "Stop refusing downloads of flagged versions")
	fs.StringVar(&fl.severity, "block-severity", "", "Only block advisories of at least this severity: low, moderate, high, critical (\"\" = any)")
	fs.BoolVar(&fl.immutableTags, "immutable-tags", false, "Make every container image tag immutable once pushed (release tags like v1.2.3 always are)")
	fs.IntVar(&fl.maxSnapshots, "max-snapshots", 0, "Timestamped builds kept per Maven SNAPSHOT version (0 = all)")
	cmd.MarkFlagsMutuallyExclusive("block-vulnerable-packages", "no-block-vulnerable-packages")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

// apply turns the changed flags into a settings edit.
func (fl *editFlags) apply(cmd *cobra.Command, s *client.OrgSettings) error {
	ch := cmd.Flags().Changed
	changed := false
	for _, n := range []string{"plan", "storage-limit", "bandwidth-limit", "bandwidth-warn-only", "block-vulnerable-packages",
		"no-block-vulnerable-packages", "block-severity", "immutable-tags", "max-snapshots"} {
		changed = changed || ch(n)
	}
	if !changed {
		return cmdutil.FlagErrorf("nothing to change: pass --plan, --storage-limit, --bandwidth-limit, --bandwidth-warn-only, --block-vulnerable-packages, --block-severity, --immutable-tags or --max-snapshots")
	}
	if ch("plan") && s.Plan == "" {
		return cmdutil.FlagErrorf("--plan must not be empty")
	}
	for _, l := range []struct {
		flag string
		val  string
		dst  **int64
	}{{"storage-limit", fl.storageLimit, &s.StorageLimit}, {"bandwidth-limit", fl.bandwidthLimit, &s.BandwidthLimit}} {
		if !ch(l.flag) {
			continue
		}
		n, err := humanize.ParseBytes(l.val)
		if err != nil || n > 1<<62 {
			return cmdutil.FlagErrorf("--%s %q is not a size like 200GB, 2TB or 512MiB", l.flag, l.val)
		}
		v := int64(n)
		*l.dst = &v
	}
	if ch("bandwidth-warn-only") {
		s.BandwidthWarnOnly = &fl.warnOnly
	}
	if ch("block-vulnerable-packages") {
		s.BlockVulnerable = &fl.block
	}
	if ch("no-block-vulnerable-packages") {
		off := !fl.noBlock
		s.BlockVulnerable = &off
	}
	if ch("block-severity") {
		switch fl.severity {
		case "", "low", "moderate", "medium", "high", "critical":
		default:
			return cmdutil.FlagErrorf("--block-severity must be low, moderate, high or critical (or \"\" for any)")
		}
		s.BlockSeverity = &fl.severity
	}
	if ch("immutable-tags") {
		s.ImmutableTags = &fl.immutableTags
	}
	if ch("max-snapshots") {
		if fl.maxSnapshots < 0 {
			return cmdutil.FlagErrorf("--max-snapshots must be 0 (keep all) or more")
		}
		s.MaxSnapshots = &fl.maxSnapshots
	}
	return nil
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
