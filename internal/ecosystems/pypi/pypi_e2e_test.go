package pypi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/daemon/daemontest"
	"github.com/drok-dev/drok/internal/ecosystems/pypi"
)

// tool finds a real client; the e2e tests fail (never skip) without it.
func tool(t *testing.T, name, install string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is required for the PyPI e2e tests (install: %s): %v", name, install, err)
	}
	return p
}

type fixture struct {
	srv *daemontest.Server
	org string
	// root is BASE/api/v1/packages/pypi/ORG/ (the upload URL).
	root string
	home string
}

func newFixture(t *testing.T, opts ...daemontest.Option) *fixture {
	t.Helper()
	srv := daemontest.Start(t, opts...)
	if _, err := srv.Client.CreateOrg(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}
	return &fixture{srv: srv, org: "acme", root: srv.URL + "/api/v1/packages/pypi/acme/", home: t.TempDir()}
}

// index is the simple index URL, with credentials when token is set.
func (f *fixture) index(token string) string {
	u, _ := url.Parse(f.root + "simple/")
	if token != "" {
		u.User = url.UserPassword("__token__", token)
	}
	return u.String()
}

// env is the clients' environment: the caller's, without pip and twine
// settings (a PIP_FIND_LINKS or TWINE_REPOSITORY_URL would make the tests
// hit something else), plus a private HOME.
func (f *fixture) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PIP_") && !strings.HasPrefix(kv, "TWINE_") {
			env = append(env, kv)
		}
	}
	return append(env, "HOME="+f.home, "TWINE_NON_INTERACTIVE=1", "PIP_CONFIG_FILE=/dev/null",
		"PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring", "NO_COLOR=1", "PIP_DISABLE_PIP_VERSION_CHECK=1")
}

