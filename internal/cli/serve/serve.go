// Package serve implements `drok serve`: run the registry daemon in the
// foreground, or start it in the background with --detach.
package serve

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/config"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon"
)

// ServeOptions are the inputs of `drok serve`.
type ServeOptions struct {
	IO         *iostreams.IOStreams
	Executable func() (string, error)
	// Run runs a daemon until ctx is cancelled (daemon.Run).
	Run func(ctx context.Context, cfg daemon.Config) error
	Ctx context.Context

	Addr    string
	DataDir string
	BaseURL string
	Detach  bool
	// DefaultPlan is the plan of organisations without one.
	DefaultPlan string
	// AdvisoryDir is an OSV directory the daemon imports and watches.
	AdvisoryDir string
	// WebhookAllowPrivate lets webhooks target loopback and private addresses.
	WebhookAllowPrivate bool
	// StartTimeout bounds how long --detach waits for the daemon to be healthy.
	StartTimeout time.Duration
}

// NewCmdServe returns `drok serve`.
func NewCmdServe(f *cmdutil.Factory, runF func(*ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{IO: f.IOStreams, Executable: f.Executable, Run: daemon.Run, StartTimeout: 15 * time.Second}
	cmd := &cobra.Command{
		Use:   "serve [--addr HOST:PORT] [--data DIR] [--base-url URL] [--webhook-allow-private] [--detach]",
		Short: "Run the drok registry daemon",
		Long: `Run the drok registry daemon: npm, PyPI, Cargo, OCI, Maven and NuGet from
one data directory, and the REST API every other drok command uses.

Settings come from the flags, else the environment (DROK_ADDR, DROK_DATA,
DROK_BASE_URL, DROK_DEFAULT_PLAN, DROK_ADVISORY_DIR,
DROK_WEBHOOK_ALLOW_PRIVATE), else the configuration file (addr, data,
base_url, default_plan, advisory_dir, webhook_allow_private), else the
defaults: 127.0.0.1:5873 and $XDG_DATA_HOME/drok (~/.local/share/drok).

--default-plan sets the plan of organisations that have none (free unless
set). --advisory-dir names a directory of OSV advisories (JSON files or
.zip exports) imported at start and again whenever its files change
(checked every minute).

Webhooks never connect to link-local or cloud metadata addresses. Loopback,
private (10/8, 172.16/12, 192.168/16, fc00::/7) and CGNAT (100.64/10)
targets are refused too unless --webhook-allow-private is set: allow them
only when the people who create webhooks may reach your internal network.

On a fresh data directory the daemon creates the user admin and writes an
admin token to DATA/initial-admin-token (mode 0600); log in with it:
drok login --with-token < DATA/initial-admin-token.

In the foreground the daemon stops gracefully on Ctrl-C or SIGTERM. With
--detach drok starts it in the background (output appended to
DATA/drok.log), waits until it answers, and prints its URL; manage it with
drok daemon status|stop|logs. --addr 127.0.0.1:0 picks a free port.

Unless GOGC is set in the environment, the daemon lets its heap grow by at
least 32 MiB between garbage collections (GOGC=100 above a 32 MiB live
heap); GOGC and GOMEMLIMIT are honoured as in any Go program.`,
		Example: `  drok serve
  drok serve --detach --data /srv/drok --addr 0.0.0.0:5873 --base-url https://drok.example.com`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			cfg.BindFlag(config.KeyAddr, cmd.Flags().Lookup("addr"))
			cfg.BindFlag(config.KeyData, cmd.Flags().Lookup("data"))
			cfg.BindFlag(config.KeyBaseURL, cmd.Flags().Lookup("base-url"))
			cfg.BindFlag(config.KeyDefaultPlan, cmd.Flags().Lookup("default-plan"))
			cfg.BindFlag(config.KeyAdvisoryDir, cmd.Flags().Lookup("advisory-dir"))
			cfg.BindFlag(config.KeyWebhookAllowPrivate, cmd.Flags().Lookup("webhook-allow-private"))
			opts.Addr = cfg.Get(config.KeyAddr)
			opts.BaseURL = cfg.Get(config.KeyBaseURL)
			opts.DefaultPlan = cfg.Get(config.KeyDefaultPlan)
			if opts.AdvisoryDir = cfg.Get(config.KeyAdvisoryDir); opts.AdvisoryDir != "" {
				if opts.AdvisoryDir, err = filepath.Abs(opts.AdvisoryDir); err != nil {
					return fmt.Errorf("advisory directory: %w", err)
				}
			}
			if v := cfg.Get(config.KeyWebhookAllowPrivate); v != "" {
				if opts.WebhookAllowPrivate, err = strconv.ParseBool(v); err != nil {
					return cmdutil.FlagErrorf("invalid webhook_allow_private %q: want true or false", v)
				}
			}
			if opts.DataDir, err = cfg.DataDir(); err != nil {
				return err
			}
			if opts.DataDir, err = filepath.Abs(opts.DataDir); err != nil {
				return fmt.Errorf("data directory: %w", err)
			}
			if runF != nil {
				return runF(opts)
			}
			if opts.Detach {
				return detachRun(opts)
			}
			return serveRun(opts)
		},
	}
	cmd.Flags().String("addr", "", "Listen address HOST:PORT (default 127.0.0.1:5873)")
	cmd.Flags().String("data", "", "Data directory (default $XDG_DATA_HOME/drok)")
	cmd.Flags().String("base-url", "", "Externally visible URL, when behind a proxy (default http://ADDR)")
	cmd.Flags().BoolVar(&opts.Detach, "detach", false, "Start the daemon in the background and print its URL")
	cmd.Flags().String("default-plan", "", "Plan of organisations without one: free, pro, organization, enterprise (default free)")
	cmd.Flags().String("advisory-dir", "", "Directory of OSV advisories (JSON or .zip) to import and watch for changes")
	cmd.Flags().Bool("webhook-allow-private", false, "Let webhooks target loopback and private network addresses")
	_ = cmd.MarkFlagDirname("data")
	return cmd
}

func serveRun(opts *ServeOptions) error {
	ctx, stop := signal.NotifyContext(opts.Ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := opts.Run(ctx, daemon.Config{
		Addr:        opts.Addr,
		DataDir:     opts.DataDir,
		BaseURL:     opts.BaseURL,
		Stderr:      opts.IO.ErrOut,
		DefaultPlan: opts.DefaultPlan,
		AdvisoryDir: opts.AdvisoryDir,

		WebhookAllowPrivate: opts.WebhookAllowPrivate,
	})
	if err != nil {
		return fmt.Errorf("drok serve: %w", err)
	}
	return nil
}
