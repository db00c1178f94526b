package npm_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/daemon/daemontest"
)

// npmBin is the real npm client; the e2e tests fail (never skip) without it.
func npmBin(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("npm")
	if err != nil {
		t.Fatalf("the npm e2e tests need the npm client on PATH: %v", err)
	}
	return p
}

// registryFixture is one daemon with one org.
type registryFixture struct {
	srv      *daemontest.Server
	org      string
	registry string // absolute registry URL with trailing slash
}

func newFixture(t *testing.T, opts ...daemontest.Option) *registryFixture {
	t.Helper()
	srv := daemontest.Start(t, opts...)
	f := &registryFixture{srv: srv, org: "acme"}
	if _, err := srv.Client.CreateOrg(context.Background(), f.org); err != nil {
		t.Fatalf("create org: %v", err)
	}
	f.registry = srv.URL + "/api/v1/packages/npm/" + f.org + "/"
	return f
}

// npmUser is an npm configuration (HOME, .npmrc, cache) for one token.
type npmUser struct {
	*daemontest.Tool
	home string
}

// npmAs returns an npm configured for the fixture's registry with token
// ("" = anonymous).
func (f *registryFixture) npmAs(t *testing.T, token string) *npmUser {
	t.Helper()
	home := t.TempDir()
	u, _ := url.Parse(f.registry)
	rc := "registry=" + f.registry + "\n" +
		"audit=false\nfund=false\nupdate-notifier=false\nprogress=false\n" +
		"cache=" + filepath.Join(home, "cache") + "\n"
	if token != "" {
		rc += "//" + u.Host + u.Path + ":_authToken=" + token + "\n"
	}
	if err := os.WriteFile(filepath.Join(home, ".npmrc"), []byte(rc), 0o600); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(strings.ToLower(k), "npm_config_") || k == "HOME" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+home, "npm_config_userconfig="+filepath.Join(home, ".npmrc"), "NO_UPDATE_NOTIFIER=1")
	return &npmUser{Tool: &daemontest.Tool{T: t, Bin: npmBin(t), Env: env}, home: home}
}

