// Package repo implements `drok repo`: repositories, their collaborators
// and linked packages.
package repo

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// Visibilities of a repository.
var visibilities = []string{"private", "internal", "public"}

// Collaborator permissions.
var permissions = []string{"read", "write", "admin"}

// NewCmdRepo returns the `drok repo` command group.
func NewCmdRepo(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "repo <command>",
		Short: "Manage repositories",
		Long: `Repositories group packages inside an organisation and decide who may read
them: private (collaborators and owners), internal (every member of the
organisation) or public (everyone, anonymous users included).`,
	}
	cmdutil.MakeGroup(cmd)
	collab := &cobra.Command{
		Use:   "collaborator <command>",
		Short: "Manage the collaborators of a repository",
	}
	cmdutil.MakeGroup(collab)
	collab.AddCommand(NewCmdCollaboratorAdd(f, nil), NewCmdCollaboratorRemove(f, nil))
	cmd.AddCommand(NewCmdCreate(f, nil), NewCmdEdit(f, nil), NewCmdList(f, nil), NewCmdView(f, nil),
		NewCmdPackages(f, nil), collab)
	return cmd
}

func addVisibilityFlag(cmd *cobra.Command, target *string) {
	cmd.Flags().StringVar(target, "visibility", "", "Visibility: private, internal or public")
	_ = cmd.RegisterFlagCompletionFunc("visibility", cobra.FixedCompletions(visibilities, cobra.ShellCompDirectiveNoFileComp))
}

func printRepo(ios *iostreams.IOStreams, r client.Repo) error {
	fields := []iostreams.Field{
		{Label: "Name", Value: r.Org + "/" + r.Name},
		{Label: "Visibility", Value: r.Visibility},
		{Label: "Description", Value: r.Description},
		{Label: "Created", Value: cmdutil.FormatTime(ios, r.Created)},
	}
	if !ios.IsStdoutTTY() {
		for _, c := range r.Collaborators {
			fields = append(fields, iostreams.Row("collaborator", c.User, c.Permission))
		}
		return iostreams.PrintFields(ios, fields)
	}
	if err := iostreams.PrintFields(ios, fields); err != nil {
		return err
	}
	if len(r.Collaborators) == 0 {
		return nil
	}
	fmt.Fprintf(ios.Out, "\n%s\n", ios.ColorScheme().Bold(cmdutil.Plural(len(r.Collaborators), "collaborator")))
	t := iostreams.NewTablePrinter(ios, "USER", "PERMISSION")
	for _, c := range r.Collaborators {
		t.AddRow(c.User, c.Permission)
	}
	return t.Render()
}
