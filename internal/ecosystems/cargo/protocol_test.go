package cargo_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/drok-dev/drok/internal/daemon/client"
)

func publish(t *testing.T, f *fixture, token string, meta any, crate []byte) (int, string) {
	t.Helper()
	return do(t, http.MethodPut, f.index+"api/v1/crates/new", token, publishBody(t, meta, crate), nil)
}

// dataFiles lists the daemon's stored files except the index database,
// so tests can prove that a refused publish left nothing behind.
func dataFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !strings.HasSuffix(p, ".db") && !strings.Contains(p, "token") {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestConfigJSON(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin := f.srv.AdminToken
	// Empty org: auth required (nothing public to read anonymously).
	if st, _ := get(t, f.index+"config.json", "", nil); st != http.StatusUnauthorized {
		t.Fatalf("anonymous config.json of an empty org: %d, want 401", st)
	}
	st, body, hdr := doResp(t, http.MethodGet, f.index+"config.json", "", nil, nil)
	if st != http.StatusUnauthorized || !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Cargo") || !strings.Contains(body, `"detail"`) {
		t.Fatalf("challenge: %d %v %s", st, hdr, body)
	}
	var cfg struct {
		DL           string `json:"dl"`
		API          string `json:"api"`
		AuthRequired bool   `json:"auth-required"`
	}
	st, body = get(t, f.index+"config.json", admin, nil)
	if err := json.Unmarshal([]byte(body), &cfg); st != 200 || err != nil || !cfg.AuthRequired ||
		cfg.API != f.srv.URL+"/api/v1/packages/cargo/acme" || cfg.DL != cfg.API+"/api/v1/crates" {
		t.Fatalf("config.json: %d %s", st, body)
	}
	// One public crate, nothing else: anonymous readers are welcome.
	pub := "public"
	if _, err := f.srv.Client.CreateRepo(ctx, f.org, client.RepoEdit{Name: "pubcrate", Visibility: &pub}); err != nil {
		t.Fatal(err)
	}
	if st, b := publish(t, f, admin, newCrateJSON("pubcrate", "1.0.0"), simpleCrate(t, "pubcrate", "1.0.0", "")); st != 200 {
		t.Fatalf("publish: %d %s", st, b)
	}
	st, body = get(t, f.index+"config.json", "", nil)
	if st != 200 || !strings.Contains(body, `"auth-required":false`) {
		t.Fatalf("anonymous config.json of a public org: %d %s", st, body)
	}
	if st, _ := get(t, f.index+"pu/bc/pubcrate", "", nil); st != 200 {
		t.Fatalf("anonymous public index file: %d", st)
	}
	// A missing crate in an open org is a plain 404 for anonymous cargo.
	if st, _ := get(t, f.index+"mi/ss/missing", "", nil); st != http.StatusNotFound {
		t.Fatalf("anonymous missing crate: %d, want 404", st)
	}
	// A private crate appears: auth is required again.
	if st, b := publish(t, f, admin, newCrateJSON("secret", "1.0.0"), simpleCrate(t, "secret", "1.0.0", "")); st != 200 {
		t.Fatalf("publish: %d %s", st, b)
	}
	if st, _ := get(t, f.index+"config.json", "", nil); st != http.StatusUnauthorized {
		t.Fatalf("anonymous config.json with a private crate: %d, want 401", st)
	}
	if st, _ := get(t, f.index+"se/cr/secret", "", nil); st != http.StatusUnauthorized {
		t.Fatalf("anonymous private index file: %d, want 401", st)
	}
	// Unknown org: anonymous 401 (nothing revealed), token 404.
	other := f.srv.URL + "/api/v1/packages/cargo/nope/config.json"
	if st, _ := get(t, other, "", nil); st != http.StatusUnauthorized {
		t.Fatalf("anonymous unknown org: %d", st)
	}
	if st, _ := get(t, other, admin, nil); st != http.StatusNotFound {
		t.Fatalf("unknown org: %d", st)
	}
	if st, _ := get(t, f.index+"config.json", "drok_bogus", nil); st != http.StatusUnauthorized {
		t.Fatalf("bad token: %d", st)
	}
}

