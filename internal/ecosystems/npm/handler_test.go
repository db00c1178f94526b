package npm

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
	"github.com/drok-dev/drok/internal/store/blob"
	"github.com/drok-dev/drok/internal/store/bolt"
)

// testEnv is an npm handler over a real bolt index and blob store.
type testEnv struct {
	env *ecosystems.Env
	h   *handler
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	dir := t.TempDir()
	idx, err := bolt.Open(filepath.Join(dir, "index.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	blobs, err := blob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	err = idx.Update(context.Background(), func(tx store.Tx) error {
		return tx.PutOrg(store.Org{Name: "acme", Created: time.Now(), Members: map[string]store.Role{"alice": store.RoleOwner, "bob": store.RoleMember}})
	})
	if err != nil {
		t.Fatal(err)
	}
	p := ecosystems.NewPipeline(idx, blobs)
	e := New()
	p.Register(e)
	env := &ecosystems.Env{BaseURL: "http://drok.test", Pipeline: p}
	return &testEnv{env: env, h: e.Handler(env).(*handler)}
}

var (
	alice = ecosystems.Principal{User: "alice", Scopes: []string{store.ScopeAdmin}}
	carol = ecosystems.Principal{User: "carol", Scopes: []string{store.ScopeAdmin}} // not a member
)

func (te *testEnv) do(pr ecosystems.Principal, method, rest string, body []byte, hdr map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "/api/v1/packages/npm/acme/"+rest, bytes.NewReader(body))
	r.SetPathValue("org", "acme")
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	r = r.WithContext(ecosystems.WithPrincipal(r.Context(), pr, nil))
	w := httptest.NewRecorder()
	te.h.ServeHTTP(w, r)
	return w
}

func publishBody(t *testing.T, name, version string) []byte {
	t.Helper()
	tgz := buildTar(t, []tarEntry{{name: "package/package.json", body: `{"name":"` + name + `","version":"` + version + `"}`}}, nil)
	d := digestsOf(tgz)
	doc := map[string]any{
		"name":      name,
		"versions":  map[string]any{version: map[string]any{"name": name, "version": version, "dist": map[string]string{"integrity": d.Integrity()}}},
		"dist-tags": map[string]string{"latest": version},
		"_attachments": map[string]any{name + "-" + version + ".tgz": map[string]any{
			"data": encodeB64(tgz), "length": len(tgz),
		}},
	}
	b, _ := json.Marshal(doc)
	return b
}

func TestPackumentCache(t *testing.T) {
	te := newTestEnv(t)
	if w := te.do(alice, http.MethodPut, "cached", publishBody(t, "cached", "1.0.0"), nil); w.Code != http.StatusCreated {
		t.Fatalf("publish: %d %s", w.Code, w.Body)
	}
	key := store.PackageKey{Ecosystem: "npm", Org: "acme", Name: "cached"}
	corgi := map[string]string{"Accept": AbbreviatedType}

	w1 := te.do(alice, http.MethodGet, "cached", nil, corgi)
	st1 := cachedState(te.h, key)
	w2 := te.do(alice, http.MethodGet, "cached", nil, corgi)
	st2 := cachedState(te.h, key)
	if w1.Code != 200 || w2.Code != 200 || st1 == nil || st1 != st2 || st1.docs[variantAbbreviated] == nil {
		t.Fatalf("second GET did not reuse the cached state: %d %d %p %p", w1.Code, w2.Code, st1, st2)
	}
	if !bytes.Equal(w1.Body.Bytes(), w2.Body.Bytes()) || w1.Header().Get("Content-Type") != AbbreviatedType {
		t.Fatal("cached bodies differ")
	}
	if st1.docs[variantFull] != nil {
		t.Fatal("the full variant was rendered without being asked for")
	}
	gz := te.do(alice, http.MethodGet, "cached", nil, map[string]string{"Accept-Encoding": "gzip"})
	if gz.Header().Get("Content-Encoding") != "gzip" || st1.docs[variantFull] == nil || !bytes.Equal(gz.Body.Bytes(), st1.docs[variantFull].gz) {
		t.Fatal("gzip variant not served from the cache")
	}
	etag := w1.Header().Get("ETag")
	if w := te.do(alice, http.MethodGet, "cached", nil, map[string]string{"Accept": AbbreviatedType, "If-None-Match": etag}); w.Code != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d", w.Code)
	}

	// access is checked before the cache: an outsider gets 404
	if w := te.do(carol, http.MethodGet, "cached", nil, corgi); w.Code != http.StatusNotFound {
		t.Fatalf("outsider read a cached packument: %d", w.Code)
	}
	if w := te.do(ecosystems.Principal{}, http.MethodGet, "cached", nil, corgi); w.Code != http.StatusNotFound {
		t.Fatalf("anonymous read a cached packument: %d", w.Code)
	}

	// any change bumps the rev and the next GET renders anew
	if _, err := te.env.Pipeline.Yank(context.Background(), alice, key, "1.0.0", true, "oops"); err != nil {
		t.Fatal(err)
	}
	w3 := te.do(alice, http.MethodGet, "cached", nil, corgi)
	if st3 := cachedState(te.h, key); st3 == st1 || w3.Header().Get("ETag") == etag || !strings.Contains(w3.Body.String(), `"deprecated":"oops"`) {
		t.Fatalf("stale packument after yank: %s", w3.Body)
	}
}

