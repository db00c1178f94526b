// Package advisory implements `drok advisory`: importing and inspecting
// the OSV security advisories the server matches versions against.
package advisory

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	osv "github.com/drok-dev/drok/internal/advisory"
	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// NewCmdAdvisory returns the `drok advisory` command group.
func NewCmdAdvisory(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "advisory <command>",
		Short: "Import and inspect security advisories",
		Long: `The server keeps a database of security advisories in the OSV format (the
format of the GitHub Advisory Database, PyPA, RustSec and the OSV.dev
exports). Every version of every package is matched against it at publish
time and again whenever advisories change, with each ecosystem's own
version order; flagged versions show in drok package view and drok package
audit, and organisations can block them (drok org edit ORG
--block-vulnerable-packages). The daemon can also watch a directory:
drok serve --advisory-dir DIR.`,
	}
	cmdutil.MakeGroup(cmd)
	cmd.AddCommand(NewCmdImport(f, nil), NewCmdList(f, nil), NewCmdView(f, nil))
	return cmd
}

// ImportOptions are the inputs of `drok advisory import`.
type ImportOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	Paths []string
	Batch int
	JSON  bool
}

// NewCmdImport returns `drok advisory import`.
func NewCmdImport(f *cmdutil.Factory, runF func(*ImportOptions) error) *cobra.Command {
	opts := &ImportOptions{IO: f.IOStreams, Client: f.Client, Batch: 500}
	cmd := &cobra.Command{
		Use:   "import FILE|DIR|ZIP...",
		Short: "Import OSV advisories (server administrators)",
		Long: `Import OSV advisories from JSON files (one record or an array of records),
directories (every *.json and *.zip below them) or .zip exports. Every record
is validated before anything is sent; records replace stored ones with the
same id. Records for ecosystems drok does not serve are kept but match
nothing.`,
		Example: `  drok advisory import ./advisories/
  drok advisory import npm-all.zip`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmdutil.FlagErrorf("at least one FILE, DIR or ZIP required")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			opts.Paths = args
			if runF != nil {
				return runF(opts)
			}
			return importRun(opts)
		},
	}
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func importRun(opts *ImportOptions) error {
	var docs []json.RawMessage
	for _, p := range opts.Paths {
		srcs, err := osv.ReadPath(p)
		if err != nil {
			return fmt.Errorf("read advisories: %w", err)
		}
		for _, s := range srcs {
			docs = append(docs, s.Raw)
		}
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var total client.AdvisoryImportResult
	for start := 0; start < len(docs) || start == 0; start += opts.Batch {
		end := min(start+opts.Batch, len(docs))
		res, err := c.ImportAdvisories(opts.Ctx, client.AdvisoryImport{Advisories: docs[start:end]})
		if err != nil {
			return fmt.Errorf("import advisories: %w", err)
		}
		total.Imported += res.Imported
		total.Updated += res.Updated
		total.Unchanged += res.Unchanged
		total.Flagged += res.Flagged
		total.Cleared += res.Cleared
		total.Ignored += res.Ignored
		if end >= len(docs) {
			break
		}
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, total)
	}
	cmdutil.Success(opts.IO, "Imported %d advisories (%d new, %d updated, %d unchanged); %d versions newly flagged, %d cleared",
		len(docs), total.Imported, total.Updated, total.Unchanged, total.Flagged, total.Cleared)
	return nil
}

// ListOptions are the inputs of `drok advisory list`.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	Ecosystem string
	Package   string
	JSON      bool
}

// NewCmdList returns `drok advisory list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:     "list [-e ECOSYSTEM] [--package NAME]",
		Aliases: []string{"ls"},
		Short:   "List stored advisories",
		Long: `List stored advisories, optionally only those naming a package.

On a pipe each line is: ID, MODIFIED, PACKAGES (comma-separated
ecosystem/name), SUMMARY, tab-separated.`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return listRun(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Ecosystem, "ecosystem", "e", "", "Only advisories naming a package of this ecosystem")
	cmd.Flags().StringVar(&opts.Package, "package", "", "Only advisories naming this package")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func listRun(opts *ListOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	list, err := c.Advisories(opts.Ctx, opts.Ecosystem, opts.Package)
	if err != nil {
		return fmt.Errorf("list advisories: %w", err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, list)
	}
	t := iostreams.NewTablePrinter(opts.IO, "ID", "MODIFIED", "PACKAGES", "SUMMARY")
	for _, a := range list {
		summary := a.Summary
		if a.Withdrawn {
			summary = "(withdrawn) " + summary
		}
		t.AddRow(a.ID, cmdutil.FormatTime(opts.IO, a.Modified), strings.Join(a.Packages, ","), summary)
	}
	return t.Render()
}

// ViewOptions are the inputs of `drok advisory view`.
type ViewOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	ID string
}

// NewCmdView returns `drok advisory view`.
func NewCmdView(f *cmdutil.Factory, runF func(*ViewOptions) error) *cobra.Command {
	opts := &ViewOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "view ID",
		Short: "Print a stored advisory (OSV JSON)",
		Args:  cmdutil.ExactArgs(1, "advisory id required"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			opts.ID = args[0]
			if runF != nil {
				return runF(opts)
			}
			c, err := opts.Client()
			if err != nil {
				return err
			}
			a, err := c.Advisory(opts.Ctx, opts.ID)
			if err != nil {
				return fmt.Errorf("view advisory %s: %w", opts.ID, err)
			}
			return cmdutil.PrintJSON(opts.IO, a)
		},
	}
	return cmd
}
