// Package webhook implements `drok webhook`: webhooks of organisations
// and repositories and their delivery logs.
package webhook

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/daemon/webhooks"
)

// NewCmdWebhook returns the `drok webhook` command group.
func NewCmdWebhook(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "webhook <command>",
		Aliases: []string{"hook"},
		Short:   "Manage webhooks",
		Long: `Webhooks send an HTTP POST to a URL of yours when a package is published,
yanked, unyanked, deleted or flagged vulnerable.

A repository webhook (ORG/REPO) receives the events of the packages linked
to that repository; an organisation webhook (ORG) receives the events of
every package of the organisation. Repository webhooks are managed by
repository admins and organisation owners, organisation webhooks by
owners.

Every delivery is signed: X-Drok-Signature-256 is "sha256=" and the hex
HMAC-SHA256 of the body keyed with the webhook's secret. Failed deliveries
are retried with exponential backoff for many hours. See docs/webhooks.md.

Events: ` + strings.Join(webhooks.Events, ", ") + `.`,
	}
	cmdutil.MakeGroup(cmd)
	cmd.AddCommand(NewCmdCreate(f, nil), NewCmdList(f, nil), NewCmdDelete(f, nil),
		NewCmdDeliveries(f, nil), NewCmdRedeliver(f, nil), NewCmdPing(f, nil))
	return cmd
}

// parseTarget splits ORG or ORG/REPO; repo is "" for an organisation.
func parseTarget(s string) (org, repo string, err error) {
	if !strings.Contains(s, "/") {
		if s == "" {
			return "", "", cmdutil.FlagErrorf("expected ORG or ORG/REPO")
		}
		return s, "", nil
	}
	return cmdutil.ParseRepo(s)
}

// target renders ORG or ORG/REPO.
func target(org, repo string) string {
	if repo == "" {
		return org
	}
	return org + "/" + repo
}

// targetArgs checks for n arguments, the first being ORG or ORG/REPO.
func targetArgs(n int, usage string) cobra.PositionalArgs {
	return cmdutil.ExactArgs(n, "arguments required: "+usage)
}
