// Package org implements `drok org`: organisations, their members and
// settings.
package org

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// NewCmdOrg returns the `drok org` command group.
func NewCmdOrg(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "org <command>",
		Short: "Manage organisations",
		Long:  "Organisations own repositories and packages; their members publish.",
	}
	cmdutil.MakeGroup(cmd)
	member := &cobra.Command{
		Use:   "member <command>",
		Short: "Manage the members of an organisation",
	}
	cmdutil.MakeGroup(member)
	member.AddCommand(NewCmdMemberAdd(f, nil), NewCmdMemberRemove(f, nil))
	cmd.AddCommand(NewCmdCreate(f, nil), NewCmdView(f, nil), NewCmdList(f, nil), NewCmdEdit(f, nil), member)
	return cmd
}

// printOrg prints the detail view of an organisation.
func printOrg(ios *iostreams.IOStreams, o client.Org) error {
	plan := o.Settings.Plan
	if o.Usage != nil {
		plan = o.Usage.Plan
	}
	fields := []iostreams.Field{
		{Label: "Name", Value: o.Name},
		{Label: "Plan", Value: plan},
		{Label: "Created", Value: cmdutil.FormatTime(ios, o.Created)},
		{Label: "Repos", Value: strconv.Itoa(o.Repos)},
		{Label: "Packages", Value: strconv.Itoa(o.Packages)},
	}
	fields = append(fields, policyFields(o.Settings)...)
	if !ios.IsStdoutTTY() {
		if u := o.Usage; u != nil {
			fields = append(fields,
				iostreams.Row("storage", strconv.FormatInt(u.StorageUsed, 10), strconv.FormatInt(u.StorageLimit, 10)),
				iostreams.Row("bandwidth", strconv.FormatInt(u.BandwidthUsed, 10), strconv.FormatInt(u.BandwidthLimit, 10), u.Month))
		}
		for _, m := range o.Members {
			fields = append(fields, iostreams.Row("member", m.User, m.Role))
		}
		return iostreams.PrintFields(ios, fields)
	}
	if u := o.Usage; u != nil {
		fields = append(fields,
			iostreams.Field{Label: "Storage", Value: usageBar(ios, u.StorageUsed, u.StorageLimit)},
			iostreams.Field{Label: "Bandwidth", Value: usageBar(ios, u.BandwidthUsed, u.BandwidthLimit) +
				ios.ColorScheme().Muted(" this month, resets "+u.Reset.Format("2006-01-02"))})
	}
	if err := iostreams.PrintFields(ios, fields); err != nil {
		return err
	}
	fmt.Fprintf(ios.Out, "\n%s\n", ios.ColorScheme().Bold(cmdutil.Plural(len(o.Members), "member")))
	t := iostreams.NewTablePrinter(ios, "USER", "ROLE")
	for _, m := range o.Members {
		t.AddRow(m.User, m.Role)
	}
	return t.Render()
}

// policyFields lists the settings that differ from the defaults.
func policyFields(s client.OrgSettings) []iostreams.Field {
	var out []iostreams.Field
	if s.BlockVulnerable != nil && *s.BlockVulnerable {
		v := "blocked"
		if s.BlockSeverity != nil && *s.BlockSeverity != "" {
			v += " (" + *s.BlockSeverity + " and above)"
		}
		out = append(out, iostreams.Field{Label: "Vulnerable versions", Value: v})
	}
	if s.BandwidthWarnOnly != nil && *s.BandwidthWarnOnly {
		out = append(out, iostreams.Field{Label: "Over bandwidth", Value: "warn only"})
	}
	if s.ImmutableTags != nil && *s.ImmutableTags {
		out = append(out, iostreams.Field{Label: "Image tags", Value: "immutable"})
	}
	if s.MaxSnapshots != nil {
		out = append(out, iostreams.Field{Label: "Max snapshots", Value: strconv.Itoa(*s.MaxSnapshots)})
	}
	return out
}

// usageBar renders "[████░░░░] 12.3 MB of 500 MB (2%)", red from 90%.
func usageBar(ios *iostreams.IOStreams, used, limit int64) string {
	if limit <= 0 {
		return iostreams.FormatBytes(used) + " (unlimited)"
	}
	const width = 20
	frac := float64(used) / float64(limit)
	filled := min(int(frac*width+0.5), width)
	bar := strings.Repeat("█", filled) + strings.Repeat("░", width-filled)
	cs := ios.ColorScheme()
	switch {
	case frac >= 0.9:
		bar = cs.Red(bar)
	case frac >= 0.75:
		bar = cs.Yellow(bar)
	default:
		bar = cs.Green(bar)
	}
	return fmt.Sprintf("%s %s of %s (%.0f%%)", bar, iostreams.FormatBytes(used), iostreams.FormatBytes(limit), frac*100)
}