func TestIndexConditionalAndPaths(t *testing.T) {
	f := newFixture(t)
	admin := f.srv.AdminToken
	for _, c := range []struct{ name, path string }{
		{"a", "1/a"}, {"ab", "2/ab"}, {"abc", "3/a/abc"}, {"Abcd_E", "ab/cd/abcd_e"},
	} {
		if st, b := publish(t, f, admin, newCrateJSON(c.name, "0.1.0"), simpleCrate(t, c.name, "0.1.0", "")); st != 200 {
			t.Fatalf("publish %s: %d %s", c.name, st, b)
		}
		st, body, hdr := doResp(t, http.MethodGet, f.index+c.path, admin, nil, nil)
		if st != 200 || !strings.Contains(body, `"name":"`+c.name+`"`) {
			t.Fatalf("%s: %d %s", c.path, st, body)
		}
		etag, lm := hdr.Get("ETag"), hdr.Get("Last-Modified")
		if etag == "" || lm == "" {
			t.Fatalf("%s: no ETag/Last-Modified: %v", c.path, hdr)
		}
		if st, _ := get(t, f.index+c.path, admin, map[string]string{"If-None-Match": etag}); st != http.StatusNotModified {
			t.Errorf("%s If-None-Match: %d", c.path, st)
		}
		if st, _ := get(t, f.index+c.path, admin, map[string]string{"If-Modified-Since": lm}); st != http.StatusNotModified {
			t.Errorf("%s If-Modified-Since: %d", c.path, st)
		}
	}
	// Other spellings and wrong prefixes are not index files.
	for _, p := range []string{"ab/cd/Abcd_E", "ab/cd/abcd-e", "xx/cd/abcd_e", "3/b/abc", "2/a", "ab/c/abcd_e"} {
		if st, _ := get(t, f.index+p, admin, nil); st != http.StatusNotFound && st != http.StatusBadRequest {
			t.Errorf("GET %s: %d, want 404 (or 400 from the REST API)", p, st)
		}
	}
	// Clients that accept gzip get it (with its own ETag).
	for i := range 30 {
		v := fmt.Sprintf("0.2.%d", i)
		if st, b := publish(t, f, admin, newCrateJSON("abc", v), simpleCrate(t, "abc", v, "")); st != 200 {
			t.Fatalf("publish: %d %s", st, b)
		}
	}
	plainStatus, plain, plainHdr := doResp(t, http.MethodGet, f.index+"3/a/abc", admin, nil, map[string]string{"Accept-Encoding": "identity"})
	st, gz, gzHdr := doResp(t, http.MethodGet, f.index+"3/a/abc", admin, nil, map[string]string{"Accept-Encoding": "br;q=1.0, gzip;q=0.8"})
	zr, err := gzip.NewReader(strings.NewReader(gz))
	if err != nil || plainStatus != 200 || st != 200 || gzHdr.Get("Content-Encoding") != "gzip" || gzHdr.Get("ETag") == plainHdr.Get("ETag") ||
		gzHdr.Get("Vary") != "Accept-Encoding" || len(gz) >= len(plain) {
		t.Fatalf("gzip variant: %d %v %v", st, gzHdr, err)
	}
	if unz, _ := io.ReadAll(zr); string(unz) != plain {
		t.Fatal("gzip variant differs from the plain file")
	}
	if st, _ := get(t, f.index+"3/a/abc", admin, map[string]string{"Accept-Encoding": "gzip", "If-None-Match": gzHdr.Get("ETag")}); st != http.StatusNotModified {
		t.Fatalf("gzip If-None-Match: %d", st)
	}
	if _, _, h := doResp(t, http.MethodGet, f.index+"3/a/abc", admin, nil, map[string]string{"Accept-Encoding": "gzip;q=0"}); h.Get("Content-Encoding") != "" {
		t.Fatal("gzip;q=0 got gzip")
	}
	// A yank changes the file and its ETag.
	_, _, hdr := doResp(t, http.MethodGet, f.index+"3/a/abc", admin, nil, nil)
	if st, b := do(t, http.MethodDelete, f.index+"api/v1/crates/abc/0.1.0/yank", admin, nil, nil); st != 200 || b != `{"ok":true}` {
		t.Fatalf("yank: %d %s", st, b)
	}
	st, body, hdr2 := doResp(t, http.MethodGet, f.index+"3/a/abc", admin, nil, map[string]string{"If-None-Match": hdr.Get("ETag")})
	if st != 200 || !strings.Contains(body, `"yanked":true`) || hdr2.Get("ETag") == hdr.Get("ETag") {
		t.Fatalf("after yank: %d %s", st, body)
	}
	// Yanked versions still download.
	st, body = get(t, f.index+"api/v1/crates/abc/0.1.0/download", admin, nil)
	if sum := sha256.Sum256([]byte(body)); st != 200 || !strings.Contains(get2(t, f.index+"3/a/abc", admin), hex.EncodeToString(sum[:])) {
		t.Fatalf("download of yanked: %d", st)
	}
}

