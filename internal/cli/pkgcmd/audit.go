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

// AuditOptions are the inputs of `drok package audit`.
type AuditOptions struct {
	IO         *iostreams.IOStreams
	Client     func() (*client.Client, error)
	DefaultOrg func(string) (string, error)
	Ctx        context.Context

	Target Target
	Name   string
	JSON   bool
}

// NewCmdAudit returns `drok package audit`.
func NewCmdAudit(f *cmdutil.Factory, runF func(*AuditOptions) error) *cobra.Command {
	opts := &AuditOptions{IO: f.IOStreams, Client: f.Client, DefaultOrg: f.DefaultOrg}
	cmd := &cobra.Command{
		Use:   "audit [NAME] [--org ORG] [-e ECOSYSTEM]",
		Short: "List versions flagged by security advisories",
		Long: `List the versions of an organisation's packages (or of one package) that
imported security advisories flag, with the advisory ids, severities and
the versions that fix them, and whether the organisation's policy blocks
their download. Exits 0 either way; use --json to script on the result.

On a pipe each line is: ECOSYSTEM, PACKAGE, VERSION, ADVISORY, SEVERITY,
FIXED (comma-separated), BLOCKED (true/false), tab-separated, one line per
advisory.`,
		Example: `  drok package audit --org acme
  drok package audit left-pad --org acme -e npm --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return cmdutil.FlagErrorf("too many arguments; see: %s --help", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			if len(args) == 1 {
				opts.Name = args[0]
			}
			if err := opts.Target.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return auditRun(opts)
		},
	}
	addTargetFlags(cmd, &opts.Target)
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func auditRun(opts *AuditOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	org, eco := "", opts.Target.Ecosystem
	if opts.Name != "" {
		ref, err := resolve(opts.Ctx, c, opts.DefaultOrg, opts.Target, opts.Name, "")
		if err != nil {
			return err
		}
		org, eco = ref.Org, ref.Ecosystem
	} else if org, err = opts.DefaultOrg(opts.Target.Org); err != nil {
		return err
	}
	entries, err := c.Audit(opts.Ctx, org, eco, opts.Name)
	if err != nil {
		return fmt.Errorf("audit %s: %w", org, err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, entries)
	}
	if len(entries) == 0 {
		if opts.IO.IsStdoutTTY() {
			cmdutil.Success(opts.IO, "No flagged versions in %s", org)
		}
		return nil
	}
	t := iostreams.NewTablePrinter(opts.IO, "ECOSYSTEM", "PACKAGE", "VERSION", "ADVISORY", "SEVERITY", "FIXED IN", "BLOCKED")
	for _, e := range entries {
		for _, a := range e.Advisories {
			blocked := "false"
			if e.Blocked {
				blocked = "true"
			}
			t.AddRow(e.Ecosystem, e.Package, e.Version, a.ID, a.Severity, strings.Join(a.Fixed, ","), blocked)
		}
	}
	return t.Render()
}
