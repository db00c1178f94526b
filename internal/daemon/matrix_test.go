package daemon_test

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/daemon/daemontest"
	"github.com/drok-dev/drok/internal/ecosystems/npm"
)

// matrixRoute is one npm route exercised by the access matrix.
type matrixRoute struct {
	kind  int // npm.Route* kind this case covers
	name  string
	write bool
	// do sends the request for package pkg as principal index i and
	// returns the status (and body for diagnostics).
	do func(t *testing.T, m *matrix, token, pkg string, i int) (int, string)
	// listed routes answer 200 for everyone and show or hide the package.
	listed bool
}

type matrix struct {
	srv      *daemontest.Server
	registry string
}

func (m *matrix) req(t *testing.T, method, path, token string, body []byte, hdr map[string]string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, m.registry+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// npmPublishDoc is the body npm sends for `npm publish` of one version.
func npmPublishDoc(t *testing.T, m *matrix, name, version string) []byte {
	tgz := npmTarball(t, name, version, 1)
	s1 := sha1.Sum(tgz)
	s512 := sha512.Sum512(tgz)
	file := name + "-" + version + ".tgz"
	doc := map[string]any{
		"_id": name, "name": name, "dist-tags": map[string]string{"latest": version},
		"versions": map[string]any{version: map[string]any{
			"name": name, "version": version,
			"dist": map[string]string{
				"tarball":   m.registry + name + "/-/" + file,
				"shasum":    hex.EncodeToString(s1[:]),
				"integrity": "sha512-" + base64.StdEncoding.EncodeToString(s512[:]),
			},
		}},
		"_attachments": map[string]any{file: map[string]any{
			"content_type": "application/octet-stream",
			"data":         base64.StdEncoding.EncodeToString(tgz), "length": len(tgz),
		}},
	}
	b, _ := json.Marshal(doc)
	return b
}

var matrixRoutes = []matrixRoute{
	{kind: npm.RoutePackument, name: "packument", do: func(t *testing.T, m *matrix, tok, pkg string, _ int) (int, string) {
		return m.req(t, "GET", pkg, tok, nil, nil)
	}},
	{kind: npm.RoutePackument, name: "abbreviated", do: func(t *testing.T, m *matrix, tok, pkg string, _ int) (int, string) {
		return m.req(t, "GET", pkg, tok, nil, map[string]string{"Accept": "application/vnd.npm.install-v1+json"})
	}},
	{kind: npm.RouteVersion, name: "version", do: func(t *testing.T, m *matrix, tok, pkg string, _ int) (int, string) {
		return m.req(t, "GET", pkg+"/1.0.0", tok, nil, nil)
	}},
	{kind: npm.RouteTarball, name: "tarball", do: func(t *testing.T, m *matrix, tok, pkg string, _ int) (int, string) {
		return m.req(t, "GET", pkg+"/-/"+pkg+"-1.0.0.tgz", tok, nil, nil)
	}},
	{kind: npm.RouteDistTags, name: "dist-tags", do: func(t *testing.T, m *matrix, tok, pkg string, _ int) (int, string) {
		return m.req(t, "GET", "-/package/"+pkg+"/dist-tags", tok, nil, nil)
	}},
	{kind: npm.RouteSearch, name: "search", listed: true, do: func(t *testing.T, m *matrix, tok, pkg string, _ int) (int, string) {
		return m.req(t, "GET", "-/v1/search?text="+pkg+"&size=250", tok, nil, nil)
	}},
	{kind: npm.RouteDistTag, name: "dist-tag add", write: true, do: func(t *testing.T, m *matrix, tok, pkg string, i int) (int, string) {
		return m.req(t, "PUT", "-/package/"+pkg+"/dist-tags/t"+fmt.Sprint(i), tok, []byte(`"1.0.0"`), nil)
	}},
	{kind: npm.RoutePackument, name: "publish", write: true, do: func(t *testing.T, m *matrix, tok, pkg string, i int) (int, string) {
		return m.req(t, "PUT", pkg, tok, npmPublishDoc(t, m, pkg, fmt.Sprintf("2.0.%d", i)), nil)
	}},
	{kind: npm.RouteRev, name: "unpublish version (PUT -rev)", write: true, do: func(t *testing.T, m *matrix, tok, pkg string, i int) (int, string) {
		// The admin reads the write document; the principal sends it back
		// without version 3.0.i.
		_, body := m.req(t, "GET", pkg+"?write=true", m.srv.AdminToken, nil, nil)
		var doc map[string]any
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatalf("write document: %v", err)
		}
		delete(doc["versions"].(map[string]any), fmt.Sprintf("3.0.%d", i))
		b, _ := json.Marshal(doc)
		return m.req(t, "PUT", pkg+"/-rev/"+fmt.Sprint(doc["_rev"]), tok, b, nil)
	}},
	{kind: npm.RouteTarballRev, name: "delete tarball", write: true, do: func(t *testing.T, m *matrix, tok, pkg string, i int) (int, string) {
		return m.req(t, "DELETE", fmt.Sprintf("%s/-/%s-4.0.%d.tgz/-rev/1", pkg, pkg, i), tok, nil, nil)
	}},
	{kind: npm.RouteVersion, name: "REST delete version", write: true, do: func(t *testing.T, m *matrix, tok, pkg string, i int) (int, string) {
		return m.req(t, "DELETE", fmt.Sprintf("%s/5.0.%d", pkg, i), tok, nil, nil)
	}},
}

