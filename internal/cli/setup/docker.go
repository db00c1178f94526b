package setup

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
)

// DockerUser is the user name written next to the token: the registry's
// token endpoint takes any user name, the token is the password.
const DockerUser = "drok"

// DockerOptions are the inputs of `drok setup docker`.
type DockerOptions struct {
	CommonOptions
	// Getenv reads DOCKER_CONFIG, XDG_CONFIG_HOME and REGISTRY_AUTH_FILE.
	Getenv func(string) string
}

// NewCmdDocker returns `drok setup docker`.
func NewCmdDocker(f *cmdutil.Factory, runF func(*DockerOptions) error) *cobra.Command {
	opts := &DockerOptions{CommonOptions: newCommonOptions(f), Getenv: os.Getenv}
	cmd := &cobra.Command{
		Use:   "docker [--org ORG] [--print]",
		Short: "Give docker, podman, skopeo, crane and oras your drok credentials",
		Long: `Write the credential entry for the drok server (HOST:PORT) to the docker
configuration (~/.docker/config.json, or $DOCKER_CONFIG/config.json), read by
docker, crane, oras and skopeo, and to the containers auth file
(~/.config/containers/auth.json, or $REGISTRY_AUTH_FILE), read by podman,
skopeo and buildah. The entry is "auths": {"HOST:PORT": {"auth": base64(drok:TOKEN)}};
other entries are kept. Images of ORG are then HOST:PORT/ORG/IMAGE.

--print writes a docker login command reading the token from $DROK_TOKEN
to standard output instead (for CI).`,
		Example: `  drok setup docker --org acme
  docker pull 127.0.0.1:5873/acme/app:1.0.0`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return dockerRun(opts)
		},
	}
	opts.addFlags(cmd, "Print a docker login command (token from $DROK_TOKEN) instead of writing files")
	return cmd
}

// DockerLoginCommand is the shell command that logs docker in to host
// with the token in $DROK_TOKEN.
func DockerLoginCommand(host string) string {
	return `echo "$DROK_TOKEN" | docker login ` + host + ` --username ` + DockerUser + ` --password-stdin`
}

// RegistryHost returns the HOST:PORT clients use for server.
func RegistryHost(server string) (string, error) {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("invalid server URL %q", server)
	}
	return u.Host, nil
}

// MergeDockerAuth sets auths[host] = {"auth": base64(user:token)} in a
// docker config.json or containers auth.json document, keeping every
// other key. existing may be empty.
func MergeDockerAuth(existing []byte, host, user, token string) ([]byte, error) {
	doc := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(existing)) > 0 {
		if err := json.Unmarshal(existing, &doc); err != nil {
			return nil, fmt.Errorf("existing file is not a JSON object: %w", err)
		}
	}
	auths := map[string]json.RawMessage{}
	if raw, ok := doc["auths"]; ok && len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &auths); err != nil {
			return nil, fmt.Errorf("existing \"auths\" is not an object: %w", err)
		}
	}
	entry, _ := json.Marshal(map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + token))})
	auths[host] = entry
	a, err := json.Marshal(auths)
	if err != nil {
		return nil, err
	}
	doc["auths"] = a
	out, err := json.MarshalIndent(doc, "", "\t")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// DockerConfigPaths returns the docker config.json and containers
// auth.json paths, honouring DOCKER_CONFIG and REGISTRY_AUTH_FILE.
func DockerConfigPaths(home string, getenv func(string) string) (docker, containers string) {
	docker = filepath.Join(home, ".docker", "config.json")
	if d := getenv("DOCKER_CONFIG"); d != "" {
		docker = filepath.Join(d, "config.json")
	}
	containers = filepath.Join(home, ".config", "containers", "auth.json")
	if x := getenv("XDG_CONFIG_HOME"); x != "" {
		containers = filepath.Join(x, "containers", "auth.json")
	}
	if f := getenv("REGISTRY_AUTH_FILE"); f != "" {
		containers = f
	}
	return docker, containers
}

func mergeAuthFile(path, host, token string) error {
	existing, err := readConfigFile(path)
	if err != nil {
		return err
	}
	data, err := MergeDockerAuth(existing, host, DockerUser, token)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	return writeConfigFile(path, data)
}

func dockerRun(opts *DockerOptions) error {
	t, err := opts.target()
	if err != nil {
		return err
	}
	host, err := RegistryHost(t.Server)
	if err != nil {
		return err
	}
	if opts.Print {
		// Credential files hold the token base64-encoded, where no shell
		// variable expands: print the login command instead (for CI).
		fmt.Fprintln(opts.IO.Out, DockerLoginCommand(host))
		opts.hintf("The token comes from the DROK_TOKEN environment variable; podman login, skopeo login, crane auth login and oras login take the same arguments.")
		return nil
	}
	if err := t.requireToken(); err != nil {
		return err
	}
	home, err := opts.HomeDir()
	if err != nil {
		return fmt.Errorf("locate the home directory: %w", err)
	}
	dockerPath, containersPath := DockerConfigPaths(home, opts.Getenv)
	for _, p := range []string{dockerPath, containersPath} {
		if err := mergeAuthFile(p, host, t.Token); err != nil {
			return err
		}
	}
	cmdutil.Success(opts.IO, "Wrote credentials for %s to %s and %s", host, displayPath(dockerPath), displayPath(containersPath))
	fmt.Fprintf(opts.IO.ErrOut, "Images of %s are %s/%s/IMAGE[:TAG] (plain HTTP on loopback: skopeo needs --tls-verify=false, docker an insecure-registries entry).\n", t.Org, host, t.Org)
	return nil
}
