package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/advisory"
	"github.com/drok-dev/drok/internal/cli/auth"
	"github.com/drok-dev/drok/internal/cli/check"
	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/completion"
	"github.com/drok-dev/drok/internal/cli/configcmd"
	"github.com/drok-dev/drok/internal/cli/daemoncmd"
	"github.com/drok-dev/drok/internal/cli/gc"
	"github.com/drok-dev/drok/internal/cli/org"
	"github.com/drok-dev/drok/internal/cli/pkgcmd"
	"github.com/drok-dev/drok/internal/cli/repo"
	"github.com/drok-dev/drok/internal/cli/serve"
	"github.com/drok-dev/drok/internal/cli/setup"
	"github.com/drok-dev/drok/internal/cli/token"
	"github.com/drok-dev/drok/internal/cli/user"
	"github.com/drok-dev/drok/internal/cli/webhook"
	"github.com/drok-dev/drok/internal/daemon"
)

// NewCmdRoot returns the drok command tree.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "drok <command>",
		Short: "A self-hostable package registry",
		Long: `drok is a self-hostable package registry for npm, PyPI, Cargo, OCI images,
Maven and NuGet in one binary. drok serve runs the registry daemon; every
other command is a client of its REST API.

Data goes to standard output, hints and progress to standard error. On a
terminal lists are tables; on a pipe they are tab-separated lines with a
stable column order, and --json prints JSON.

Exit codes: 0 success, 1 error, 2 usage error, 4 authentication needed or
rejected.`,
		Example: `  drok serve --detach
  drok login --with-token < ~/.local/share/drok/initial-admin-token
  drok org create acme
  drok setup npm --org acme`,
		Version:           daemon.Version,
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.SetVersionTemplate("drok {{.Version}}\n")
	// Command groups run (to reject unknown subcommands) but are used
	// through their subcommands: show only "drok org [command]".
	root.SetUsageTemplate(strings.Replace(root.UsageTemplate(),
		"{{if .Runnable}}", "{{if and .Runnable (not .HasAvailableSubCommands)}}", 1))
	root.PersistentFlags().String("server", "", "drok server URL (default: DROK_SERVER, the configured server, or http://127.0.0.1:5873)")
	f.ServerFlag = root.PersistentFlags().Lookup("server")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cmdutil.FlagErrorWrap(err) })
	root.SetOut(f.IOStreams.Out)
	root.SetErr(f.IOStreams.ErrOut)

	root.AddGroup(
		&cobra.Group{ID: "daemon", Title: "Running a server:"},
		&cobra.Group{ID: "registry", Title: "Using a server:"},
		&cobra.Group{ID: "other", Title: "Other commands:"},
	)
	add := func(group string, cmds ...*cobra.Command) {
		for _, c := range cmds {
			c.GroupID = group
			root.AddCommand(c)
		}
	}
	add("daemon", serve.NewCmdServe(f, nil), daemoncmd.NewCmdDaemon(f), user.NewCmdUser(f), gc.NewCmdGC(f, nil), check.NewCmdCheck(f, nil))
	add("registry", auth.NewCmdLogin(f, nil), auth.NewCmdLogout(f, nil), auth.NewCmdAuth(f),
		org.NewCmdOrg(f), repo.NewCmdRepo(f), pkgcmd.NewCmdPackage(f), token.NewCmdToken(f), webhook.NewCmdWebhook(f), setup.NewCmdSetup(f), advisory.NewCmdAdvisory(f))
	add("other", configcmd.NewCmdConfig(f), completion.NewCmdCompletion(f, nil))
	root.SetHelpCommandGroupID("other")
	return root
}
