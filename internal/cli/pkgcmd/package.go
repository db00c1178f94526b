// Package pkgcmd implements `drok package`: list, inspect, yank, delete,
// link and publish packages of any ecosystem.
package pkgcmd

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// Ecosystems are the values of --ecosystem.
var Ecosystems = []string{"npm", "pypi", "cargo", "docker", "maven", "nuget"}

// NewCmdPackage returns the `drok package` command group.
func NewCmdPackage(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "package <command>",
		Aliases: []string{"pkg"},
		Short:   "Manage packages",
		Long: `List, inspect, yank, delete, link and publish packages.

Package commands work in one organisation: --org ORG, or the default set
with: drok config set org ORG. Versions are written NAME@VERSION; scoped npm
names keep their leading @ (@scope/name@1.2.3) and Maven names are
GROUP:ARTIFACT. Without --ecosystem (-e) drok looks the name up and uses
the one ecosystem that has it.`,
	}
	cmdutil.MakeGroup(cmd)
	cmd.AddCommand(NewCmdList(f, nil), NewCmdView(f, nil), NewCmdDelete(f, nil),
		NewCmdYank(f, nil), NewCmdUnyank(f, nil), NewCmdLink(f, nil), NewCmdPublish(f, nil), NewCmdAudit(f, nil))
	return cmd
}

// Target is the organisation and ecosystem flags every package command has.
type Target struct {
	Org       string
	Ecosystem string
}

func addTargetFlags(cmd *cobra.Command, t *Target) {
	cmd.Flags().StringVar(&t.Org, "org", "", "Organisation (default: the org key of the configuration)")
	cmd.Flags().StringVarP(&t.Ecosystem, "ecosystem", "e", "", "Ecosystem: "+strings.Join(Ecosystems, ", "))
	_ = cmd.RegisterFlagCompletionFunc("ecosystem", cobra.FixedCompletions(Ecosystems, cobra.ShellCompDirectiveNoFileComp))
}

func (t *Target) validate() error {
	if t.Ecosystem != "" && !slices.Contains(Ecosystems, t.Ecosystem) {
		return cmdutil.FlagErrorf("unknown ecosystem %q: want one of %s", t.Ecosystem, strings.Join(Ecosystems, ", "))
	}
	return nil
}

// PrintPackages prints a package list: a table on a terminal; on pipes
// ECOSYSTEM, NAME, LATEST, VISIBILITY, REPOSITORY, UPDATED tab-separated.
func PrintPackages(ios *iostreams.IOStreams, pkgs []client.Package) error {
	if len(pkgs) == 0 && ios.IsStdoutTTY() {
		fmt.Fprintln(ios.ErrOut, "No packages.")
		return nil
	}
	t := iostreams.NewTablePrinter(ios, "ECOSYSTEM", "NAME", "LATEST", "VISIBILITY", "REPOSITORY", "UPDATED")
	for _, p := range pkgs {
		t.AddRow(p.Ecosystem, p.Name, p.Latest, p.Visibility, p.Repository, cmdutil.FormatTime(ios, p.Updated))
	}
	return t.Render()
}

// State is deleted, yanked or active.
func State(v client.Version) string {
	switch {
	case v.Deleted:
		return "deleted"
	case v.Yanked:
		return "yanked"
	}
	return "active"
}

