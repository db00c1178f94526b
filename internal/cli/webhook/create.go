package webhook

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/daemon/webhooks"
)

// CreateOptions are the inputs of `drok webhook create`.
type CreateOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	Target
	URL    string
	Events []string
	Secret string
	JSON   bool
}

// NewCmdCreate returns `drok webhook create`.
func NewCmdCreate(f *cmdutil.Factory, runF func(*CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{IO: f.IOStreams, Client: f.Client, Target: Target{DefaultOrg: f.DefaultOrg}}
	cmd := &cobra.Command{
		Use:   "create [REPO] [--org ORG] --url URL [--events EVENT,...] [--secret SECRET]",
		Short: "Create a webhook",
		Long: `Create a webhook on a repository (REPO of --org or the default
organisation, or ORG/REPO) or, without REPO, on the organisation.

Without --events the webhook receives every event. Without --secret the
server generates one. The secret signs every delivery and is shown once,
now: store it where your receiver can read it.

The URL must be http or https, without a user name or password. The
server refuses link-local and cloud metadata addresses, and loopback and
private addresses unless it runs with --webhook-allow-private.

On a pipe the output is "field:<TAB>value" lines: id, url, events, secret.`,
		Example: `  drok webhook create web --org acme --url https://ci.example.test/drok --events package:published,package:yanked
  drok webhook create acme/web --url https://ci.example.test/drok
  drok webhook create --org acme --url https://chat.example.test/hooks/drok --secret "$SECRET" --json`,
		Args: targetArgs(0, "[REPO]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			if _, err := opts.resolve(args, 0); err != nil {
				return err
			}
			if opts.URL == "" {
				return cmdutil.FlagErrorf("--url is required")
			}
			if cmd.Flags().Changed("events") {
				events, err := webhooks.ParseEvents(opts.Events)
				if err != nil {
					return cmdutil.FlagErrorf("invalid --events: %s", strings.TrimPrefix(err.Error(), "invalid: "))
				}
				opts.Events = events
			}
			if runF != nil {
				return runF(opts)
			}
			return createRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.URL, "url", "", "URL that receives the deliveries")
	cmd.Flags().StringSliceVar(&opts.Events, "events", nil, "Comma-separated events (default: all)")
	cmd.Flags().StringVar(&opts.Secret, "secret", "", "Signing secret (default: generated)")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	_ = cmd.RegisterFlagCompletionFunc("events", cobra.FixedCompletions(webhooks.Events, cobra.ShellCompDirectiveNoFileComp))
	opts.addOrgFlag(cmd)
	return cmd
}

func createRun(opts *CreateOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	h, err := c.CreateHook(opts.Ctx, opts.Org, opts.Repo, client.CreateHook{URL: opts.URL, Events: opts.Events, Secret: opts.Secret})
	if err != nil {
		return fmt.Errorf("create webhook on %s: %w", &opts.Target, err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, h)
	}
	if err := iostreams.PrintFields(opts.IO, []iostreams.Field{
		{Label: "ID", Value: h.ID},
		{Label: "URL", Value: h.URL},
		{Label: "Events", Value: strings.Join(h.Events, ",")},
		{Label: "Secret", Value: h.Secret},
	}); err != nil {
		return err
	}
	cmdutil.Success(opts.IO, "Created webhook %s on %s; copy its secret now, it will not be shown again", h.ID, &opts.Target)
	return nil
}