func get2(t *testing.T, url, token string) string {
	_, b := get(t, url, token, nil)
	return b
}

// TestPublishRules: the public Rust registry's name and version rules.
func TestPublishRules(t *testing.T) {
	f := newFixture(t)
	admin := f.srv.AdminToken
	ok := func(name, v string) {
		t.Helper()
		if st, b := publish(t, f, admin, newCrateJSON(name, v), simpleCrate(t, name, v, "")); st != 200 {
			t.Fatalf("publish %s@%s: %d %s", name, v, st, b)
		}
	}
	refused := func(name, v, want string, status int) {
		t.Helper()
		st, b := publish(t, f, admin, newCrateJSON(name, v), simpleCrate(t, name, v, "other"))
		if st != status || !strings.Contains(b, want) {
			t.Fatalf("publish %s@%s: %d %s, want %d %q", name, v, st, b, status, want)
		}
	}
	ok("foo_bar", "1.0.0+a")
	refused("foo_bar", "1.0.0+b", "build metadata", http.StatusConflict)
	refused("Foo-Bar", "1.1.0", "already published as", http.StatusConflict)
	refused("foo_bar", "1.0.0+a", "already uploaded", http.StatusConflict)
	refused("foo_bar", "v1.2.0", "not a semantic version", http.StatusBadRequest)
	refused("foo_bar", "1.2", "not a semantic version", http.StatusBadRequest)
	// An identical retry succeeds without a second version.
	ok("foo_bar", "1.0.0+a")
	ok("foo_bar", "1.1.0")
	body := get2(t, f.index+"fo/o_/foo_bar", admin)
	if strings.Count(body, "\n") != 2 {
		t.Fatalf("index:\n%s", body)
	}
	// Delete leaves a tombstone: never again.
	if err := f.srv.Client.DeleteVersion(context.Background(), "cargo", f.org, "foo_bar", "1.1.0"); err != nil {
		t.Fatal(err)
	}
	if body := get2(t, f.index+"fo/o_/foo_bar", admin); strings.Count(body, "\n") != 1 || strings.Contains(body, `"1.1.0"`) {
		t.Fatalf("index after delete:\n%s", body)
	}
	refused("foo_bar", "1.1.0", "deleted", http.StatusConflict)
	refused("foo_bar", "1.1.0+x", "build metadata", http.StatusConflict)
	// A read token cannot publish or yank.
	tk, err := f.srv.Client.CreateToken(context.Background(), client.CreateToken{Name: "ro", Scopes: []string{"package:read"}})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := publish(t, f, tk.Secret, newCrateJSON("foo_bar", "3.0.0"), simpleCrate(t, "foo_bar", "3.0.0", "")); st != http.StatusForbidden {
		t.Fatalf("read token publish: %d", st)
	}
	if st, _ := do(t, http.MethodDelete, f.index+"api/v1/crates/foo_bar/1.0.0+a/yank", tk.Secret, nil, nil); st != http.StatusForbidden {
		t.Fatalf("read token yank: %d", st)
	}
	if st, _ := do(t, http.MethodDelete, f.index+"api/v1/crates/foo_bar/9.9.9/yank", admin, nil, nil); st != http.StatusNotFound {
		t.Fatalf("yank of a missing version: %d", st)
	}
}

