package oci_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/daemon/client"
)

// TestPingAndTokenEndpoint: /v2/ challenges anonymous callers with a
// Bearer realm at BASE/v2/token; the token endpoint trades Basic
// credentials (any user, drok token as password) or nothing for a
// short-lived registry token; registry tokens and Basic credentials
// authenticate; revoking the drok token stops its registry tokens at once.
func TestPingAndTokenEndpoint(t *testing.T) {
	f := newFixture(t)
	g := reg{base: f.srv.URL}
	ctx := context.Background()
	r := g.do(t, "GET", "/v2/", "", nil, nil)
	want := `Bearer realm="` + f.srv.URL + `/v2/token",service="` + f.host + `"`
	if r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") != want {
		t.Fatalf("anonymous ping: %d %q, want 401 %q", r.status, r.header.Get("WWW-Authenticate"), want)
	}
	if r := g.do(t, "GET", "/v2/", f.srv.AdminToken, nil, nil); r.status != 200 {
		t.Errorf("ping with a drok token: %d", r.status)
	}
	r = g.do(t, "GET", "/v2/acme/app/manifests/latest", "", nil, nil)
	if !strings.Contains(r.header.Get("WWW-Authenticate"), `scope="repository:acme/app:pull"`) {
		t.Errorf("challenge lacks the scope: %q", r.header.Get("WWW-Authenticate"))
	}

	tk, err := f.srv.Client.CreateToken(ctx, client.CreateToken{Name: "ci", Scopes: []string{"package:read", "package:write"}})
	if err != nil {
		t.Fatal(err)
	}
	basic := func(user, pass string) map[string]string {
		return map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))}
	}
	r = g.do(t, "GET", "/v2/token?service="+f.host+"&scope=repository:acme/app:pull,push", "", nil, basic("anyone", tk.Secret))
	var tr struct {
		Token     string `json:"token"`
		Access    string `json:"access_token"`
		ExpiresIn int    `json:"expires_in"`
		IssuedAt  string `json:"issued_at"`
	}
	if r.status != 200 || json.Unmarshal([]byte(r.body), &tr) != nil || tr.Token == "" || tr.Access != tr.Token || tr.ExpiresIn <= 0 || tr.IssuedAt == "" {
		t.Fatalf("token endpoint: %d %s", r.status, r.body)
	}
	if got := grantedActions(t, tr.Token); strings.Join(got, ",") != "pull,push" {
		t.Errorf("granted %v", got)
	}
	if r := g.do(t, "GET", "/v2/", tr.Token, nil, nil); r.status != 200 {
		t.Errorf("ping with a registry token: %d", r.status)
	}
	g.mustPutManifest(t, tr.Token, "acme/app", "latest", g.image(t, tr.Token, "acme/app", "via registry token"))
	if r := g.do(t, "GET", "/v2/acme/app/manifests/latest", "", nil, basic("x", tk.Secret)); r.status != 200 {
		t.Errorf("Basic with the drok token: %d", r.status)
	}
	if r := g.do(t, "GET", "/v2/token?scope=repository:acme/app:pull", "", nil, basic("x", "drok_wrong")); r.status != 401 {
		t.Errorf("token endpoint with a wrong password: %d", r.status)
	}
	if r := g.do(t, "GET", "/v2/acme/app/manifests/latest", tr.Token[:len(tr.Token)-2]+"xx", nil, nil); r.status != 401 {
		t.Errorf("tampered registry token: %d", r.status)
	}
	// anonymous token: granted nothing on a private image
	r = g.do(t, "GET", "/v2/token?scope=repository:acme/app:pull", "", nil, nil)
	var anon struct {
		Token string `json:"token"`
	}
	_ = json.Unmarshal([]byte(r.body), &anon)
	if r.status != 200 || len(grantedActions(t, anon.Token)) != 0 {
		t.Errorf("anonymous token: %d %v", r.status, r.body)
	}
	// a registry token is limited to the scopes it was issued for
	r = g.do(t, "GET", "/v2/token?scope=repository:acme/app:pull", "", nil, basic("x", tk.Secret))
	var pull struct {
		Token string `json:"token"`
	}
	_ = json.Unmarshal([]byte(r.body), &pull)
	if r := g.do(t, "GET", "/v2/acme/app/manifests/latest", pull.Token, nil, nil); r.status != 200 {
		t.Errorf("pull with a pull token: %d", r.status)
	}
	r = g.putManifest(t, pull.Token, "acme/app", "other", g.image(t, tk.Secret, "acme/app", "x"))
	if r.status != 401 || !strings.Contains(r.header.Get("WWW-Authenticate"), `scope="repository:acme/app:pull,push"`) {
		t.Errorf("push with a pull token: %d %q", r.status, r.header.Get("WWW-Authenticate"))
	}
	if r := g.do(t, "GET", "/v2/acme/other/tags/list", pull.Token, nil, nil); r.status != 401 {
		t.Errorf("another repository with a pull token for acme/app: %d", r.status)
	}
	if err := f.srv.Client.RevokeToken(ctx, tk.ID); err != nil {
		t.Fatal(err)
	}
	if r := g.do(t, "GET", "/v2/acme/app/manifests/latest", tr.Token, nil, nil); r.status != 401 {
		t.Errorf("registry token of a revoked drok token: %d", r.status)
	}
}