// pkgDir writes a publishable package and returns its directory.
func pkgDir(t *testing.T, name, version string, extra map[string]any) string {
	t.Helper()
	dir := t.TempDir()
	pj := map[string]any{"name": name, "version": version, "main": "index.js", "description": "test package " + name, "license": "MIT"}
	for k, v := range extra {
		pj[k] = v
	}
	b, _ := json.MarshalIndent(pj, "", "  ")
	files := map[string]string{
		"package.json": string(b),
		"index.js":     fmt.Sprintf("module.exports = %q;\n", name+"@"+version),
		"README.md":    "# " + name + "\n\nA test package.\n",
	}
	for f, c := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// consumer returns a fresh project directory to install into.
func consumer(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"consumer","version":"1.0.0","private":true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

var npmFlags = []string{"--prefer-online", "--no-audit", "--no-fund"}

func (n *npmUser) publish(dir string, args ...string) string {
	n.T.Helper()
	return n.Must(dir, append([]string{"publish"}, args...)...)
}

func installedVersion(t *testing.T, project, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(project, "node_modules", filepath.FromSlash(name), "package.json"))
	if err != nil {
		t.Fatalf("%s is not installed: %v", name, err)
	}
	var pj struct{ Version string }
	if err := json.Unmarshal(b, &pj); err != nil {
		t.Fatal(err)
	}
	return pj.Version
}

func TestNPMPublishInstallView(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.npmAs(t, f.srv.AdminToken)
	admin.publish(pkgDir(t, "left-pad-x", "1.0.0", nil))
	admin.publish(pkgDir(t, "@acme/util", "1.0.0", map[string]any{"dependencies": map[string]string{"left-pad-x": "^1.0.0"}}))

	proj := consumer(t)
	admin.Must(proj, append([]string{"install", "@acme/util"}, npmFlags...)...)
	if v := installedVersion(t, proj, "@acme/util"); v != "1.0.0" {
		t.Fatalf("@acme/util installed as %s", v)
	}
	if v := installedVersion(t, proj, "left-pad-x"); v != "1.0.0" {
		t.Fatalf("left-pad-x installed as %s", v)
	}
	idx, err := os.ReadFile(filepath.Join(proj, "node_modules", "@acme", "util", "index.js"))
	if err != nil || !strings.Contains(string(idx), "@acme/util@1.0.0") {
		t.Fatalf("installed index.js: %q, %v", idx, err)
	}

	out := admin.Must(t.TempDir(), "view", "@acme/util", "--json")
	var view map[string]any
	if err := json.Unmarshal([]byte(out), &view); err != nil {
		t.Fatalf("npm view --json: %v\n%s", err, out)
	}
	if view["version"] != "1.0.0" || view["description"] != "test package @acme/util" {
		t.Fatalf("npm view: %v", view)
	}
	dist, _ := view["dist"].(map[string]any)
	if tb, _ := dist["tarball"].(string); tb != f.registry+"@acme/util/-/util-1.0.0.tgz" {
		t.Fatalf("dist.tarball = %v", dist["tarball"])
	}

	_, body, _ := f.do(t, http.MethodGet, "@acme%2futil", f.srv.AdminToken, nil, nil)
	var doc struct {
		Drok *client.Package `json:"drok"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.Drok == nil {
		t.Fatalf("packument drok key: %v", err)
	}
	details := *doc.Drok
	if details.Ecosystem != "npm" || details.Org != f.org || details.Name != "@acme/util" || details.Visibility != "org" {
		t.Fatalf("drok details: %+v", details)
	}
	if details.Latest != "1.0.0" || len(details.Versions) != 1 || details.Versions[0].Publisher != "admin" || len(details.Versions[0].Files) != 1 {
		t.Fatalf("drok details: %+v", details)
	}
	viaClient, err := f.srv.Client.Package(context.Background(), "npm", f.org, "@acme/util")
	if err != nil || viaClient.Name != "@acme/util" || viaClient.Latest != "1.0.0" || len(viaClient.Versions) != 1 {
		t.Fatalf("client.Package: %+v, %v", viaClient, err)
	}
}

// makeTarball builds a gzip-compressed npm tarball holding
// package/package.json (from pj) and the extra files.
func makeTarball(t testing.TB, pj map[string]any, extra map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	b, _ := json.Marshal(pj)
	files := map[string]string{"package/package.json": string(b)}
	for k, v := range extra {
		files[k] = v
	}
	for name, content := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg, ModTime: time.Unix(499162500, 0)}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// publishDoc builds the document npm PUTs to publish tgz as name@version;
// edit may change the document or the version manifest before encoding.
func publishDoc(name, version string, tgz []byte, edit func(doc, manifest map[string]any)) []byte {
	s1 := sha1.Sum(tgz)
	s512 := sha512.Sum512(tgz)
	manifest := map[string]any{
		"name": name, "version": version, "_id": name + "@" + version,
		"dist": map[string]any{
			"integrity": "sha512-" + base64.StdEncoding.EncodeToString(s512[:]),
			"shasum":    hex.EncodeToString(s1[:]),
			"tarball":   "http://example.invalid/" + name + "/-/x.tgz",
		},
	}
	doc := map[string]any{
		"_id": name, "name": name,
		"dist-tags": map[string]any{"latest": version},
		"versions":  map[string]any{version: manifest},
		"access":    nil,
		"_attachments": map[string]any{
			name + "-" + version + ".tgz": map[string]any{
				"content_type": "application/octet-stream",
				"data":         base64.StdEncoding.EncodeToString(tgz),
				"length":       len(tgz),
			},
		},
	}
	if edit != nil {
		edit(doc, manifest)
	}
	b, _ := json.Marshal(doc)
	return b
}

// do sends a raw request to the registry (path relative to it).
func (f *registryFixture) do(t testing.TB, method, path, token string, body io.Reader, hdr map[string]string) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, f.registry+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

// npmError decodes npm's {"error": ...} body.
func npmError(t testing.TB, body []byte) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
		t.Fatalf("not an npm error body: %q", body)
	}
	return e.Error
}

func (f *registryFixture) packument(t testing.TB, name, token string) (int, map[string]any) {
	t.Helper()
	status, body, _ := f.do(t, http.MethodGet, strings.Replace(name, "/", "%2f", 1), token, nil, nil)
	var doc map[string]any
	if status == http.StatusOK {
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("packument of %s: %v", name, err)
		}
	}
	return status, doc
}

func TestNPMDistTagsAndDeprecate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.npmAs(t, f.srv.AdminToken)
	admin.publish(pkgDir(t, "tagged", "1.0.0", nil))
	admin.publish(pkgDir(t, "tagged", "1.1.0", nil))
	admin.publish(pkgDir(t, "tagged", "2.0.0-beta.1", nil), "--tag", "next")
	dir := t.TempDir()

	admin.Must(dir, "dist-tag", "add", "tagged@1.0.0", "stable")
	out := admin.Must(dir, "dist-tag", "ls", "tagged")
	for _, want := range []string{"latest: 1.1.0", "next: 2.0.0-beta.1", "stable: 1.0.0"} {
		if !strings.Contains(out, want) {
			t.Fatalf("dist-tag ls lacks %q:\n%s", want, out)
		}
	}
	admin.Must(dir, "dist-tag", "rm", "tagged", "stable")
	if out := admin.Must(dir, "dist-tag", "ls", "tagged"); strings.Contains(out, "stable") {
		t.Fatalf("stable tag still listed:\n%s", out)
	}
	admin.MustFail(dir, "E404", "dist-tag", "add", "tagged@9.9.9", "nope")

	admin.Must(dir, "deprecate", "tagged@1.0.0", "use 1.1 instead")
	if out := admin.Must(dir, "view", "tagged@1.0.0", "deprecated"); !strings.Contains(out, "use 1.1 instead") {
		t.Fatalf("deprecation not shown: %q", out)
	}
	if out := admin.Must(dir, "view", "tagged@1.1.0", "deprecated"); strings.TrimSpace(out) != "" {
		t.Fatalf("1.1.0 is deprecated too: %q", out)
	}
	admin.Must(dir, "deprecate", "tagged@1.0.0", "")
	if out := admin.Must(dir, "view", "tagged@1.0.0", "deprecated"); strings.TrimSpace(out) != "" {
		t.Fatalf("un-deprecate did not clear: %q", out)
	}
	proj := consumer(t)
	admin.Must(proj, append([]string{"install", "tagged@next"}, npmFlags...)...)
	if v := installedVersion(t, proj, "tagged"); v != "2.0.0-beta.1" {
		t.Fatalf("tagged@next installed %s", v)
	}
}

func TestNPMYankedVersionAvoidedByRanges(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.npmAs(t, f.srv.AdminToken)
	admin.publish(pkgDir(t, "yanky", "1.2.2", nil))
	admin.publish(pkgDir(t, "yanky", "1.2.3", nil))
	if _, err := f.srv.Client.Yank(context.Background(), "npm", f.org, client.YankRequest{Name: "yanky", Version: "1.2.3", Yank: true, Reason: "broken build"}); err != nil {
		t.Fatalf("yank: %v", err)
	}
	_, doc := f.packument(t, "yanky", f.srv.AdminToken)
	if tags := doc["dist-tags"].(map[string]any); tags["latest"] != "1.2.2" {
		t.Fatalf("latest after yank = %v", tags["latest"])
	}
	v123 := doc["versions"].(map[string]any)["1.2.3"].(map[string]any)
	if v123["deprecated"] != "broken build" {
		t.Fatalf("yanked version deprecated = %v", v123["deprecated"])
	}

	proj := consumer(t)
	admin.Must(proj, append([]string{"install", "yanky@^1"}, npmFlags...)...)
	if v := installedVersion(t, proj, "yanky"); v != "1.2.2" {
		t.Fatalf("yanky@^1 installed %s, want 1.2.2", v)
	}
	proj2 := consumer(t)
	admin.Must(proj2, append([]string{"install", "yanky@1.2.3"}, npmFlags...)...)
	if v := installedVersion(t, proj2, "yanky"); v != "1.2.3" {
		t.Fatalf("yanky@1.2.3 installed %s", v)
	}

	if _, err := f.srv.Client.Yank(context.Background(), "npm", f.org, client.YankRequest{Name: "yanky", Version: "1.2.3", Yank: false}); err != nil {
		t.Fatalf("unyank: %v", err)
	}
	_, doc = f.packument(t, "yanky", f.srv.AdminToken)
	if tags := doc["dist-tags"].(map[string]any); tags["latest"] != "1.2.3" {
		t.Fatalf("latest after unyank = %v", tags["latest"])
	}
}

func TestNPMImmutability(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.npmAs(t, f.srv.AdminToken)
	dir := t.TempDir()
	admin.publish(pkgDir(t, "stone", "1.0.0", nil))
	admin.publish(pkgDir(t, "stone", "1.0.1", nil))

	changed := pkgDir(t, "stone", "1.0.1", map[string]any{"description": "different bytes"})
	admin.MustFail(changed, "previously published", "publish")
	admin.MustFail(changed, "E409", "publish", "--force")

	admin.Must(dir, "unpublish", "stone@1.0.1", "--force")
	status, doc := f.packument(t, "stone", f.srv.AdminToken)
	if status != http.StatusOK {
		t.Fatalf("packument after unpublishing one version: %d", status)
	}
	if _, ok := doc["versions"].(map[string]any)["1.0.1"]; ok {
		t.Fatal("1.0.1 still listed after unpublish")
	}
	if doc["dist-tags"].(map[string]any)["latest"] != "1.0.0" {
		t.Fatalf("latest after unpublish = %v", doc["dist-tags"])
	}
	admin.MustFail(pkgDir(t, "stone", "1.0.1", nil), "E409", "publish")
	if st, _, _ := f.do(t, http.MethodGet, "stone/-/stone-1.0.1.tgz", f.srv.AdminToken, nil, nil); st != http.StatusNotFound {
		t.Fatalf("tarball of unpublished version: %d", st)
	}

	admin.Must(dir, "unpublish", "stone", "--force")
	if status, _ := f.packument(t, "stone", f.srv.AdminToken); status != http.StatusNotFound {
		t.Fatalf("packument after full unpublish: %d", status)
	}
	admin.MustFail(pkgDir(t, "stone", "1.0.0", nil), "E409", "publish")
	admin.publish(pkgDir(t, "stone", "1.0.2", nil))
}

func TestNPMAccess(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	priv, pub := "private", "public"
	if _, err := f.srv.Client.CreateRepo(ctx, f.org, client.RepoEdit{Name: "secret", Visibility: &priv}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.Client.CreateRepo(ctx, f.org, client.RepoEdit{Name: "open", Visibility: &pub}); err != nil {
		t.Fatal(err)
	}
	admin := f.npmAs(t, f.srv.AdminToken)
	admin.publish(pkgDir(t, "secret", "1.0.0", nil))
	admin.publish(pkgDir(t, "open", "1.0.0", nil))
	dir := t.TempDir()

	outsider, err := f.srv.Client.CreateUser(ctx, client.CreateUser{Name: "outsider"})
	if err != nil {
		t.Fatal(err)
	}
	readOnly, err := f.srv.Client.CreateToken(ctx, client.CreateToken{Name: "ro", Scopes: []string{"package:read"}})
	if err != nil {
		t.Fatal(err)
	}
	anon := f.npmAs(t, "")
	stranger := f.npmAs(t, outsider.Token.Secret)
	ro := f.npmAs(t, readOnly.Secret)

	anon.MustFail(dir, "E404", "view", "secret")
	stranger.MustFail(dir, "E404", "view", "secret")
	anon.MustFail(consumer(t), "E404", append([]string{"install", "secret"}, npmFlags...)...)
	if st, body, _ := f.do(t, http.MethodGet, "secret/-/secret-1.0.0.tgz", "", nil, nil); st != http.StatusNotFound {
		t.Fatalf("anonymous tarball download of a private package: %d %s", st, body)
	}
	if st, _, _ := f.do(t, http.MethodGet, "secret/-/secret-1.0.0.tgz", outsider.Token.Secret, nil, nil); st != http.StatusNotFound {
		t.Fatalf("non-member tarball download of a private package: %d", st)
	}

	proj := consumer(t)
	anon.Must(proj, append([]string{"install", "open"}, npmFlags...)...)
	if v := installedVersion(t, proj, "open"); v != "1.0.0" {
		t.Fatalf("open installed %s", v)
	}
	if out := ro.Must(dir, "view", "secret", "version"); strings.TrimSpace(out) != "1.0.0" {
		t.Fatalf("read token view: %q", out)
	}
	ro.MustFail(pkgDir(t, "secret", "1.0.1", nil), "E403", "publish")
	stranger.MustFail(pkgDir(t, "secret", "1.0.1", nil), "E404", "publish")
	anon.MustFail(pkgDir(t, "open", "1.0.1", nil), "ENEEDAUTH", "publish")
	openTgz := makeTarball(t, map[string]any{"name": "open", "version": "1.0.1"}, nil)
	if st, body, _ := f.do(t, http.MethodPut, "open", "", bytes.NewReader(publishDoc("open", "1.0.1", openTgz, nil)), nil); st != http.StatusUnauthorized {
		t.Fatalf("anonymous publish: %d %s", st, body)
	}
	if st, body, _ := f.do(t, http.MethodPut, "open", readOnly.Secret, bytes.NewReader(publishDoc("open", "1.0.1", openTgz, nil)), nil); st != http.StatusForbidden {
		t.Fatalf("read-token publish: %d %s", st, body)
	}
	if status, doc := f.packument(t, "secret", f.srv.AdminToken); status != http.StatusOK || len(doc["versions"].(map[string]any)) != 1 {
		t.Fatalf("refused publishes changed the packument: %d %v", status, doc["versions"])
	}

	if out := admin.Must(dir, "whoami"); strings.TrimSpace(out) != "admin" {
		t.Fatalf("whoami = %q", out)
	}
	if st, body, _ := f.do(t, http.MethodGet, "-/whoami", "", nil, nil); st != http.StatusUnauthorized {
		t.Fatalf("anonymous whoami: %d %s", st, body)
	}
	f.npmAs(t, "drok_bogus").MustFail(dir, "E401", "whoami")

	// search only lists what the caller can read
	st, body, _ := f.do(t, http.MethodGet, "-/v1/search?text=e&size=10", "", nil, nil)
	if st != http.StatusOK || !strings.Contains(string(body), `"name":"open"`) || strings.Contains(string(body), `"name":"secret"`) {
		t.Fatalf("anonymous search: %d %s", st, body)
	}
	if out := admin.Must(dir, "search", "secret", "--json"); !strings.Contains(out, `"secret"`) {
		t.Fatalf("admin search misses secret:\n%s", out)
	}
}

func TestNPMLoginEndpoints(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	body := strings.NewReader(`{"_id":"org.couchdb.user:admin","name":"admin","password":"pw","type":"user","roles":[]}`)
	st, resp, _ := f.do(t, http.MethodPut, "-/user/org.couchdb.user:admin", "", body, nil)
	if st != http.StatusUnauthorized || !strings.Contains(npmError(t, resp), "drok token create") {
		t.Fatalf("password login: %d %s", st, resp)
	}
	st, resp, _ = f.do(t, http.MethodPut, "-/user/org.couchdb.user:admin", f.srv.AdminToken, strings.NewReader(`{}`), nil)
	var ok struct {
		OK    bool   `json:"ok"`
		Token string `json:"token"`
	}
	if st != http.StatusCreated || json.Unmarshal(resp, &ok) != nil || !ok.OK || ok.Token != f.srv.AdminToken {
		t.Fatalf("token login: %d %s", st, resp)
	}
	if st, _, _ := f.do(t, http.MethodPost, "-/v1/login", "", strings.NewReader(`{}`), nil); st != http.StatusNotFound {
		t.Fatalf("web login: %d", st)
	}
	if st, _, _ := f.do(t, http.MethodGet, "-/whoami", "drok_notavalidtoken", nil, nil); st != http.StatusUnauthorized {
		t.Fatalf("whoami with a bad token: %d", st)
	}
	for _, p := range []string{"-/npm/v1/security/advisories/bulk", "-/npm/v1/security/audits/quick"} {
		if st, resp, _ := f.do(t, http.MethodPost, p, "", strings.NewReader(`{}`), nil); st != http.StatusOK || strings.TrimSpace(string(resp)) != "{}" {
			t.Fatalf("%s: %d %s", p, st, resp)
		}
	}
}

func TestNPMBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.srv.AdminToken
	good := makeTarball(t, map[string]any{"name": "victim", "version": "1.0.0"}, nil)
	if st, body, _ := f.do(t, http.MethodPut, "victim", tok, bytes.NewReader(publishDoc("victim", "1.0.0", good, nil)), nil); st != http.StatusCreated {
		t.Fatalf("good publish: %d %s", st, body)
	}
	_, before := f.packument(t, "victim", tok)

	other := makeTarball(t, map[string]any{"name": "victim", "version": "1.0.1"}, nil)
	changed := makeTarball(t, map[string]any{"name": "victim", "version": "1.0.0", "description": "other bytes"}, nil)
	liar := makeTarball(t, map[string]any{"name": "someone-else", "version": "1.0.1"}, nil)
	wrongVersion := makeTarball(t, map[string]any{"name": "victim", "version": "9.9.9"}, nil)
	traversal := makeTarball(t, map[string]any{"name": "victim", "version": "1.0.1"}, map[string]string{"package/../../evil.js": "x"})
	cases := []struct {
		name   string
		path   string
		body   []byte
		status int
		want   string
	}{
		{"malformed JSON", "victim", []byte(`{"name":"victim","versions":{`), 400, "malformed JSON"},
		{"trailing garbage", "victim", append(publishDoc("victim", "1.0.1", other, nil), []byte("xx")...), 400, "malformed JSON"},
		{"wrong integrity", "victim", publishDoc("victim", "1.0.1", other, func(_, m map[string]any) {
			m["dist"].(map[string]any)["integrity"] = "sha512-" + base64.StdEncoding.EncodeToString(make([]byte, 64))
		}), 400, "integrity"},
		{"wrong shasum", "victim", publishDoc("victim", "1.0.1", other, func(_, m map[string]any) {
			m["dist"].(map[string]any)["shasum"] = strings.Repeat("0", 40)
		}), 400, "shasum"},
		{"wrong length", "victim", publishDoc("victim", "1.0.1", other, func(d, _ map[string]any) {
			d["_attachments"].(map[string]any)["victim-1.0.1.tgz"].(map[string]any)["length"] = 3
		}), 400, "length"},
		{"bad base64", "victim", publishDoc("victim", "1.0.1", other, func(d, _ map[string]any) {
			d["_attachments"].(map[string]any)["victim-1.0.1.tgz"].(map[string]any)["data"] = "!!!not base64!!!"
		}), 400, "base64"},
		{"not a tarball", "victim", publishDoc("victim", "1.0.1", []byte("plain text, not gzip"), nil), 400, "gzip"},
		{"package.json names another package", "victim", publishDoc("victim", "1.0.1", liar, nil), 400, "inside the tarball"},
		{"package.json has another version", "victim", publishDoc("victim", "1.0.1", wrongVersion, nil), 400, "inside the tarball"},
		{"traversal entry in tarball", "victim", publishDoc("victim", "1.0.1", traversal, nil), 400, "leaves the package"},
		{"manifest name differs from URL", "victim", publishDoc("other-name", "1.0.1", other, nil), 400, "other-name"},
		{"invalid version", "victim", publishDoc("victim", "v1.0.1", other, nil), 400, "semantic version"},
		{"duplicate version", "victim", publishDoc("victim", "1.0.0", changed, nil), 409, "previously published"},
		{"traversal name", "..%2fx", publishDoc("../x", "1.0.0", good, nil), 400, "invalid package name"},
		{"dot-dot name", "%2e%2e", publishDoc("..", "1.0.0", good, nil), 400, "invalid package name"},
		{"control character name", "vic%01tim", publishDoc("vic\x01tim", "1.0.0", good, nil), 400, "invalid package name"},
		{"upper-case name", "Victim", publishDoc("Victim", "1.0.0", good, nil), 400, "capital"},
		{"300-character name", strings.Repeat("a", 300), publishDoc(strings.Repeat("a", 300), "1.0.0", good, nil), 400, "214"},
		{"bad scope", "@acme%2f..", publishDoc("@acme/..", "1.0.0", good, nil), 400, "invalid package name"},
	}
	for _, c := range cases {
		st, body, _ := f.do(t, http.MethodPut, c.path, tok, bytes.NewReader(c.body), nil)
		if st != c.status {
			t.Errorf("%s: status %d, want %d (%s)", c.name, st, c.status, body)
			continue
		}
		if msg := npmError(t, body); !strings.Contains(msg, c.want) {
			t.Errorf("%s: error %q does not mention %q", c.name, msg, c.want)
		}
	}
	_, after := f.packument(t, "victim", tok)
	if before["_rev"] != after["_rev"] || len(after["versions"].(map[string]any)) != 1 {
		t.Fatalf("refused publishes changed the packument: rev %v → %v, versions %v", before["_rev"], after["_rev"], after["versions"])
	}
	for _, n := range []string{"someone-else", "other-name"} {
		if st, _ := f.packument(t, n, tok); st != http.StatusNotFound {
			t.Fatalf("%s exists after refused publishes: %d", n, st)
		}
	}
	// the refused 1.0.1 was not burned
	if st, body, _ := f.do(t, http.MethodPut, "victim", tok, bytes.NewReader(publishDoc("victim", "1.0.1", other, nil)), nil); st != http.StatusCreated {
		t.Fatalf("publish 1.0.1 after refusals: %d %s", st, body)
	}
	// a byte-identical retry succeeds without a change
	if st, body, _ := f.do(t, http.MethodPut, "victim", tok, bytes.NewReader(publishDoc("victim", "1.0.1", other, nil)), nil); st != http.StatusOK {
		t.Fatalf("identical retry: %d %s", st, body)
	}
}

func TestNPMPackumentCachingAndAbbreviated(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.srv.AdminToken
	for _, v := range []string{"1.0.0", "1.1.0"} {
		tgz := makeTarball(t, map[string]any{"name": "@acme/cached", "version": v, "scripts": map[string]string{"postinstall": "true"}}, nil)
		if st, body, _ := f.do(t, http.MethodPut, "@acme%2fcached", tok, bytes.NewReader(publishDoc("@acme/cached", v, tgz, nil)), nil); st != http.StatusCreated {
			t.Fatalf("publish %s: %d %s", v, st, body)
		}
	}
	st, body, hdr := f.do(t, http.MethodGet, "@acme/cached", tok, nil, map[string]string{"Accept": "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"})
	if st != http.StatusOK || hdr.Get("Content-Type") != "application/vnd.npm.install-v1+json" {
		t.Fatalf("abbreviated: %d %s", st, hdr.Get("Content-Type"))
	}
	var corgi struct {
		Name     string
		Modified string
		DistTags map[string]string `json:"dist-tags"`
		Versions map[string]map[string]any
	}
	if err := json.Unmarshal(body, &corgi); err != nil || corgi.Name != "@acme/cached" || corgi.DistTags["latest"] != "1.1.0" || corgi.Modified == "" {
		t.Fatalf("abbreviated doc: %v %s", err, body)
	}
	v := corgi.Versions["1.0.0"]
	if v["hasInstallScript"] != true || v["dist"] == nil || v["description"] != nil || v["_id"] != nil {
		t.Fatalf("abbreviated version fields: %v", v)
	}

	st, _, hdr = f.do(t, http.MethodGet, "@acme%2fcached", tok, nil, nil)
	etag := hdr.Get("ETag")
	if st != http.StatusOK || etag == "" {
		t.Fatalf("full: %d etag %q", st, etag)
	}
	if st, _, _ := f.do(t, http.MethodGet, "@acme%2fcached", tok, nil, map[string]string{"If-None-Match": etag}); st != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d", st)
	}
	if _, err := f.srv.Client.Yank(context.Background(), "npm", f.org, client.YankRequest{Name: "@acme/cached", Version: "1.1.0", Yank: true}); err != nil {
		t.Fatal(err)
	}
	st, body, hdr = f.do(t, http.MethodGet, "@acme%2fcached", tok, nil, map[string]string{"If-None-Match": etag})
	if st != http.StatusOK || hdr.Get("ETag") == etag || !strings.Contains(string(body), `"deprecated":"yanked"`) {
		t.Fatalf("after yank: %d etag %q", st, hdr.Get("ETag"))
	}
	st, body, _ = f.do(t, http.MethodGet, "@acme%2fcached/latest", tok, nil, nil)
	if st != http.StatusOK || !strings.Contains(string(body), `"version":"1.0.0"`) {
		t.Fatalf("GET name/latest: %d %s", st, body)
	}
	if st, body, _ := f.do(t, http.MethodGet, "-/package/@acme%2fcached/dist-tags", tok, nil, nil); st != http.StatusOK || !strings.Contains(string(body), `"latest":"1.0.0"`) {
		t.Fatalf("dist-tags: %d %s", st, body)
	}
	// the REST fallthrough serves what npm does not claim
	if st, body, _ := f.do(t, http.MethodDelete, "@acme%2fcached/1.0.0", tok, nil, nil); st != http.StatusNoContent {
		t.Fatalf("REST delete via fallthrough: %d %s", st, body)
	}
	if st, _, _ := f.do(t, http.MethodGet, "@acme%2fcached/1.0.0", tok, nil, nil); st != http.StatusNotFound {
		t.Fatalf("deleted version still served: %d", st)
	}
}

func TestNPMPublishFileThroughREST(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tgz := makeTarball(t, map[string]any{"name": "from-rest", "version": "0.3.0", "description": "via drok package publish"}, map[string]string{"package/index.js": "module.exports = 3\n"})
	res, err := f.srv.Client.Publish(context.Background(), f.org, "npm", "from-rest-0.3.0.tgz", bytes.NewReader(tgz))
	if err != nil {
		t.Fatalf("REST publish: %v", err)
	}
	if res.Name != "from-rest" || res.Version != "0.3.0" || len(res.Files) != 1 {
		t.Fatalf("published: %+v", res)
	}
	admin := f.npmAs(t, f.srv.AdminToken)
	proj := consumer(t)
	admin.Must(proj, append([]string{"install", "from-rest"}, npmFlags...)...)
	if v := installedVersion(t, proj, "from-rest"); v != "0.3.0" {
		t.Fatalf("installed %s", v)
	}
	if out := admin.Must(t.TempDir(), "view", "from-rest", "description"); strings.TrimSpace(out) != "via drok package publish" {
		t.Fatalf("view description: %q", out)
	}
}

func TestNPMConcurrentPublishOneWinner(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const n = 16
	docs := make([][]byte, n)
	shas := make([]string, n)
	for i := range n {
		tgz := makeTarball(t, map[string]any{"name": "race", "version": "1.0.0", "description": fmt.Sprintf("contender %d", i)}, nil)
		docs[i] = publishDoc("race", "1.0.0", tgz, nil)
		shas[i] = fmt.Sprintf("%x", sha256Sum(tgz))
	}
	statuses := make([]int, n)
	done := make(chan int)
	for i := range n {
		go func() {
			st, _, _ := f.do(t, http.MethodPut, "race", f.srv.AdminToken, bytes.NewReader(docs[i]), nil)
			statuses[i] = st
			done <- i
		}()
	}
	winner := -1
	for range n {
		<-done
	}
	for i, st := range statuses {
		switch st {
		case http.StatusCreated:
			if winner >= 0 {
				t.Fatalf("two publishes of race@1.0.0 succeeded: %v", statuses)
			}
			winner = i
		case http.StatusConflict:
		default:
			t.Fatalf("publish %d: status %d", i, st)
		}
	}
	if winner < 0 {
		t.Fatalf("no publish succeeded: %v", statuses)
	}
	_, body, _ := f.do(t, http.MethodGet, "race", f.srv.AdminToken, nil, nil)
	var doc struct {
		Drok client.Package `json:"drok"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || len(doc.Drok.Versions) != 1 || doc.Drok.Versions[0].Files[0].SHA256 != shas[winner] {
		t.Fatalf("stored bytes are not the winner's: %v %+v", err, doc.Drok.Versions)
	}
}

func sha256Sum(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

func TestNPMOversizedBody(t *testing.T) {
	t.Parallel()
	f := newFixture(t, daemontest.WithMaxBody(64<<10))
	tgz := makeTarball(t, map[string]any{"name": "huge", "version": "1.0.0"}, map[string]string{"package/blob": randomText(200 << 10)})
	doc := publishDoc("huge", "1.0.0", tgz, nil)
	// with Content-Length the daemon refuses up front; streamed (chunked)
	// bodies hit the limit inside the npm handler
	for _, body := range []io.Reader{bytes.NewReader(doc), io.MultiReader(bytes.NewReader(doc))} {
		st, resp, _ := f.do(t, http.MethodPut, "huge", f.srv.AdminToken, body, nil)
		if st != http.StatusRequestEntityTooLarge || !strings.Contains(npmError(t, resp), "larger than") {
			t.Fatalf("oversized publish: %d %s", st, resp)
		}
	}
	if st, _ := f.packument(t, "huge", f.srv.AdminToken); st != http.StatusNotFound {
		t.Fatalf("oversized publish left a package: %d", st)
	}
}

// randomText returns n bytes that do not compress well.
func randomText(n int) string {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte('a' + x%26)
	}
	return string(b)
}

func TestNPMDeprecateKeepsYank(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.npmAs(t, f.srv.AdminToken)
	admin.publish(pkgDir(t, "mixed", "1.0.0", nil))
	admin.publish(pkgDir(t, "mixed", "1.1.0", nil))
	ctx := context.Background()
	if _, err := f.srv.Client.Yank(ctx, "npm", f.org, client.YankRequest{Name: "mixed", Version: "1.1.0", Yank: true, Reason: "bad release"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	admin.Must(dir, "deprecate", "mixed@1.0.0", "please upgrade")
	_, doc := f.packument(t, "mixed", f.srv.AdminToken)
	vs := doc["versions"].(map[string]any)
	if vs["1.0.0"].(map[string]any)["deprecated"] != "please upgrade" || vs["1.1.0"].(map[string]any)["deprecated"] != "bad release" {
		t.Fatalf("deprecations: %v / %v", vs["1.0.0"], vs["1.1.0"])
	}
	// unyanking restores 1.1.0 fully: the deprecate round trip did not
	// turn the yank reason into a stored deprecation
	if _, err := f.srv.Client.Yank(ctx, "npm", f.org, client.YankRequest{Name: "mixed", Version: "1.1.0", Yank: false}); err != nil {
		t.Fatal(err)
	}
	_, doc = f.packument(t, "mixed", f.srv.AdminToken)
	if d := doc["versions"].(map[string]any)["1.1.0"].(map[string]any)["deprecated"]; d != nil {
		t.Fatalf("1.1.0 still deprecated after unyank: %v", d)
	}
	// metadata PUTs cannot add versions, and a stale -rev is refused
	tok := f.srv.AdminToken
	st, body, _ := f.do(t, http.MethodPut, "mixed", tok, strings.NewReader(`{"name":"mixed","versions":{"9.0.0":{"name":"mixed","version":"9.0.0"}}}`), nil)
	if st != http.StatusBadRequest || !strings.Contains(npmError(t, body), "tarball") {
		t.Fatalf("metadata PUT adding a version: %d %s", st, body)
	}
	st, body, _ = f.do(t, http.MethodPut, "mixed/-rev/1", tok, strings.NewReader(`{"name":"mixed","versions":{}}`), nil)
	if st != http.StatusConflict {
		t.Fatalf("stale -rev PUT: %d %s", st, body)
	}
	if _, doc := f.packument(t, "mixed", tok); len(doc["versions"].(map[string]any)) != 2 {
		t.Fatal("stale -rev PUT deleted versions")
	}
	if st, _, hdr := f.do(t, http.MethodHead, "mixed", tok, nil, nil); st != http.StatusOK || hdr.Get("ETag") == "" {
		t.Fatalf("HEAD packument: %d", st)
	}
}

// TestNPMEarlyRefusalOfLargePublish checks that npm shows the registry's
// error (not a broken pipe) when a multi-megabyte publish is refused
// before its body was read.
func TestNPMEarlyRefusalOfLargePublish(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	readOnly, err := f.srv.Client.CreateToken(ctx, client.CreateToken{Name: "ro", Scopes: []string{"package:read"}})
	if err != nil {
		t.Fatal(err)
	}
	admin := f.npmAs(t, f.srv.AdminToken)
	small := pkgDir(t, "heavy", "1.0.0", nil)
	admin.publish(small)
	big := pkgDir(t, "heavy", "1.0.0", nil)
	if err := os.WriteFile(filepath.Join(big, "blob.txt"), []byte(randomText(6<<20)), 0o644); err != nil {
		t.Fatal(err)
	}
	admin.MustFail(big, "E409", "publish", "--force")
	f.npmAs(t, readOnly.Secret).MustFail(big, "E403", "publish", "--force")
}
