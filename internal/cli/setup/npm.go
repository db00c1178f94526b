package setup

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
)

// npmTokenPlaceholder is what --print writes instead of the token: npm
// expands environment variables in .npmrc.
const npmTokenPlaceholder = "${DROK_TOKEN}"

// NpmOptions are the inputs of `drok setup npm`.
type NpmOptions struct {
	// CommonOptions.HomeDir locates ~/.npmrc.
	CommonOptions
	// WorkDir locates ./.npmrc.
	WorkDir func() (string, error)

	Scope   string
	Project bool
}

// NewCmdNpm returns `drok setup npm`.
func NewCmdNpm(f *cmdutil.Factory, runF func(*NpmOptions) error) *cobra.Command {
	opts := &NpmOptions{CommonOptions: newCommonOptions(f), WorkDir: os.Getwd}
	cmd := &cobra.Command{
		Use:   "npm [--org ORG] [--scope @SCOPE] [--project] [--print]",
		Short: "Point npm at an organisation's npm registry",
		Long: `Write two lines to ~/.npmrc (or ./.npmrc with --project, mode 0600):

  registry=SERVER/api/v1/packages/npm/ORG/
  //HOST:PORT/api/v1/packages/npm/ORG/:_authToken=TOKEN

With --scope @acme the first line is @acme:registry=... so that only that
scope comes from drok. Lines already there for the same keys are replaced;
everything else is kept.

--print writes the lines to standard output instead, with the token as
${DROK_TOKEN}, which npm reads from the environment (for CI).`,
		Example: `  drok setup npm --org acme
  drok setup npm --org acme --scope @acme --project
  drok setup npm --org acme --print >> .npmrc`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Scope != "" {
				if !strings.HasPrefix(opts.Scope, "@") {
					opts.Scope = "@" + opts.Scope
				}
				if len(opts.Scope) < 2 || strings.ContainsAny(opts.Scope[1:], "@/ =") {
					return cmdutil.FlagErrorf("invalid --scope %q: want @name", opts.Scope)
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return npmRun(opts)
		},
	}
	opts.addFlags(cmd, "Print the lines instead of writing them")
	cmd.Flags().StringVar(&opts.Scope, "scope", "", "Use drok only for this npm scope (@scope)")
	cmd.Flags().BoolVar(&opts.Project, "project", false, "Write ./.npmrc instead of ~/.npmrc")
	return cmd
}

// NpmEntries returns the .npmrc lines for target; scope may be empty.
func NpmEntries(t Target, scope string) ([]NpmrcEntry, error) {
	registry := t.RegistryURL("npm")
	u, err := url.Parse(registry)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("invalid server URL %q", t.Server)
	}
	key := "registry"
	if scope != "" {
		key = scope + ":registry"
	}
	return []NpmrcEntry{
		{Key: key, Value: registry},
		{Key: "//" + u.Host + u.EscapedPath() + ":_authToken", Value: t.Token},
	}, nil
}

func npmRun(opts *NpmOptions) error {
	t, err := opts.target()
	if err != nil {
		return err
	}
	if opts.Print {
		t.Token = npmTokenPlaceholder
		entries, err := NpmEntries(t, opts.Scope)
		if err != nil {
			return err
		}
		for _, e := range entries {
			fmt.Fprintln(opts.IO.Out, e)
		}
		opts.hintf("npm reads the token from the DROK_TOKEN environment variable with these lines.")
		return nil
	}
	if err := t.requireToken(); err != nil {
		return err
	}
	entries, err := NpmEntries(t, opts.Scope)
	if err != nil {
		return err
	}
	dirOf := opts.HomeDir
	if opts.Project {
		dirOf = opts.WorkDir
	}
	dir, err := dirOf()
	if err != nil {
		return fmt.Errorf("locate .npmrc: %w", err)
	}
	path := filepath.Join(dir, ".npmrc")
	existing, err := readConfigFile(path)
	if err != nil {
		return err
	}
	if err := writeConfigFile(path, MergeNpmrc(existing, entries)); err != nil {
		return err
	}
	what := "registry"
	if opts.Scope != "" {
		what = opts.Scope + " registry"
	}
	cmdutil.Success(opts.IO, "Wrote the npm %s %s and your token to %s", what, t.RegistryURL("npm"), displayPath(path))
	if opts.Project {
		cmdutil.Warn(opts.IO, "%s now holds your token: keep it out of version control (add .npmrc to .gitignore)", path)
	}
	return nil
}