// cachedState returns the cached state of k, or nil.
func cachedState(h *handler, k store.PackageKey) *pkgState {
	st, _, _ := h.cache.Get(k)
	return st
}

func TestHandlerRoutes(t *testing.T) {
	te := newTestEnv(t)
	if w := te.do(alice, http.MethodPut, "@acme%2fr", publishBody(t, "@acme/r", "1.0.0"), nil); w.Code != http.StatusCreated {
		t.Fatalf("publish: %d %s", w.Code, w.Body)
	}
	tests := []struct {
		pr     ecosystems.Principal
		method string
		rest   string
		body   string
		status int
		want   string
	}{
		{alice, "GET", "@acme/r", "", 200, `"name":"@acme/r"`},
		{alice, "GET", "@acme%2Fr/1.0.0", "", 200, `"version":"1.0.0"`},
		{alice, "GET", "@acme%2fr/latest", "", 200, `"version":"1.0.0"`},
		{alice, "GET", "@acme%2fr/2.0.0", "", 404, "version 2.0.0 of @acme/r not found"},
		{alice, "GET", "@acme/r/-/r-1.0.0.tgz", "", 200, ""},
		{alice, "GET", "@acme/r/-/r-9.0.0.tgz", "", 404, "not found"},
		{alice, "GET", "@acme/r/-/..%2f..%2fx.tgz", "", 404, ""},
		{alice, "GET", "nothere", "", 404, "package nothere not found"},
		{carol, "GET", "@acme/r", "", 404, "package @acme/r not found"},
		{alice, "GET", "%2e%2e", "", 400, "invalid package name"},
		{alice, "GET", "-/whoami", "", 200, `"username":"alice"`},
		{ecosystems.Principal{}, "GET", "-/whoami", "", 401, "drok token create"},
		{alice, "GET", "-/ping", "", 200, "{}"},
		{alice, "POST", "-/v1/login", "{}", 404, "token login"},
		{alice, "GET", "-/package/@acme%2fr/dist-tags", "", 200, `"latest":"1.0.0"`},
		{alice, "PUT", "-/package/@acme%2fr/dist-tags/beta", `"1.0.0"`, 201, `"beta":"1.0.0"`},
		{alice, "PUT", "-/package/@acme%2fr/dist-tags/1.x", `"1.0.0"`, 400, "semver range"},
		{alice, "PUT", "-/package/@acme%2fr/dist-tags/beta", `"3.0.0"`, 404, "version 3.0.0 of @acme/r not found"},
		{alice, "DELETE", "-/package/@acme%2fr/dist-tags/beta", "", 200, ""},
		{alice, "DELETE", "-/package/@acme%2fr/dist-tags/beta", "", 404, "dist-tag"},
		{alice, "DELETE", "-/package/@acme%2fr/dist-tags/latest", "", 400, "latest"},
		{carol, "PUT", "-/package/@acme%2fr/dist-tags/beta", `"1.0.0"`, 404, "not found"},
		{ecosystems.Principal{}, "PUT", "-/package/@acme%2fr/dist-tags/beta", `"1.0.0"`, 401, "drok setup npm"},
		{alice, "GET", "-/v1/search?text=r", "", 200, `"total":1`},
		{carol, "GET", "-/v1/search?text=r", "", 200, `"total":0`},
		{alice, "POST", "-/npm/v1/security/advisories/bulk", "{}", 200, "{}"},
		{alice, "PUT", "@acme%2fr", `{"name":"@acme/r"}`, 400, "nothing to do"},
		{alice, "DELETE", "@acme%2fr/-rev/999", "", 409, "conflict"},
		{alice, "GET", "@acme%2fr/-rev/1", "", 405, "not allowed"},
		{alice, "DELETE", "@acme%2fr/1.0.0", "", 404, "no npm route"},
	}
	for _, tt := range tests {
		w := te.do(tt.pr, tt.method, tt.rest, []byte(tt.body), nil)
		if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.want) {
			t.Errorf("%s %s as %q: %d %s, want %d containing %q", tt.method, tt.rest, tt.pr.User, w.Code, strings.TrimSpace(w.Body.String()), tt.status, tt.want)
		}
	}
	r := httptest.NewRequest("GET", "/api/v1/packages/npm/acme/@acme/r", nil)
	r.SetPathValue("org", "acme")
	r = r.WithContext(ecosystems.WithPrincipal(r.Context(), ecosystems.Principal{}, ecosystems.ErrBadToken))
	w := httptest.NewRecorder()
	te.h.ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("bad token: %d", w.Code)
	}
}

