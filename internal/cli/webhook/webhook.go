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

A repository webhook (REPO, a repository of the organisation given with
--org or configured with drok config set org ORG; or ORG/REPO) receives the
events of the packages linked to that repository; an organisation webhook
(no REPO argument) receives the events of every package of the
organisation. Repository webhooks are managed by
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

// resolveTarget turns the optional REPO argument (a repository of the
// organisation from --org or the configured default, or ORG/REPO) into
// org and repo; repo is "" for an organisation webhook.
func resolveTarget(defaultOrg func(string) (string, error), orgFlag, arg string) (org, repo string, err error) {
	if strings.Contains(arg, "/") {
		org, repo, err = cmdutil.ParseRepo(arg)
		if err == nil && orgFlag != "" && orgFlag != org {
			err = cmdutil.FlagErrorf("%s names organisation %s but --org is %s", arg, org, orgFlag)
		}
		return org, repo, err
	}
	org, err = defaultOrg(orgFlag)
	return org, arg, err
}

// splitTarget takes the trailing n required arguments off args and
// resolves the optional REPO before them.
func splitTarget(defaultOrg func(string) (string, error), orgFlag string, args []string, n int) (org, repo string, rest []string, err error) {
	repoArg := ""
	if len(args) > n {
		repoArg = args[0]
	}
	org, repo, err = resolveTarget(defaultOrg, orgFlag, repoArg)
	return org, repo, args[len(args)-n:], err
}

// target renders ORG or ORG/REPO.
func target(org, repo string) string {
	if repo == "" {
		return org
	}
	return org + "/" + repo
}

// targetArgs accepts n required arguments after an optional REPO.
func targetArgs(n int, usage string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < n:
			return cmdutil.FlagErrorf("arguments required: %s", usage)
		case len(args) > n+1:
			return cmdutil.FlagErrorf("too many arguments; usage: %s", cmd.UseLine())
		}
		return nil
	}
}

// addOrgFlag registers --org.
func addOrgFlag(cmd *cobra.Command, org *string) {
	cmd.Flags().StringVar(org, "org", "", "Organisation (default: the org key of the configuration)")
}