// writeDist writes a distribution into a fresh directory and returns its path.
func writeDist(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// legacyTwine is twine 6.1, the last release that honours --skip-existing
// for registries other than PyPI (6.2+ refuses the option there).
func legacyTwine(t *testing.T) string {
	t.Helper()
	p := os.Getenv("DROK_TWINE61")
	if p == "" {
		p = "/opt/drok-clients/twine61/bin/twine"
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("twine 6.1 is required for the --skip-existing test (install: python3 -m venv --system-site-packages /opt/drok-clients/twine61 && /opt/drok-clients/twine61/bin/pip install twine==6.1.0, or set DROK_TWINE61): %v", err)
	}
	return p
}

// twine runs `twine upload` as token with extra arguments and files.
func (f *fixture) twine(t *testing.T, token string, args ...string) (string, error) {
	t.Helper()
	return f.twineWith(t, tool(t, "twine", "pip install 'twine>=4'"), token, args...)
}

// twineWith runs `twine upload` with the twine binary bin.
func (f *fixture) twineWith(t *testing.T, bin, token string, args ...string) (string, error) {
	t.Helper()
	full := append([]string{"upload", "--repository-url", f.root, "-u", "__token__", "-p", token,
		"--non-interactive", "--disable-progress-bar", "--verbose"}, args...)
	cmd := exec.Command(bin, full...)
	cmd.Env = f.env()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (f *fixture) mustTwine(t *testing.T, token string, args ...string) string {
	t.Helper()
	out, err := f.twine(t, token, args...)
	if err != nil {
		t.Fatalf("twine upload %v: %v\n%s", args, err, out)
	}
	return out
}

// venv creates a fresh virtual environment (python3 -m venv) in a temp dir.
func venv(t *testing.T) string {
	t.Helper()
	py := tool(t, "python3", "apt-get install python3 python3-venv")
	dir := filepath.Join(t.TempDir(), "venv")
	if out, err := exec.Command(py, "-m", "venv", dir).CombinedOutput(); err != nil {
		t.Fatalf("python3 -m venv: %v\n%s", err, out)
	}
	return dir
}

// pip runs pip install from the venv against the index as token.
func (f *fixture) pip(t *testing.T, venv, token string, args ...string) (string, error) {
	t.Helper()
	full := append([]string{"install", "--index-url", f.index(token), "--no-cache-dir", "--no-input",
		"--disable-pip-version-check"}, args...)
	cmd := exec.Command(filepath.Join(venv, "bin", "pip"), full...)
	cmd.Env = f.env()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (f *fixture) mustPip(t *testing.T, venv, token string, args ...string) string {
	t.Helper()
	out, err := f.pip(t, venv, token, args...)
	if err != nil {
		t.Fatalf("pip install %v: %v\n%s", args, err, out)
	}
	return out
}

// installed returns the VERSION of an installed test module, or "".
func installed(t *testing.T, venv, module string) string {
	t.Helper()
	out, err := exec.Command(filepath.Join(venv, "bin", "python"), "-c", "import "+module+"; print("+module+".VERSION)").CombinedOutput()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// get sends a GET with optional token and headers.
func (f *fixture) get(t testing.TB, path, token string, hdr map[string]string) (int, []byte, http.Header) {
	t.Helper()
	return f.do(t, http.MethodGet, path, token, nil, hdr)
}

func (f *fixture) do(t testing.TB, method, path, token string, body io.Reader, hdr map[string]string) (int, []byte, http.Header) {
	t.Helper()
	u := path
	if !strings.HasPrefix(path, "http") {
		u = f.root + path
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.SetBasicAuth("__token__", token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

// uploadForm builds twine's multipart upload body for a file.
func uploadForm(t testing.TB, fields map[string]string, filename string, data []byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	defaults := map[string]string{":action": "file_upload", "protocol_version": "1", "metadata_version": "2.1"}
	for k, v := range defaults {
		if _, ok := fields[k]; !ok {
			fields[k] = v
		}
	}
	if _, ok := fields["sha256_digest"]; !ok {
		sum := sha256.Sum256(data)
		fields["sha256_digest"] = hex.EncodeToString(sum[:])
	}
	for k, v := range fields {
		if v == "\x00omit" {
			continue
		}
		_ = mw.WriteField(k, v)
	}
	w, _ := mw.CreateFormFile("content", filename)
	_, _ = w.Write(data)
	_ = mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

// post uploads a file with the raw legacy API.
func (f *fixture) post(t testing.TB, token string, fields map[string]string, filename string, data []byte) (int, string) {
	t.Helper()
	ct, body := uploadForm(t, fields, filename, data)
	st, b, _ := f.do(t, http.MethodPost, "", token, bytes.NewReader(body), map[string]string{"Content-Type": ct})
	return st, string(b)
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

type simpleJSON struct {
	Meta     map[string]string `json:"meta"`
	Name     string            `json:"name"`
	Versions []string          `json:"versions"`
	Files    []struct {
		Filename       string            `json:"filename"`
		URL            string            `json:"url"`
		Hashes         map[string]string `json:"hashes"`
		RequiresPython string            `json:"requires-python"`
		CoreMetadata   any               `json:"core-metadata"`
		Yanked         any               `json:"yanked"`
		Size           int64             `json:"size"`
		UploadTime     string            `json:"upload-time"`
	} `json:"files"`
}

func (f *fixture) project(t testing.TB, name, token string) simpleJSON {
	t.Helper()
	st, b, h := f.get(t, "simple/"+name+"/", token, map[string]string{"Accept": "application/vnd.pypi.simple.v1+json"})
	if st != http.StatusOK || h.Get("Content-Type") != "application/vnd.pypi.simple.v1+json" {
		t.Fatalf("project page %s: %d %s %s", name, st, h.Get("Content-Type"), b)
	}
	var out simpleJSON
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("project page JSON: %v\n%s", err, b)
	}
	return out
}

// TestPyPITwinePipYank: twine uploads a wheel and an sdist, pip installs
// from a fresh virtualenv with the token, a yank hides a release from
// `pip install pkg` but not from `pkg==X`, a different file under a used
// name is refused while --skip-existing and identical retries pass, and
// anonymous pip cannot see the private project.
func TestPyPITwinePipYank(t *testing.T) {
	f := newFixture(t)
	tok := f.srv.AdminToken
	w10n, w10 := pypi.BuildWheel(t, pypi.DistSpec{Name: "Hello.World", Version: "1.0", RequiresPython: ">=3.7"})
	s10n, s10 := pypi.BuildSdist(t, pypi.DistSpec{Name: "Hello.World", Version: "1.0", RequiresPython: ">=3.7"})
	w11n, w11 := pypi.BuildWheel(t, pypi.DistSpec{Name: "Hello.World", Version: "1.1"})
	paths := []string{writeDist(t, w10n, w10), writeDist(t, s10n, s10), writeDist(t, w11n, w11)}
	f.mustTwine(t, tok, paths...)

	p := f.project(t, "hello-world", tok)
	if p.Name != "hello-world" || strings.Join(p.Versions, ",") != "1.0,1.1" || len(p.Files) != 3 || p.Meta["api-version"] != "1.1" {
		t.Fatalf("project page: %+v", p)
	}
	for _, file := range p.Files {
		want := map[string][]byte{w10n: w10, s10n: s10, w11n: w11}[file.Filename]
		if file.Hashes["sha256"] != sha(want) || file.Size != int64(len(want)) || file.UploadTime == "" {
			t.Errorf("file %s: %+v", file.Filename, file)
		}
		if strings.HasSuffix(file.Filename, "1.0-py3-none-any.whl") || strings.HasSuffix(file.Filename, ".tar.gz") {
			if file.RequiresPython != ">=3.7" {
				t.Errorf("%s requires-python %q", file.Filename, file.RequiresPython)
			}
		}
		isWheel := strings.HasSuffix(file.Filename, ".whl")
		if (file.CoreMetadata != false) != isWheel {
			t.Errorf("%s core-metadata %v", file.Filename, file.CoreMetadata)
		}
		// Download the file and its metadata relative to the page.
		u, _ := url.Parse(f.root + "simple/hello-world/")
		fu, _ := u.Parse(file.URL)
		st, body, _ := f.get(t, fu.String(), tok, nil)
		if st != http.StatusOK || sha(body) != file.Hashes["sha256"] {
			t.Errorf("download %s: %d", fu, st)
		}
		if isWheel {
			st, meta, _ := f.get(t, fu.String()+".metadata", tok, nil)
			h := file.CoreMetadata.(map[string]any)["sha256"]
			if st != http.StatusOK || sha(meta) != h || !strings.Contains(string(meta), "Name: Hello.World") {
				t.Errorf("metadata %s: %d %s", fu, st, meta)
			}
		}
	}

	// HTML page: hashes, requires-python escaped, metadata attributes.
	st, page, _ := f.get(t, "simple/hello-world/", tok, nil)
	html := string(page)
	if st != http.StatusOK || !strings.Contains(html, "#sha256="+sha(w10)) || !strings.Contains(html, `data-requires-python="&gt;=3.7"`) ||
		!strings.Contains(html, `data-core-metadata="sha256=`) || !strings.Contains(html, `data-dist-info-metadata="sha256=`) {
		t.Fatalf("HTML project page:\n%s", html)
	}

	env := venv(t)
	out := f.mustPip(t, env, tok, "hello-world")
	if v := installed(t, env, "hello_world"); v != "1.1" {
		t.Fatalf("pip installed %q, want 1.1", v)
	}
	// pip read the dependencies from the PEP 658 metadata file.
	if !strings.Contains(out, "hello_world-1.1-py3-none-any.whl.metadata") {
		t.Errorf("pip did not use the metadata file:\n%s", out)
	}

	// Yank 1.1: plain install picks 1.0, a pinned install still gets 1.1.
	if _, err := f.srv.Client.Yank(context.Background(), "pypi", "acme", client.YankRequest{Name: "Hello_World", Version: "1.1", Yank: true, Reason: "broken <build>"}); err != nil {
		t.Fatal(err)
	}
	_, page, _ = f.get(t, "simple/hello-world/", tok, nil)
	if !strings.Contains(string(page), `data-yanked="broken &lt;build&gt;"`) {
		t.Fatalf("yank not on the HTML page:\n%s", page)
	}
	p = f.project(t, "hello-world", tok)
	for _, file := range p.Files {
		if y := file.Yanked; strings.Contains(file.Filename, "1.1") != (y == "broken <build>") {
			t.Errorf("%s yanked = %v", file.Filename, y)
		}
	}
	f.mustPip(t, env, tok, "--force-reinstall", "hello-world")
	if v := installed(t, env, "hello_world"); v != "1.0" {
		t.Fatalf("after the yank pip installed %q, want 1.0", v)
	}
	f.mustPip(t, env, tok, "--force-reinstall", "hello-world==1.1")
	if v := installed(t, env, "hello_world"); v != "1.1" {
		t.Fatalf("pinned install of the yanked release gave %q, want 1.1", v)
	}

	// A different file under a used name is refused; --skip-existing
	// passes; an identical retry succeeds.
	_, other := pypi.BuildWheel(t, pypi.DistSpec{Name: "Hello.World", Version: "1.0", Salt: "other bytes"})
	otherPath := writeDist(t, w10n, other)
	out, err := f.twine(t, tok, otherPath)
	if err == nil || !strings.Contains(out, "409") {
		t.Fatalf("duplicate filename accepted: %v\n%s", err, out)
	}
	out, err = f.twineWith(t, legacyTwine(t), tok, "--skip-existing", otherPath)
	if err != nil || !strings.Contains(strings.ToLower(out), "skipping") {
		t.Errorf("--skip-existing did not skip:\n%s", out)
	}
	f.mustTwine(t, tok, paths[0])
	if p := f.project(t, "hello-world", tok); len(p.Files) != 3 || p.Files[0].Hashes["sha256"] != sha(w10) {
		t.Fatalf("files changed by refused uploads: %+v", p.Files)
	}

	// The project is private to the org: anonymous pip sees nothing,
	// while a project linked to a public repository installs anonymously.
	public := "public"
	if _, err := f.srv.Client.CreateRepo(context.Background(), "acme", client.RepoEdit{Name: "open-tool", Visibility: &public}); err != nil {
		t.Fatal(err)
	}
	on, od := pypi.BuildWheel(t, pypi.DistSpec{Name: "open-tool", Version: "3.0"})
	f.mustTwine(t, tok, writeDist(t, on, od))
	anon := venv(t)
	out, err = f.pip(t, anon, "", "hello-world")
	if err == nil || installed(t, anon, "hello_world") != "" {
		t.Fatalf("anonymous pip installed a private project:\n%s", out)
	}
	f.mustPip(t, anon, "", "open-tool")
	if v := installed(t, anon, "open_tool"); v != "3.0" {
		t.Fatalf("anonymous pip installed open-tool %q, want 3.0", v)
	}
	st, root, h := f.get(t, "simple/", "", nil)
	if st != http.StatusOK || !strings.Contains(string(root), "open-tool/") || strings.Contains(string(root), "hello-world") {
		t.Fatalf("anonymous root page: %d\n%s", st, root)
	}
	st, _, h = f.get(t, "simple/hello-world/", "", nil)
	if st != http.StatusUnauthorized || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic") {
		t.Fatalf("anonymous project page: %d %q", st, h.Get("WWW-Authenticate"))
	}
}
