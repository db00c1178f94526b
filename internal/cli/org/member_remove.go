package org

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// MemberRemoveOptions are the inputs of `drok org member remove`.
type MemberRemoveOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Ctx    context.Context

	Org  string
	User string
}

// NewCmdMemberRemove returns `drok org member remove`.
func NewCmdMemberRemove(f *cmdutil.Factory, runF func(*MemberRemoveOptions) error) *cobra.Command {
	opts := &MemberRemoveOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:     "remove ORG USER",
		Aliases: []string{"rm"},
		Short:   "Remove a member",
		Args:    cmdutil.ExactArgs(2, "organisation and user required: drok org member remove ORG USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			opts.Org, opts.User = args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			return memberRemoveRun(opts)
		},
	}
	return cmd
}

func memberRemoveRun(opts *MemberRemoveOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	if err := c.RemoveMember(opts.Ctx, opts.Org, opts.User); err != nil {
		return fmt.Errorf("remove %s from %s: %w", opts.User, opts.Org, err)
	}
	cmdutil.Success(opts.IO, "Removed %s from %s", opts.User, opts.Org)
	return nil
}
