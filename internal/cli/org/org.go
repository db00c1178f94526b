// Package org implements `drok org`: organisations, their members and
// settings.
package org

import (
	"fmt"
	"strconv"

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
	fields := []iostreams.Field{
		{Label: "Name", Value: o.Name},
		{Label: "Plan", Value: o.Settings.Plan},
		{Label: "Created", Value: cmdutil.FormatTime(ios, o.Created)},
		{Label: "Repos", Value: strconv.Itoa(o.Repos)},
		{Label: "Packages", Value: strconv.Itoa(o.Packages)},
	}
	if !ios.IsStdoutTTY() {
		for _, m := range o.Members {
			fields = append(fields, iostreams.Row("member", m.User, m.Role))
		}
		return iostreams.PrintFields(ios, fields)
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