func encodeB64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// hookIndex runs hook (once) at the start of the next write transaction,
// before it begins: a concurrent writer that got in between a handler's
// read and its write.
type hookIndex struct {
	store.Index
	hook func()
}

func (h *hookIndex) Update(ctx context.Context, fn func(store.Tx) error) error {
	if hook := h.hook; hook != nil {
		h.hook = nil
		hook()
	}
	return h.Index.Update(ctx, fn)
}

// TestDeletePackageRevIsAtomic: DELETE {name}/-rev/{rev} checks the
// revision in the transaction that tombstones, so a version published
// after the client read the document is never deleted unseen.
func TestDeletePackageRevIsAtomic(t *testing.T) {
	te := newTestEnv(t)
	idx := &hookIndex{Index: te.env.Pipeline.Index}
	te.env.Pipeline.Index = idx
	if w := te.do(alice, http.MethodPut, "atom", publishBody(t, "atom", "1.0.0"), nil); w.Code != http.StatusCreated {
		t.Fatalf("publish: %d %s", w.Code, w.Body)
	}
	var doc struct {
		Rev string `json:"_rev"`
	}
	if w := te.do(alice, http.MethodGet, "atom?write=true", nil, nil); w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &doc) != nil {
		t.Fatalf("GET: %d", w.Code)
	}
	idx.hook = func() { // a concurrent publish of 1.1.0
		if w := te.do(alice, http.MethodPut, "atom", publishBody(t, "atom", "1.1.0"), nil); w.Code != http.StatusCreated {
			t.Errorf("concurrent publish: %d %s", w.Code, w.Body)
		}
	}
	w := te.do(alice, http.MethodDelete, "atom/-rev/"+doc.Rev, nil, nil)
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "document update conflict: revision "+doc.Rev+" is not the current revision") {
		t.Fatalf("DELETE with a revision overtaken in between: %d %s", w.Code, w.Body)
	}
	if w := te.do(alice, http.MethodGet, "atom/1.1.0", nil, nil); w.Code != http.StatusOK {
		t.Fatalf("the concurrently published version was deleted: %d", w.Code)
	}
	// with the current revision the delete goes through
	if w := te.do(alice, http.MethodGet, "atom?write=true", nil, nil); json.Unmarshal(w.Body.Bytes(), &doc) != nil {
		t.Fatal(w.Body)
	}
	if w := te.do(alice, http.MethodDelete, "atom/-rev/"+doc.Rev, nil, nil); w.Code != http.StatusOK {
		t.Fatalf("DELETE with the current revision: %d %s", w.Code, w.Body)
	}
	if w := te.do(alice, http.MethodGet, "atom", nil, nil); w.Code != http.StatusNotFound {
		t.Fatalf("after delete: %d", w.Code)
	}
	if w := te.do(alice, http.MethodDelete, "atom/-rev/"+doc.Rev, nil, nil); w.Code != http.StatusConflict {
		t.Fatalf("repeated delete: %d %s", w.Code, w.Body)
	}
}