// TestBadInputChangesNothing: each malformed publish is a clear 4xx in
// cargo's format, stores no file and burns no version (the same version
// publishes fine afterwards).
func TestBadInputChangesNothing(t *testing.T) {
	f := newFixture(t)
	admin := f.srv.AdminToken
	const name, v = "victim", "1.0.0"
	root := name + "-" + v + "/"
	good := simpleCrate(t, name, v, "")
	meta := newCrateJSON(name, v)
	withDep := newCrateJSON(name, v)
	withDep["deps"] = []any{map[string]any{"name": "serde", "version_req": "^1", "kind": "normal", "features": []string{},
		"optional": false, "default_features": true}}
	frame := func(m any, crate []byte) []byte { return publishBody(t, m, crate) }
	cases := []struct {
		name string
		body []byte
		want string
		code int
	}{
		{"truncated crate", frame(meta, good[:len(good)/2]), "truncated", 400},
		{"framing shorter than announced", frame(meta, good)[:len(frame(meta, good))-10], "truncated", 400},
		{"data after the crate", append(frame(meta, good), 'x'), "data after the crate", 400},
		{"not gzip", frame(meta, []byte("hello, world")), "not a gzip file", 400},
		{"Cargo.toml version differs", frame(meta, makeCrate(t, []tarEntry{{name: root + "Cargo.toml", body: simpleToml(name, "9.9.9")}})), "disagrees with Cargo.toml", 400},
		{"Cargo.toml name differs", frame(meta, makeCrate(t, []tarEntry{{name: root + "Cargo.toml", body: simpleToml("other", v)}})), "disagrees with Cargo.toml", 400},
		{"dependency missing from Cargo.toml", frame(withDep, good), "not in Cargo.toml", 400},
		{"../ entry", frame(meta, makeCrate(t, []tarEntry{{name: root + "Cargo.toml", body: simpleToml(name, v)}, {name: root + "../evil.rs", body: "x"}})), "leaves the crate directory", 400},
		{"absolute entry", frame(meta, makeCrate(t, []tarEntry{{name: "/etc/passwd", body: "x"}})), "absolute path", 400},
		{"symlink escaping", frame(meta, makeCrate(t, []tarEntry{{name: root + "Cargo.toml", body: simpleToml(name, v)}, {name: root + "l", typeflag: tar.TypeSymlink, link: "../../etc"}})), "is a link", 400},
		{"entries outside the root", frame(meta, makeCrate(t, []tarEntry{{name: root + "Cargo.toml", body: simpleToml(name, v)}, {name: "other-1.0.0/x", body: "x"}})), "outside", 400},
		{"wrong root directory", frame(meta, makeCrate(t, []tarEntry{{name: "victim-2.0.0/Cargo.toml", body: simpleToml(name, v)}})), "expected victim-1.0.0/", 400},
		{"duplicate entry", frame(meta, makeCrate(t, []tarEntry{{name: root + "Cargo.toml", body: simpleToml(name, v)}, {name: root + "Cargo.toml", body: simpleToml(name, v)}})), "duplicate", 400},
		{"no Cargo.toml", frame(meta, makeCrate(t, []tarEntry{{name: root + "src/lib.rs", body: "x"}})), "no Cargo.toml", 400},
		{"control characters in the name", frame(newCrateJSON("vic\x01tim", v), good), "invalid crate name", 400},
		{"name with a slash", frame(newCrateJSON("../victim", v), good), "invalid crate name", 400},
		{"metadata not JSON", append([]byte{3, 0, 0, 0}, []byte("{{{")...), "not valid JSON", 400},
		{"huge metadata length", []byte{0xff, 0xff, 0xff, 0x7f}, "limit", 413},
		{"huge crate length", append(frame(meta, nil)[:len(frame(meta, nil))-4], 0xff, 0xff, 0xff, 0xff), "limit", 413},
	}
	before := dataFiles(t, f.srv.DataDir)
	for _, c := range cases {
		st, body := do(t, http.MethodPut, f.index+"api/v1/crates/new", admin, c.body, nil)
		if st != c.code || !strings.Contains(body, c.want) || !strings.HasPrefix(body, `{"errors":[{"detail":`) {
			t.Errorf("%s: %d %s, want %d containing %q", c.name, st, body, c.code, c.want)
		}
	}
	if after := dataFiles(t, f.srv.DataDir); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("refused publishes left files:\nbefore %v\nafter %v", before, after)
	}
	if st, _ := get(t, f.index+"vi/ct/victim", admin, nil); st != http.StatusNotFound {
		t.Errorf("victim exists after refused publishes: %d", st)
	}
	if st, b := publish(t, f, admin, meta, good); st != 200 {
		t.Fatalf("the version was burned: %d %s", st, b)
	}
}

