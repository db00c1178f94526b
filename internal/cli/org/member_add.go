package org

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// Organisation roles.
var roles = []string{"owner", "member"}

// MemberAddOptions are the inputs of `drok org member add`.
type MemberAddOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	Org  string
	User string
	Role string
	JSON bool
}

// NewCmdMemberAdd returns `drok org member add`.
func NewCmdMemberAdd(f *cmdutil.Factory, runF func(*MemberAddOptions) error) *cobra.Command {
	opts := &MemberAddOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "add ORG USER [--role owner|member]",
		Short: "Add a member or change their role",
		Args:  cmdutil.ExactArgs(2, "organisation and user required: drok org member add ORG USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			opts.Org, opts.User = args[0], args[1]
			if err := cmdutil.OneOf("role", opts.Role, roles...); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return memberAddRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Role, "role", "member", "Role: owner or member")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	_ = cmd.RegisterFlagCompletionFunc("role", cobra.FixedCompletions(roles, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func memberAddRun(opts *MemberAddOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	o, err := c.SetMember(opts.Ctx, opts.Org, opts.User, opts.Role)
	if err != nil {
		return fmt.Errorf("add %s to %s: %w", opts.User, opts.Org, err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, o)
	}
	cmdutil.Success(opts.IO, "Added %s to %s as %s", opts.User, opts.Org, opts.Role)
	return nil
}
