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

// Target is the webhook owner every webhook command names: an
// organisation (--org or the configured default) and, for repository
// webhooks, a repository (REPO or ORG/REPO); per-hook commands add the
// webhook's ID.
type Target struct {
	DefaultOrg func(string) (string, error)

	Org  string
	Repo string // "" for an organisation webhook
	ID   string
}

// resolve takes the trailing n required arguments off args (returned)
// and resolves the optional REPO before them, with the --org value in
// t.Org, into t.Org and t.Repo.
func (t *Target) resolve(args []string, n int) ([]string, error) {
	arg := ""
	if len(args) > n {
		arg = args[0]
	}
	rest := args[len(args)-n:]
	if strings.Contains(arg, "/") {
		org, repo, err := cmdutil.ParseRepo(arg)
		if err == nil && t.Org != "" && t.Org != org {
			err = cmdutil.FlagErrorf("%s names organisation %s but --org is %s", arg, org, t.Org)
		}
		t.Org, t.Repo = org, repo
		return rest, err
	}
	org, err := t.DefaultOrg(t.Org)
	t.Org, t.Repo = org, arg
	return rest, err
}

// String renders ORG or ORG/REPO.
func (t *Target) String() string {
	if t.Repo == "" {
		return t.Org
	}
	return t.Org + "/" + t.Repo
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
func (t *Target) addOrgFlag(cmd *cobra.Command) {
	cmd.Flags().StringVar(&t.Org, "org", "", "Organisation (default: the org key of the configuration)")
}