func printPackage(ios *iostreams.IOStreams, p client.Package) error {
	fields := []iostreams.Field{
		{Label: "Name", Value: p.Name},
		{Label: "Ecosystem", Value: p.Ecosystem},
		{Label: "Org", Value: p.Org},
		{Label: "Visibility", Value: p.Visibility},
		{Label: "Repository", Value: p.Repository},
		{Label: "Latest", Value: p.Latest},
		{Label: "Downloads", Value: strconv.FormatInt(p.Downloads, 10)},
		{Label: "Created", Value: cmdutil.FormatTime(ios, p.Created)},
		{Label: "Updated", Value: cmdutil.FormatTime(ios, p.Updated)},
	}
	tags := make([]string, 0, len(p.Tags))
	for tag := range p.Tags {
		tags = append(tags, tag)
	}
	slices.Sort(tags)
	if !ios.IsStdoutTTY() {
		for _, tag := range tags {
			fields = append(fields, iostreams.Row("tag", tag, p.Tags[tag]))
		}
		for _, v := range p.Versions {
			fields = append(fields, iostreams.Row("version",
				v.Version, cmdutil.FormatTime(ios, v.Published), State(v), strconv.FormatInt(v.Downloads, 10)))
		}
		for _, v := range p.Versions {
			fields = append(fields, advisoryRows(v)...)
		}
		return iostreams.PrintFields(ios, fields)
	}
	if len(tags) > 0 {
		pairs := make([]string, len(tags))
		for i, tag := range tags {
			pairs[i] = tag + "=" + p.Tags[tag]
		}
		fields = append(fields, iostreams.Field{Label: "Tags", Value: strings.Join(pairs, " ")})
	}
	if err := iostreams.PrintFields(ios, fields); err != nil {
		return err
	}
	fmt.Fprintf(ios.Out, "\n%s\n", ios.ColorScheme().Bold(cmdutil.Plural(len(p.Versions), "version")))
	t := iostreams.NewTablePrinter(ios, "VERSION", "PUBLISHED", "PUBLISHER", "DOWNLOADS", "STATE", "ADVISORIES")
	for _, v := range p.Versions {
		state := State(v)
		if v.YankReason != "" {
			state += ": " + v.YankReason
		}
		t.AddRow(v.Version, cmdutil.FormatTime(ios, v.Published), v.Publisher, strconv.FormatInt(v.Downloads, 10), state, advisorySummary(ios, v))
	}
	return t.Render()
}

func printVersion(ios *iostreams.IOStreams, p client.Package, v client.Version) error {
	fields := []iostreams.Field{
		{Label: "Name", Value: p.Name},
		{Label: "Version", Value: v.Version},
		{Label: "Ecosystem", Value: p.Ecosystem},
		{Label: "Org", Value: p.Org},
		{Label: "Published", Value: cmdutil.FormatTime(ios, v.Published)},
		{Label: "Publisher", Value: v.Publisher},
		{Label: "State", Value: State(v)},
		{Label: "Yank reason", Value: v.YankReason},
		{Label: "Downloads", Value: strconv.FormatInt(v.Downloads, 10)},
	}
	if !ios.IsStdoutTTY() {
		for _, f := range v.Files {
			fields = append(fields, iostreams.Row("file", f.Name, f.SHA256, strconv.FormatInt(f.Size, 10)))
		}
		fields = append(fields, advisoryRows(v)...)
		return iostreams.PrintFields(ios, fields)
	}
	if len(v.Advisories) > 0 {
		fields = append(fields, iostreams.Field{Label: "Advisories", Value: advisorySummary(ios, v)})
	}
	if err := iostreams.PrintFields(ios, fields); err != nil {
		return err
	}
	if len(v.Files) == 0 {
		return nil
	}
	fmt.Fprintf(ios.Out, "\n%s\n", ios.ColorScheme().Bold(cmdutil.Plural(len(v.Files), "file")))
	t := iostreams.NewTablePrinter(ios, "FILE", "SIZE", "SHA256")
	for _, f := range v.Files {
		t.AddRow(f.Name, iostreams.FormatBytes(f.Size), f.SHA256)
	}
	return t.Render()
}

// advisoryRows are the pipe lines "advisory:<TAB>VERSION<TAB>ID<TAB>SEVERITY<TAB>FIXED".
func advisoryRows(v client.Version) []iostreams.Field {
	var out []iostreams.Field
	for _, a := range v.Advisories {
		out = append(out, iostreams.Row("advisory", v.Version, a.ID, a.Severity, strings.Join(a.Fixed, ",")))
	}
	return out
}

// advisorySummary is "GHSA-… (high), OSV-… (low)" coloured by the worst
// severity, or "" when v has none.
func advisorySummary(ios *iostreams.IOStreams, v client.Version) string {
	if len(v.Advisories) == 0 {
		return ""
	}
	parts := make([]string, len(v.Advisories))
	for i, a := range v.Advisories {
		parts[i] = a.ID + " (" + a.Severity + ")"
		if len(a.Fixed) > 0 {
			parts[i] += " fixed in " + strings.Join(a.Fixed, ", ")
		}
	}
	return ios.ColorScheme().Red(strings.Join(parts, "; "))
}
