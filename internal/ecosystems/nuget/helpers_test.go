package nuget_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/cli/setup"
	"github.com/drok-dev/drok/internal/daemon/daemontest"
)

// pkgSpec describes a test package.
type pkgSpec struct {
	id, version string
	deps        []string // "id:range"
	// entries are extra zip entries (name → content).
	entries map[string]string
	// nuspecName overrides the .nuspec file name.
	nuspecName string
	desc       string
}

// buildNupkg builds a .nupkg in memory: a .nuspec, [Content_Types].xml,
// _rels/.rels and a placeholder lib/netstandard2.0 assembly.
func buildNupkg(t testing.TB, s pkgSpec) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name, content string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, content); err != nil {
			t.Fatal(err)
		}
	}
	var deps strings.Builder
	if len(s.deps) > 0 {
		deps.WriteString(`<dependencies><group targetFramework=".NETStandard2.0">`)
		for _, d := range s.deps {
			id, rng, _ := strings.Cut(d, ":")
			fmt.Fprintf(&deps, `<dependency id="%s" version="%s" exclude="Build,Analyzers" />`, id, rng)
		}
		deps.WriteString(`</group></dependencies>`)
	}
	desc := s.desc
	if desc == "" {
		desc = "Test package " + s.id
	}
	nuspec := fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>%s</id>
    <version>%s</version>
    <authors>drok tests</authors>
    <description>%s</description>
    <tags>drok test</tags>
    %s
  </metadata>
