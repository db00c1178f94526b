package pkgcmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

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
.nupkg, a Maven .pom, .jar, .war or .aar, a container image as a docker
save .tar or an OCI image layout directory, ...). The server reads the
name and version from the archive itself; without -e it picks the
ecosystem from the file name.

A Maven archive takes its coordinates from the pom.xml Maven embeds
(META-INF/maven/GROUP/ARTIFACT/pom.xml). When NAME.pom lies next to
NAME.jar, the .pom is published first and gives the coordinates.

Native clients (npm publish, twine, cargo publish, ...) work too; see
drok setup.`,
		Example: `  drok package publish left-pad-1.3.0.tgz --org acme
  drok package publish target/lib-1.0.jar --org acme`,
		Args: cmdutil.ExactArgs(1, "file required"),
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
	name := filepath.Base(opts.File)
	if pom := mavenSiblingPOM(opts.File); pom != "" && (opts.Target.Ecosystem == "" || opts.Target.Ecosystem == "maven") {
		// A Maven archive with its .pom next to it: the .pom goes first
		// and names the coordinates of the archive.
		coords, err := publishFile(opts, c, org, pom, filepath.Base(pom))
		if err != nil {
			return err
		}
		name = coords + "/" + name
	}
	_, err = publishFile(opts, c, org, opts.File, name)
	return err
}

// mavenSiblingPOM returns NAME.pom when file is NAME.jar (.war, .aar,
// .ear) and NAME.pom exists.
func mavenSiblingPOM(file string) string {
	ext := strings.ToLower(filepath.Ext(file))
	if ext != ".jar" && ext != ".war" && ext != ".aar" && ext != ".ear" {
		return ""
	}
	pom := strings.TrimSuffix(file, filepath.Ext(file)) + ".pom"
	if st, err := os.Stat(pom); err != nil || !st.Mode().IsRegular() {
		return ""
	}
	return pom
}

// publishFile uploads path as name and reports it; it returns the
// published name:version (for Maven groupId:artifactId:version).
func publishFile(opts *PublishOptions, c *client.Client, org, path, name string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("publish: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("publish: %w", err)
	}
	var body io.Reader = f
	size := st.Size()
	switch {
	case st.IsDir():
		// An OCI image layout directory is sent as a tar archive.
		if _, err := os.Stat(filepath.Join(path, "oci-layout")); err != nil {
			return "", fmt.Errorf("publish %s: a directory must be an OCI image layout (no oci-layout file)", path)
		}
		rc := tarDir(path)
		defer rc.Close()
		body, size, name = rc, 0, name+".tar"
	case !st.Mode().IsRegular():
		return "", fmt.Errorf("publish %s: not a regular file", path)
	}
	progress := iostreams.NewProgressReader(opts.IO, body, name, size)
	out, err := c.Publish(opts.Ctx, org, opts.Target.Ecosystem, name, progress)
	progress.Done()
	if err != nil {
		return "", fmt.Errorf("publish %s to %s: %w", filepath.Base(path), org, err)
	}
	coords := out.Name + ":" + out.Version
	if opts.JSON {
		return coords, cmdutil.PrintJSON(opts.IO, out)
	}
	ref := Ref{Org: out.Org, Ecosystem: out.Ecosystem, Name: out.Name, Version: out.Version}
	if out.Retried {
		cmdutil.Success(opts.IO, "%s was already published to %s with the same content", ref, out.Org)
	} else {
		cmdutil.Success(opts.IO, "Published %s to %s", ref, out.Org)
	}
	return coords, nil
}