// TestConcurrentPublish is RELIABILITY 1: 16 publishes of one crate
// version with different bytes, exactly one winner whose bytes are served.
func TestConcurrentPublish(t *testing.T) {
	f := newFixture(t)
	const n = 16
	var wg sync.WaitGroup
	codes := make([]int, n)
	crates := make([][]byte, n)
	for i := range n {
		crates[i] = simpleCrate(t, "race", "1.0.0", strings.Repeat("x", i+1))
	}
	for i := range n {
		wg.Go(func() {
			codes[i], _ = publish(t, f, f.srv.AdminToken, newCrateJSON("race", "1.0.0"), crates[i])
		})
	}
	wg.Wait()
	winner := -1
	for i, c := range codes {
		switch c {
		case 200:
			if winner >= 0 {
				t.Fatalf("two winners: %v", codes)
			}
			winner = i
		case http.StatusConflict:
		default:
			t.Fatalf("unexpected status %d in %v", c, codes)
		}
	}
	if winner < 0 {
		t.Fatalf("no winner: %v", codes)
	}
	idx := get2(t, f.index+"ra/ce/race", f.srv.AdminToken)
	sum := sha256.Sum256(crates[winner])
	if strings.Count(idx, "\n") != 1 || !strings.Contains(idx, hex.EncodeToString(sum[:])) {
		t.Fatalf("index:\n%s", idx)
	}
	_, dl := get(t, f.index+"api/v1/crates/race/1.0.0/download", f.srv.AdminToken, nil)
	if !bytes.Equal([]byte(dl), crates[winner]) {
		t.Fatal("download is not the winner's crate")
	}
}

// TestPublishFile: `drok package publish x.crate` reads the metadata from
// the crate's Cargo.toml.
func TestPublishFile(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	root := "filed-0.2.0/"
	toml := `[package]
name = "filed"
version = "0.2.0"
links = "z"
rust-version = "1.70"

[dependencies.helper]
version = "^1.0"
package = "base"
registry-index = "sparse+` + f.index + `"
features = ["x"]

[target."cfg(unix)".dev-dependencies]
other = { version = "2", registry-index = "sparse+http://127.0.0.1:1/elsewhere/" }

[features]
default = ["helper/x"]
opt = ["dep:helper"]
`
	crate := makeCrate(t, []tarEntry{{name: root + "Cargo.toml", body: toml}, {name: root + "src/lib.rs", body: ""}})
	res, err := f.srv.Client.Publish(ctx, f.org, "", "filed-0.2.0.crate", bytes.NewReader(crate))
	if err != nil {
		t.Fatal(err)
	}
	if res.Ecosystem != "cargo" || res.Name != "filed" || res.Version != "0.2.0" {
		t.Fatalf("published %+v", res)
	}
	line := get2(t, f.index+"fi/le/filed", f.srv.AdminToken)
	want := `"deps":[{"name":"helper","req":"^1.0","features":["x"],"optional":false,"default_features":true,"target":null,"kind":"normal","package":"base"},` +
		`{"name":"other","req":"2","features":[],"optional":false,"default_features":true,"target":"cfg(unix)","kind":"dev","registry":"sparse+http://127.0.0.1:1/elsewhere/"}]`
	for _, w := range []string{want, `"features":{"default":["helper/x"]},"features2":{"opt":["dep:helper"]}`, `"links":"z","v":2,"rust_version":"1.70"}`} {
		if !strings.Contains(line, w) {
			t.Fatalf("entry %s\nlacks %s", line, w)
		}
	}
	// A dependency on cargo's default registry cannot be recorded.
	bad := makeCrate(t, []tarEntry{{name: "nodeps-1.0.0/Cargo.toml", body: simpleToml("nodeps", "1.0.0") + "\n[dependencies]\nserde = \"1\"\n"}})
	_, err = f.srv.Client.Publish(ctx, f.org, "", "nodeps-1.0.0.crate", bytes.NewReader(bad))
	if err == nil || !strings.Contains(err.Error(), "default registry") {
		t.Fatalf("crate with a default-registry dependency: %v", err)
	}
	// Through the shared access fixture's principal kinds: anonymous refused.
	if _, err := f.srv.As("").Publish(ctx, f.org, "", "filed-0.3.0.crate", bytes.NewReader(crate)); err == nil {
		t.Fatal("anonymous REST publish succeeded")
	}
}

