package setup

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
)

// pypircServer is the twine repository name `drok setup pip` writes.
const pypircServer = "drok"

// PipOptions are the inputs of `drok setup pip`.
type PipOptions struct {
	// CommonOptions.HomeDir locates ~/.pypirc and, without
	// XDG_CONFIG_HOME, ~/.config.
	CommonOptions
	// Getenv reads XDG_CONFIG_HOME and VIRTUAL_ENV.
	Getenv func(string) string

	Extra bool
	Venv  bool
}

// NewCmdPip returns `drok setup pip`.
func NewCmdPip(f *cmdutil.Factory, runF func(*PipOptions) error) *cobra.Command {
	opts := &PipOptions{CommonOptions: newCommonOptions(f), Getenv: os.Getenv}
	cmd := &cobra.Command{
		Use:   "pip [--org ORG] [--extra-index] [--venv] [--print]",
		Short: "Point pip and twine at an organisation's Python index",
		Long: `Configure pip to install from the organisation's index and twine to
upload to it, with your token (HTTP Basic, user __token__):

  ~/.config/pip/pip.conf (or $VIRTUAL_ENV/pip.conf with --venv):
    [global]
    index-url = SERVER_WITH_TOKEN/api/v1/packages/pypi/ORG/simple/

  ~/.pypirc (mode 0600), then: twine upload -r drok dist/*
    [drok]
    repository = SERVER/api/v1/packages/pypi/ORG/
    username = __token__
    password = TOKEN

With --extra-index pip keeps its main index and uses drok as
extra-index-url. Other settings in both files are kept; running it again
replaces drok's lines.

--print writes shell exports instead (PIP_INDEX_URL, TWINE_REPOSITORY_URL,
TWINE_USERNAME, TWINE_PASSWORD) that read the token from $DROK_TOKEN, for
CI: eval "$(drok setup pip --org acme --print)".`,
		Example: `  drok setup pip --org acme
  drok setup pip --org acme --venv
  eval "$(drok setup pip --org acme --print)"`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return pipRun(opts)
		},
	}
	opts.addFlags(cmd, "Print shell exports instead of writing files")
	cmd.Flags().BoolVar(&opts.Extra, "extra-index", false, "Add drok as extra-index-url instead of replacing pip's index-url")
	cmd.Flags().BoolVar(&opts.Venv, "venv", false, "Write pip.conf into the active virtualenv ($VIRTUAL_ENV) instead of the user's")
	return cmd
}

// PipIndexURL is the simple index URL of the target with the token as
// Basic credentials (user __token__); without a token, none.
func PipIndexURL(t Target) (string, error) {
	u, err := url.Parse(t.RegistryURL("pypi") + "simple/")
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("invalid server URL %q", t.Server)
	}
	if t.Token != "" {
		u.User = url.UserPassword("__token__", t.Token)
	}
	return u.String(), nil
}

// PipConfEntries returns the [global] entries of pip.conf.
func PipConfEntries(t Target, extra bool) ([]IniEntry, error) {
	idx, err := PipIndexURL(t)
	if err != nil {
		return nil, err
	}
	key := "index-url"
	if extra {
		key = "extra-index-url"
	}
	return []IniEntry{{Key: key, Value: idx}}, nil
}

// MergePypirc returns ~/.pypirc content with a [drok] repository for
// target and "drok" listed in [distutils] index-servers (which twine
// requires); other servers and sections are kept.
func MergePypirc(existing []byte, t Target) []byte {
	servers := []string{"pypi", "testpypi"} // twine's defaults when the list is absent
	if v, ok := IniValue(existing, "distutils", "index-servers"); ok {
		servers = strings.Fields(v)
	}
	if !slices.Contains(servers, pypircServer) {
		servers = append(servers, pypircServer)
	}
	out := MergeIni(existing, "distutils", []IniEntry{{Key: "index-servers", Value: "\n" + strings.Join(servers, "\n")}})
	return MergeIni(out, pypircServer, []IniEntry{
		{Key: "repository", Value: t.RegistryURL("pypi")},
		{Key: "username", Value: "__token__"},
		{Key: "password", Value: t.Token},
	})
}

// pipConfPath returns where pip.conf is written: the virtualenv's, or the
// user's XDG location that pip reads on every platform.
func pipConfPath(opts *PipOptions) (string, error) {
	if opts.Venv {
		venv := opts.Getenv("VIRTUAL_ENV")
		if venv == "" {
			return "", cmdutil.FlagErrorf("--venv: no virtualenv is active (VIRTUAL_ENV is not set)")
		}
		return filepath.Join(venv, "pip.conf"), nil
	}
	if x := opts.Getenv("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "pip", "pip.conf"), nil
	}
	home, err := opts.HomeDir()
	if err != nil {
		return "", fmt.Errorf("locate pip.conf: %w", err)
	}
	return filepath.Join(home, ".config", "pip", "pip.conf"), nil
}

// mergeFile reads path (missing is empty), applies merge and writes the
// result with mode 0600, creating the directory.
func mergeFile(path string, merge func([]byte) []byte) error {
	existing, err := readConfigFile(path)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	return writeConfigFile(path, merge(existing))
}

func pipRun(opts *PipOptions) error {
	t, err := opts.target()
	if err != nil {
		return err
	}
	if opts.Print {
		idx, err := PipIndexURL(Target{Server: t.Server, Org: t.Org, Token: "__DROK_TOKEN__"})
		if err != nil {
			return err
		}
		idx = strings.Replace(idx, "__DROK_TOKEN__", "${DROK_TOKEN}", 1)
		pipVar := "PIP_INDEX_URL"
		if opts.Extra {
			pipVar = "PIP_EXTRA_INDEX_URL"
		}
		fmt.Fprintf(opts.IO.Out, "export %s=\"%s\"\n", pipVar, idx)
		fmt.Fprintf(opts.IO.Out, "export TWINE_REPOSITORY_URL=\"%s\"\n", t.RegistryURL("pypi"))
		fmt.Fprintln(opts.IO.Out, "export TWINE_USERNAME=__token__")
		fmt.Fprintln(opts.IO.Out, "export TWINE_PASSWORD=\"${DROK_TOKEN}\"")
		opts.hintf("These exports read the token from the DROK_TOKEN environment variable.")
		return nil
	}
	if err := t.requireToken(); err != nil {
		return err
	}
	entries, err := PipConfEntries(t, opts.Extra)
	if err != nil {
		return err
	}
	confPath, err := pipConfPath(opts)
	if err != nil {
		return err
	}
	home, err := opts.HomeDir()
	if err != nil {
		return fmt.Errorf("locate .pypirc: %w", err)
	}
	rcPath := filepath.Join(home, ".pypirc")
	if err := mergeFile(confPath, func(b []byte) []byte { return MergeIni(b, "global", entries) }); err != nil {
		return err
	}
	if err := mergeFile(rcPath, func(b []byte) []byte { return MergePypirc(b, t) }); err != nil {
		return err
	}
	index := t.RegistryURL("pypi") + "simple/"
	cmdutil.Success(opts.IO, "Wrote the pip index %s and your token to %s", index, displayPath(confPath))
	cmdutil.Success(opts.IO, "Wrote the twine repository %q to %s: twine upload -r %s dist/*", pypircServer, displayPath(rcPath), pypircServer)
	return nil
}