</package>`, s.id, s.version, desc, deps.String())
	name := s.nuspecName
	if name == "" {
		name = s.id + ".nuspec"
	}
	add(name, nuspec)
	add("[Content_Types].xml", `<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" /><Default Extension="nuspec" ContentType="application/octet" /><Default Extension="dll" ContentType="application/octet" /></Types>`)
	add("_rels/.rels", `<?xml version="1.0" encoding="utf-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/`+name+`" Id="R1" /></Relationships>`)
	add("lib/netstandard2.0/"+s.id+".dll", "placeholder assembly for "+s.id+" "+s.version)
	for n, c := range s.entries {
		add(n, c)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// feed is one daemon with org acme and its NuGet URLs.
type feed struct {
	srv  *daemontest.Server
	org  string
	root string // v2 feed root, with trailing slash
	v3   string // service index
}

func newFeed(t *testing.T) *feed { return newFeedB(t) }

func newFeedB(t testing.TB) *feed {
	t.Helper()
	srv := daemontest.Start(t)
	f := &feed{srv: srv, org: "acme"}
	if _, err := srv.Client.CreateOrg(context.Background(), f.org); err != nil {
		t.Fatalf("create org: %v", err)
	}
	f.root = srv.URL + "/api/v1/packages/nuget/" + f.org + "/"
	f.v3 = f.root + "index.json"
	return f
}

// do sends one request with an optional token (as X-NuGet-ApiKey when
// apiKey, else Basic) and returns status and body.
func do(t testing.TB, method, url, token string, apiKey bool, body io.Reader, ctype string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		if apiKey {
			req.Header.Set("X-NuGet-ApiKey", token)
		} else {
			req.SetBasicAuth("user", token)
		}
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// push PUTs a package as nuget.exe does (multipart, part "package").
func push(t testing.TB, url, token string, nupkg []byte, filename string) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if filename == "" {
		filename = "package.nupkg"
	}
	w, err := mw.CreateFormFile("package", filename)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write(nupkg)
	_ = mw.Close()
	return do(t, http.MethodPut, url, token, true, &buf, mw.FormDataContentType())
}

// nugetExe returns the command prefix running NuGet.exe 5.8 on mono. The
// executable comes from the npm package nuget-exe@5.8.0, installed into a
// cache directory when missing.
func nugetExe(t *testing.T) []string {
	t.Helper()
	mono, err := exec.LookPath("mono")
	if err != nil {
		t.Fatalf("the NuGet e2e tests need mono (apt-get install mono-runtime and the libmono-* packages of .ci/install.d/60-nuget.sh): %v", err)
	}
	exe := os.Getenv("DROK_NUGET_EXE")
	if exe == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		dir := filepath.Join(cache, "drok-test", "nuget-exe")
		exe = filepath.Join(dir, "node_modules", "nuget-exe", "nuget-5.8.0.exe")
		if _, err := os.Stat(exe); err != nil {
			npm, err := exec.LookPath("npm")
			if err != nil {
				t.Fatalf("NuGet.exe 5.8 comes from the npm package nuget-exe@5.8.0, but npm is missing: %v", err)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(npm, "install", "--no-audit", "--no-fund", "--prefix", dir, "nuget-exe@5.8.0").CombinedOutput()
			if err != nil {
				t.Fatalf("npm install nuget-exe@5.8.0: %v\n%s", err, out)
			}
		}
	}
	if _, err := os.Stat(exe); err != nil {
		t.Fatalf("NuGet.exe 5.8 not found at %s: %v", exe, err)
	}
	return []string{mono, exe}
}

// nugetDebian returns the Debian nuget 2.8.7 command.
func nugetDebian(t *testing.T) []string {
	t.Helper()
	p, err := exec.LookPath("nuget")
	if err != nil {
		t.Fatalf("the NuGet v2 e2e test needs Debian's nuget 2.8.7 (apt-get install nuget): %v", err)
	}
	return []string{p}
}

// nugetCLI runs a NuGet command line with its own HOME, XDG dirs and
// nuget.config so caches and credentials never leak between tests.
type nugetCLI struct {
	t      *testing.T
	cmd    []string
	home   string
	config string
	env    []string
	// dir is the working directory (default: home); NuGet 2.8.7 on mono
	// wants pushed files as paths relative to it.
	dir string
}

func newClient(t *testing.T, cmd []string, sources map[string]string, token string) *nugetCLI {
	t.Helper()
	home := t.TempDir()
	c := &nugetCLI{t: t, cmd: cmd, home: home, config: filepath.Join(home, "NuGet.Config")}
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n<packageSources>\n<clear />\n</packageSources>\n</configuration>\n")
	data := []byte(b.String())
	for name, url := range sources {
		// The configuration `drok setup nuget` writes.
		var err error
		data, err = setup.MergeNuGetConfig(data, setup.NuGetSource{Name: name, URL: url, Username: "drok", Password: token})
		if err != nil {
			t.Fatal(err)
		}
	}
	if token == "" {
		data = []byte(b.String())
		for name, url := range sources {
			data = bytes.Replace(data, []byte("<clear />"), []byte(fmt.Sprintf("<clear />\n<add key=%q value=%q />", name, url)), 1)
		}
	}
	if err := os.WriteFile(c.config, data, 0o600); err != nil {
		t.Fatal(err)
	}
	c.env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "XDG_DATA_HOME="+filepath.Join(home, ".local/share"),
		"NUGET_PACKAGES="+filepath.Join(home, "packages"), "NUGET_HTTP_CACHE_PATH="+filepath.Join(home, "http-cache"),
		"MONO_REGISTRY_PATH="+filepath.Join(home, ".mono-registry"), "NUGET_PLUGIN_PATHS=")
	return c
}

// run runs the client with args (plus -ConfigFile and -NonInteractive)
// and returns its combined output.
func (c *nugetCLI) run(args ...string) (string, error) {
	c.t.Helper()
	full := append(append([]string{}, c.cmd[1:]...), args...)
	full = append(full, "-ConfigFile", c.config, "-NonInteractive")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.cmd[0], full...)
	cmd.WaitDelay = time.Second
	cmd.Env = c.env
	cmd.Dir = c.home
	if c.dir != "" {
		cmd.Dir = c.dir
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (c *nugetCLI) mustRun(args ...string) string {
	c.t.Helper()
	out, err := c.run(args...)
	if err != nil {
		c.t.Fatalf("nuget %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// writeFile writes data below dir and returns the path.
func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
