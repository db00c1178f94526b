package token

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// CreateOptions are the inputs of `drok token create`.
type CreateOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	Name    string
	Scopes  []string
	Expires string
	JSON    bool
}

// NewCmdCreate returns `drok token create`.
func NewCmdCreate(f *cmdutil.Factory, runF func(*CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "create --name NAME [--scopes SCOPE,...] [--expires DURATION]",
		Short: "Create a personal access token",
		Long: `Create a personal access token and print its secret.

The secret is shown once and never again: store it now. --expires takes a
duration such as 30d, 12h, 2w or 90m; without it the token never expires.`,
		Example: `  drok token create --name ci --scopes package:read,package:write --expires 30d
  drok token create --name ci --json | jq -r .token`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			if opts.Name == "" {
				return cmdutil.FlagErrorf("--name is required")
			}
			if len(opts.Scopes) == 0 {
				return cmdutil.FlagErrorf("--scopes needs at least one scope")
			}
			if opts.Expires != "" {
				d, err := ParseExpiry(opts.Expires)
				if err != nil {
					return cmdutil.FlagErrorWrap(err)
				}
				opts.Expires = FormatExpiry(d)
			}
			if runF != nil {
				return runF(opts)
			}
			return createRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Name, "name", "", "Name of the token (what it is for)")
	cmd.Flags().StringSliceVar(&opts.Scopes, "scopes", []string{"package:read"}, "Comma-separated scopes")
	cmd.Flags().StringVar(&opts.Expires, "expires", "", "Lifetime such as 30d or 12h (default: never expires)")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	_ = cmd.RegisterFlagCompletionFunc("scopes", cobra.FixedCompletions(
		[]string{"package:read", "package:write", "admin"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func createRun(opts *CreateOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	tok, err := c.CreateToken(opts.Ctx, client.CreateToken{Name: opts.Name, Scopes: opts.Scopes, ExpiresIn: opts.Expires})
	if err != nil {
		return fmt.Errorf("create token %q: %w", opts.Name, err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, tok)
	}
	fmt.Fprintln(opts.IO.Out, tok.Secret)
	if opts.IO.IsStderrTTY() {
		cmdutil.Success(opts.IO, "Created token %s (%s); copy it now, it will not be shown again", tok.Name, tok.ID)
	}
	return nil
}

// ParseExpiry parses a token lifetime: an integer followed by m
// (minutes), h, d (days) or w (weeks), or any Go duration ("1h30m").
func ParseExpiry(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	units := map[byte]time.Duration{'m': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}
	var d time.Duration
	if len(s) >= 2 {
		if unit, ok := units[s[len(s)-1]]; ok {
			if n, err := strconv.ParseUint(s[:len(s)-1], 10, 32); err == nil {
				d = time.Duration(n) * unit
			}
		}
	}
	if d == 0 {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("invalid duration %q: use a number and a unit, such as 30d, 12h, 2w or 90m", s)
		}
	}
	if d < time.Minute {
		return 0, fmt.Errorf("invalid duration %q: a token must live at least one minute", s)
	}
	return d, nil
}

// FormatExpiry renders d in the largest whole unit of days, hours or
// minutes the server understands ("30d", "12h", "90m"); sub-minute
// remainders are dropped.
func FormatExpiry(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	default:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
}
