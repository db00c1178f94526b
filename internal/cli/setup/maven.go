package setup

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
)

// mavenTokenPlaceholder is what --print writes instead of the token:
// Maven expands ${env.NAME} in settings.xml.
const mavenTokenPlaceholder = "${env.DROK_TOKEN}"

// MavenOptions are the inputs of `drok setup maven`.
type MavenOptions struct {
	// CommonOptions.HomeDir locates ~/.m2/settings.xml.
	CommonOptions

	ID string
}

// NewCmdMaven returns `drok setup maven`.
func NewCmdMaven(f *cmdutil.Factory, runF func(*MavenOptions) error) *cobra.Command {
	opts := &MavenOptions{CommonOptions: newCommonOptions(f)}
	cmd := &cobra.Command{
		Use:   "maven [--org ORG] [--id ID] [--print]",
		Short: "Point Maven at an organisation's Maven repository",
		Long: `Add a <server> entry with your token to ~/.m2/settings.xml (mode 0600)
and print the pom.xml snippets (distributionManagement and repositories)
that use it:

  <server><id>drok-ORG</id><username>drok</username><password>TOKEN</password></server>

A server with the same id is replaced; everything else in settings.xml is
kept. Maven sends the token as the password of HTTP Basic auth.

--print writes both snippets to standard output instead, with the token
as ${env.DROK_TOKEN}, which Maven reads from the environment (for CI).`,
		Example: `  drok setup maven --org acme
  drok setup maven --org acme --print
  mvn deploy -DaltDeploymentRepository=drok-acme::default::SERVER/api/v1/packages/maven/acme/`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.ID != "" && !mavenIDRE.MatchString(opts.ID) {
				return cmdutil.FlagErrorf("invalid --id %q: letters, digits, '.', '_' or '-'", opts.ID)
			}
			if runF != nil {
				return runF(opts)
			}
			return mavenRun(opts)
		},
	}
	opts.addFlags(cmd, "Print the snippets instead of writing settings.xml")
	cmd.Flags().StringVar(&opts.ID, "id", "", "Server and repository id (default drok-ORG)")
	return cmd
}

var mavenIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// MavenServer returns the settings.xml <server> element for id.
func MavenServer(id, token string) string {
	return "<server>\n      <id>" + xmlEscape(id) + "</id>\n      <username>drok</username>\n      <password>" + xmlEscape(token) + "</password>\n    </server>"
}

// MavenPOMSnippet returns the pom.xml elements that deploy to and resolve
// from the target's repository under id.
func MavenPOMSnippet(t Target, id string) string {
	url := xmlEscape(t.RegistryURL("maven"))
	id = xmlEscape(id)
	return `<distributionManagement>
  <repository>
    <id>` + id + `</id>
    <url>` + url + `</url>
  </repository>
  <snapshotRepository>
    <id>` + id + `</id>
    <url>` + url + `</url>
  </snapshotRepository>
</distributionManagement>
<repositories>
  <repository>
    <id>` + id + `</id>
    <url>` + url + `</url>
    <snapshots><enabled>true</enabled></snapshots>
  </repository>
</repositories>
`
}

var commentRE = regexp.MustCompile(`(?s)<!--.*?-->`)

// maskComments returns s with every comment's bytes replaced by spaces,
// so searches on it ignore commented-out elements while offsets stay
// valid for s.
func maskComments(s string) string {
	return commentRE.ReplaceAllStringFunc(s, func(c string) string { return strings.Repeat(" ", len(c)) })
}

// MergeMavenSettings returns settings.xml content existing with server
// (an element from MavenServer) for id: a <server> with the same <id> is
// replaced in place, otherwise it is added to <servers> (created inside
// <settings> when missing). Everything else, comments included, is kept
// byte for byte. An empty file gets a new settings document.
func MergeMavenSettings(existing []byte, id, server string) ([]byte, error) {
	s := string(existing)
	if strings.TrimSpace(s) == "" {
		return []byte("<settings xmlns=\"http://maven.apache.org/SETTINGS/1.0.0\">\n  <servers>\n    " + server + "\n  </servers>\n</settings>\n"), nil
	}
	m := maskComments(s)
	serverRE := regexp.MustCompile(`(?s)<server>.*?</server>`)
	idRE := regexp.MustCompile(`<id>\s*` + regexp.QuoteMeta(xmlEscape(id)) + `\s*</id>`)
	serversAt := regexp.MustCompile(`(?s)<servers>.*?</servers>`).FindStringIndex(m)
	if serversAt != nil {
		inner := m[serversAt[0]:serversAt[1]]
		for _, loc := range serverRE.FindAllStringIndex(inner, -1) {
			if idRE.MatchString(inner[loc[0]:loc[1]]) {
				a, b := serversAt[0]+loc[0], serversAt[0]+loc[1]
				return []byte(s[:a] + server + s[b:]), nil
			}
		}
		end := serversAt[1] - len("</servers>")
		return []byte(s[:end] + "  " + server + "\n  " + s[end:]), nil
	}
	if strings.Contains(m, "<servers/>") {
		i := strings.Index(m, "<servers/>")
		return []byte(s[:i] + "<servers>\n    " + server + "\n  </servers>" + s[i+len("<servers/>"):]), nil
	}
	end := strings.LastIndex(m, "</settings>")
	if end < 0 {
		return nil, errors.New("settings.xml has no </settings> element: add the <server> by hand (drok setup maven --print)")
	}
	return []byte(s[:end] + "  <servers>\n    " + server + "\n  </servers>\n" + s[end:]), nil
}

func mavenRun(opts *MavenOptions) error {
	t, err := opts.target()
	if err != nil {
		return err
	}
	id := opts.ID
	if id == "" {
		id = "drok-" + t.Org
	}
	if opts.Print {
		fmt.Fprintln(opts.IO.Out, "<!-- ~/.m2/settings.xml, inside <servers> -->")
		fmt.Fprintln(opts.IO.Out, MavenServer(id, mavenTokenPlaceholder))
		fmt.Fprintln(opts.IO.Out, "<!-- pom.xml, inside <project> -->")
		fmt.Fprint(opts.IO.Out, MavenPOMSnippet(t, id))
		opts.hintf("Maven reads the token from the DROK_TOKEN environment variable with this server entry.")
		return nil
	}
	if err := t.requireToken(); err != nil {
		return err
	}
	home, err := opts.HomeDir()
	if err != nil {
		return fmt.Errorf("locate ~/.m2: %w", err)
	}
	dir := filepath.Join(home, ".m2")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	path := filepath.Join(dir, "settings.xml")
	existing, err := readConfigFile(path)
	if err != nil {
		return err
	}
	merged, err := MergeMavenSettings(existing, id, MavenServer(id, t.Token))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := writeConfigFile(path, merged); err != nil {
		return err
	}
	cmdutil.Success(opts.IO, "Wrote server %s with your token to %s", id, displayPath(path))
	fmt.Fprintln(opts.IO.ErrOut, "Add this to your pom.xml (or deploy with -DaltDeploymentRepository="+id+"::default::"+t.RegistryURL("maven")+"):")
	fmt.Fprint(opts.IO.Out, MavenPOMSnippet(t, id))
	return nil
}