// TestOwners: cargo's owners map to admin collaborators of the crate's
// linked repository (plus the org's owners).
func TestOwners(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin := f.srv.AdminToken
	priv := "private"
	if _, err := f.srv.Client.CreateRepo(ctx, f.org, client.RepoEdit{Name: "linked", Visibility: &priv}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.Client.CreateUser(ctx, client.CreateUser{Name: "bob"}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"linked", "loose"} {
		if st, b := publish(t, f, admin, newCrateJSON(n, "1.0.0"), simpleCrate(t, n, "1.0.0", "")); st != 200 {
			t.Fatalf("publish %s: %d %s", n, st, b)
		}
	}
	owners := f.index + "api/v1/crates/linked/owners"
	if st, b := get(t, owners, admin, nil); st != 200 || b != `{"users":[{"id":1,"login":"admin","name":null,"kind":"user"}]}` {
		t.Fatalf("owners: %d %s", st, b)
	}
	if st, b := do(t, http.MethodPut, owners, admin, []byte(`{"users":["bob"]}`), nil); st != 200 || !strings.Contains(b, `"ok":true`) {
		t.Fatalf("add: %d %s", st, b)
	}
	if st, b := get(t, owners, admin, nil); st != 200 || !strings.Contains(b, `"login":"bob"`) {
		t.Fatalf("owners after add: %d %s", st, b)
	}
	r, err := f.srv.Client.Repo(ctx, f.org, "linked")
	if err != nil || !slices.Contains(r.Collaborators, client.Collaborator{User: "bob", Permission: "admin"}) {
		t.Fatalf("bob is not an admin collaborator: %+v %v", r, err)
	}
	for _, c := range []struct{ method, url, body, want string }{
		{http.MethodPut, owners, `{"users":["nobody"]}`, "no user"},
		{http.MethodDelete, owners, `{"users":["admin"]}`, "owns org"},
		{http.MethodPut, f.index + "api/v1/crates/loose/owners", `{"users":["bob"]}`, "not linked"},
		{http.MethodPut, owners, `{"users":[]}`, "1 to 100"},
	} {
		if st, b := do(t, c.method, c.url, admin, []byte(c.body), nil); st != 400 || !strings.Contains(b, c.want) {
			t.Errorf("%s %s %s: %d %s, want 400 %q", c.method, c.url, c.body, st, b, c.want)
		}
	}
	if st, b := do(t, http.MethodDelete, owners, admin, []byte(`{"users":["bob"]}`), nil); st != 200 {
		t.Fatalf("remove: %d %s", st, b)
	}
	if st, b := get(t, owners, admin, nil); st != 200 || strings.Contains(b, "bob") {
		t.Fatalf("owners after remove: %d %s", st, b)
	}
}