// exemptKinds are npm routes that are not about one package, with why.
var exemptKinds = map[int]string{
	npm.RouteUnknown:     "not a route",
	npm.RouteWhoami:      "about the caller, tested in the npm e2e tests",
	npm.RoutePing:        "no data",
	npm.RouteLogin:       "always 404 so npm falls back",
	npm.RouteAddUser:     "token login, tested in the npm e2e tests",
	npm.RouteAudit:       "no package data yet",
	npm.RouteInvalidName: "rejected before any lookup",
}

// TestNPMAccessMatrix is RELIABILITY 14 for npm: every principal kind ×
// every visibility × every package route, over HTTP. An npm route kind
// that is neither covered nor exempt fails the test.
func TestNPMAccessMatrix(t *testing.T) {
	covered := map[int]bool{}
	for _, r := range matrixRoutes {
		covered[r.kind] = true
	}
	for k := npm.RouteUnknown; k <= npm.RouteInvalidName; k++ {
		if !covered[k] && exemptKinds[k] == "" {
			t.Errorf("npm route kind %d is missing from the access matrix", k)
		}
	}

	srv := daemontest.Start(t)
	m := &matrix{srv: srv, registry: srv.URL + "/api/v1/packages/npm/acme/"}
	fx := daemontest.NewAccessFixture(t, srv, "acme")
	principals := fx.Principals
	pkgs := daemontest.Visibilities
	for _, pkg := range pkgs {
		versions := []string{"1.0.0"}
		for i := range principals {
			versions = append(versions, fmt.Sprintf("3.0.%d", i), fmt.Sprintf("4.0.%d", i), fmt.Sprintf("5.0.%d", i))
		}
		for _, v := range versions {
			if st, body := m.req(t, "PUT", pkg, srv.AdminToken, npmPublishDoc(t, m, pkg, v), nil); st != http.StatusCreated && st != http.StatusOK {
				t.Fatalf("seed %s@%s: %d %s", pkg, v, st, body)
			}
		}
	}
	fx.Settle(t, srv, "npm", nil)

	for i, p := range principals {
		for j, pkg := range pkgs {
			for _, r := range matrixRoutes {
				t.Run(fmt.Sprintf("%s/%s/%s", p.Name, pkg, r.name), func(t *testing.T) {
					st, body := r.do(t, m, p.Token, pkg, i)
					if r.listed {
						want := p.Read[j] && !p.Bad
						got := strings.Contains(body, `"name":"`+pkg+`"`)
						if p.Bad {
							if st != http.StatusUnauthorized {
								t.Errorf("bad token listed: %d", st)
							}
							return
						}
						if st != http.StatusOK || got != want {
							t.Errorf("status %d, package listed=%v, want listed=%v", st, got, want)
						}
						return
					}
					want := daemontest.ExpectStatus(p, j, r.write, false)
					if !daemontest.StatusMatches(st, want) {
						t.Errorf("status %d, want %d: %.200s", st, want, body)
					}
				})
			}
		}
	}
}
