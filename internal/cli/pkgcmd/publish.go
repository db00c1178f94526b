package pkgcmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// PublishOptions are the inputs of `drok package publish`.
type PublishOptions struct {
	IO         *iostreams.IOStreams
	Client     func() (*client.Client, error)
	DefaultOrg func(string) (string, error)
	Ctx        context.Context

	Target Target
	File   string
	JSON   bool
}

// NewCmdPublish returns `drok package publish`.
func NewCmdPublish(f *cmdutil.Factory, runF func(*PublishOptions) error) *cobra.Command {
	opts := &PublishOptions{IO: f.IOStreams, Client: f.Client, DefaultOrg: f.DefaultOrg}
	cmd := &cobra.Command{
		Use:   "publish FILE [--org ORG] [-e ECOSYSTEM]",
		Short: "Publish a package file",
		Long: `Upload a package archive (an npm .tgz, a wheel or sdist, a .crate, a
.nupkg, a container image as a docker save .tar or an OCI image layout
directory, ...). The server reads the name and version from the archive
itself; without -e it picks the ecosystem from the file name.

Native clients (npm publish, twine, cargo publish, ...) work too; see
drok setup.`,
		Example: `  drok package publish left-pad-1.3.0.tgz --org acme`,
		Args:    cmdutil.ExactArgs(1, "file required"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ctx = cmd.Context()
			opts.File = args[0]
			if err := opts.Target.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return publishRun(opts)
		},
	}
	addTargetFlags(cmd, &opts.Target)
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func publishRun(opts *PublishOptions) error {
	org, err := opts.DefaultOrg(opts.Target.Org)
	if err != nil {
		return err
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	f, err := os.Open(opts.File)
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	name := filepath.Base(opts.File)
	var body io.Reader = f
	size := st.Size()
	switch {
	case st.IsDir():
		// An OCI image layout directory is sent as a tar archive.
		if _, err := os.Stat(filepath.Join(opts.File, "oci-layout")); err != nil {
			return fmt.Errorf("publish %s: a directory must be an OCI image layout (no oci-layout file)", opts.File)
		}
		rc := tarDir(opts.File)
		defer rc.Close()
		body, size, name = rc, 0, name+".tar"
	case !st.Mode().IsRegular():
		return fmt.Errorf("publish %s: not a regular file", opts.File)
	}
	progress := iostreams.NewProgressReader(opts.IO, body, name, size)
	out, err := c.Publish(opts.Ctx, org, opts.Target.Ecosystem, name, progress)
	progress.Done()
	if err != nil {
		return fmt.Errorf("publish %s to %s: %w", name, org, err)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO, out)
	}
	ref := Ref{Org: out.Org, Ecosystem: out.Ecosystem, Name: out.Name, Version: out.Version}
	if out.Retried {
		cmdutil.Success(opts.IO, "%s was already published to %s with the same content", ref, out.Org)
	} else {
		cmdutil.Success(opts.IO, "Published %s to %s", ref, out.Org)
	}
	return nil
}