// TestDeleteTarballDeletesOnlyItsVersion: the tarball DELETE names one
// version and touches nothing else, whatever rev it carries (see
// deleteTarball for why the rev is not checked there).
func TestDeleteTarballDeletesOnlyItsVersion(t *testing.T) {
	te := newTestEnv(t)
	for _, v := range []string{"1.0.0", "1.1.0"} {
		if w := te.do(alice, http.MethodPut, "tb", publishBody(t, "tb", v), nil); w.Code != http.StatusCreated {
			t.Fatalf("publish: %d %s", w.Code, w.Body)
		}
	}
	if w := te.do(carol, http.MethodDelete, "tb/-/tb-1.0.0.tgz/-rev/2", nil, nil); w.Code != http.StatusNotFound {
		t.Fatalf("outsider: %d", w.Code)
	}
	if w := te.do(alice, http.MethodDelete, "tb/-/tb-1.0.0.tgz/-rev/1", nil, nil); w.Code != http.StatusOK {
		t.Fatalf("DELETE: %d %s", w.Code, w.Body)
	}
	if w := te.do(alice, http.MethodGet, "tb/1.0.0", nil, nil); w.Code != http.StatusNotFound {
		t.Fatalf("after DELETE: %d", w.Code)
	}
	if w := te.do(alice, http.MethodGet, "tb/1.1.0", nil, nil); w.Code != http.StatusOK {
		t.Fatalf("the other version: %d", w.Code)
	}
	// already tombstoned (npm's flow after its PUT): confirmed
	if w := te.do(alice, http.MethodDelete, "tb/-/tb-1.0.0.tgz/-rev/3", nil, nil); w.Code != http.StatusOK {
		t.Fatalf("tombstoned: %d %s", w.Code, w.Body)
	}
}

// TestPackumentETagIgnoresDownloads: the download counter flush does not
// invalidate cached packuments or their ETags.
func TestPackumentETagIgnoresDownloads(t *testing.T) {
	te := newTestEnv(t)
	if w := te.do(alice, http.MethodPut, "dl", publishBody(t, "dl", "1.0.0"), nil); w.Code != http.StatusCreated {
		t.Fatalf("publish: %d", w.Code)
	}
	key := store.PackageKey{Ecosystem: "npm", Org: "acme", Name: "dl"}
	w := te.do(alice, http.MethodGet, "dl", nil, nil)
	etag, st := w.Header().Get("ETag"), cachedState(te.h, key)
	if w := te.do(alice, http.MethodGet, "dl/-/dl-1.0.0.tgz", nil, nil); w.Code != http.StatusOK {
		t.Fatalf("download: %d", w.Code)
	}
	if err := te.env.Pipeline.FlushDownloads(context.Background()); err != nil {
		t.Fatal(err)
	}
	// an unrelated write makes every cached read reload the package record
	if w := te.do(alice, http.MethodPut, "other", publishBody(t, "other", "1.0.0"), nil); w.Code != http.StatusCreated {
		t.Fatalf("publish: %d", w.Code)
	}
	if w := te.do(alice, http.MethodGet, "dl", nil, map[string]string{"If-None-Match": etag}); w.Code != http.StatusNotModified {
		t.Fatalf("conditional GET after a download flush: %d", w.Code)
	}
	if cachedState(te.h, key) != st {
		t.Fatal("the download flush replaced the cached state")
	}
	// a real change still does
	if _, err := te.env.Pipeline.Yank(context.Background(), alice, key, "1.0.0", true, ""); err != nil {
		t.Fatal(err)
	}
	if w := te.do(alice, http.MethodGet, "dl", nil, map[string]string{"If-None-Match": etag}); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"downloads":1`) {
		t.Fatalf("after a change: %d", w.Code)
	}
}

// TestDeprecationMessageBounded: a deprecate PUT cannot grow a stored
// manifest past its bound.
func TestDeprecationMessageBounded(t *testing.T) {
	te := newTestEnv(t)
	if w := te.do(alice, http.MethodPut, "dep", publishBody(t, "dep", "1.0.0"), nil); w.Code != http.StatusCreated {
		t.Fatalf("publish: %d", w.Code)
	}
	body := func(msg string) []byte {
		b, _ := json.Marshal(map[string]any{"name": "dep", "versions": map[string]any{"1.0.0": map[string]string{"name": "dep", "version": "1.0.0", "deprecated": msg}}})
		return b
	}
	if w := te.do(alice, http.MethodPut, "dep", body(strings.Repeat("x", 20<<10)), nil); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "the limit is 16384") {
		t.Fatalf("20 KiB deprecation: %d %s", w.Code, w.Body)
	}
	if w := te.do(alice, http.MethodPut, "dep", body("use 2.x"), nil); w.Code != http.StatusOK {
		t.Fatalf("deprecate: %d %s", w.Code, w.Body)
	}
}
