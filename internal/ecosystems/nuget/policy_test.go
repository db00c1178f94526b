package nuget_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/daemon/client"
)

// getH sends a GET with Basic auth and returns status, body and headers.
func getH(t *testing.T, url, token string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.SetBasicAuth("user", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// TestPolicyRefusals covers the feed's answers to the org policies on
// every route without a client: pushes of packages and symbol packages
// over the storage limit (413, plain text and X-NuGet-Warning, nothing
// stored), every download route over the bandwidth limit (429 with
// Retry-After) and blocked versions (403 on every download route,
// unlisted in registrations, v3 search and v2 feeds).
func TestPolicyRefusals(t *testing.T) {
	ctx := context.Background()
	f := newFeed(t)
	c, tok := f.srv.Client, f.srv.AdminToken
	set := func(s client.OrgSettings) {
		t.Helper()
		if _, err := c.EditOrg(ctx, f.org, s); err != nil {
			t.Fatal(err)
		}
	}
	n := func(v int64) *int64 { return &v }
	pkg := func(v string) []byte { return buildNupkg(t, pkgSpec{id: "Acme.Lib", version: v}) }
	if st, body := push(t, f.root+"api/v2/package", tok, pkg("1.0.0"), ""); st != 201 {
		t.Fatalf("push: %d %s", st, body)
	}

	// Storage.
	o, _ := c.Org(ctx, f.org)
	used := o.Usage.StorageUsed
	set(client.OrgSettings{Plan: "enterprise", StorageLimit: n(used + 10)})
	blobs := blobCount(t, f.srv.DataDir)
	for _, url := range []string{f.root + "api/v2/package", f.root + "api/v2/symbolpackage"} {
		body := pkg("2.0.0")
		if strings.HasSuffix(url, "symbolpackage") {
			body = pkg("1.0.0")
		}
		req, _ := http.NewRequest(http.MethodPut, url, strings.NewReader(string(body)))
		req.Header.Set("X-NuGet-ApiKey", tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "storage limit exceeded") ||
			!strings.Contains(resp.Header.Get("X-NuGet-Warning"), "storage limit exceeded") {
			t.Fatalf("push to %s over the limit: %d %q warning %q", url, resp.StatusCode, b, resp.Header.Get("X-NuGet-Warning"))
		}
	}
	if got := blobCount(t, f.srv.DataDir); got != blobs {
		t.Fatalf("refused pushes left blob files: %d, had %d", got, blobs)
	}
	if o, _ := c.Org(ctx, f.org); o.Usage.StorageUsed != used {
		t.Fatalf("storage after refused pushes: %d, want %d", o.Usage.StorageUsed, used)
	}
	set(client.OrgSettings{StorageLimit: n(1 << 30)})
	for _, url := range []string{f.root + "api/v2/package", f.root + "api/v2/symbolpackage"} {
		body := pkg("2.0.0")
		if strings.HasSuffix(url, "symbolpackage") {
			body = pkg("1.0.0")
		}
		if st, b := push(t, url, tok, body, ""); st != 201 {
			t.Fatalf("push to %s after raising the limit: %d %s", url, st, b)
		}
	}

	// Bandwidth: every download route of 1.0.0.
	downloads := []string{
		f.root + "api/v2/package/Acme.Lib/1.0.0",
		f.root + "v3/flatcontainer/acme.lib/1.0.0/acme.lib.1.0.0.nupkg",
		f.root + "v3/flatcontainer/acme.lib/1.0.0/acme.lib.1.0.0.nuspec",
		f.root + "v3/flatcontainer/acme.lib/1.0.0/acme.lib.1.0.0.snupkg",
	}
	set(client.OrgSettings{BandwidthLimit: n(1)})
	for _, url := range downloads {
		st, body, hdr := getH(t, url, tok)
		if st != http.StatusTooManyRequests || hdr.Get("Retry-After") == "" || !strings.Contains(body, "bandwidth limit") ||
			!strings.Contains(hdr.Get("X-NuGet-Warning"), "bandwidth limit") {
			t.Fatalf("GET %s over the bandwidth limit: %d %q Retry-After %q", url, st, body, hdr.Get("Retry-After"))
		}
	}
	if st, _, _ := getH(t, f.root+"v3/registration/acme.lib/index.json", tok); st != 200 {
		t.Fatalf("metadata over the bandwidth limit: %d", st)
	}
	set(client.OrgSettings{BandwidthLimit: n(1 << 30)})

	// Blocking 1.0.0 (critical), 2.0.0 is fixed.
	osv := json.RawMessage(`{"id":"GHSA-nuge-test-0002","modified":"2026-11-01T00:00:00Z","database_specific":{"severity":"CRITICAL"},
	  "affected":[{"package":{"ecosystem":"NuGet","name":"acme.lib"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0.0"}]}]}]}`)
	if _, err := c.ImportAdvisories(ctx, client.AdvisoryImport{Advisories: []json.RawMessage{osv}}); err != nil {
		t.Fatal(err)
	}
	block := true
	set(client.OrgSettings{BlockVulnerable: &block})
	for _, url := range downloads {
		st, body, hdr := getH(t, url, tok)
		if st != http.StatusForbidden || !strings.Contains(body, "GHSA-nuge-test-0002 (critical)") || !strings.Contains(hdr.Get("X-NuGet-Warning"), "fixed in 2.0.0") {
			t.Fatalf("GET %s of a blocked version: %d %q", url, st, body)
		}
	}
	if st, _, _ := getH(t, f.root+"v3/flatcontainer/acme.lib/2.0.0/acme.lib.2.0.0.nupkg", tok); st != 200 {
		t.Fatalf("fixed version: %d", st)
	}
	checks := []struct{ url, want, not string }{
		{f.root + "v3/registration/acme.lib/1.0.0.json", `"listed":false`, `"listed":true`},
		{f.root + "v3/registration/acme.lib/index.json", `"vulnerabilities":[{"advisoryUrl":"` + f.srv.URL + `/api/v1/advisories/GHSA-nuge-test-0002","severity":"3"}]`, ""},
		{f.root + "v3/search?q=acme", `"version":"2.0.0"`, `"version":"1.0.0"`},
		{f.root + "Search()?searchTerm=''", "<d:Version>2.0.0</d:Version>", "<d:Version>1.0.0</d:Version>"},
		{f.root + "FindPackagesById()?id='Acme.Lib'", `<d:Listed m:type="Edm.Boolean">false</d:Listed>`, ""},
		{f.root + "v3/flatcontainer/acme.lib/index.json", `"1.0.0"`, ""}, // exact versions stay known
	}
	for _, ck := range checks {
		st, body, _ := getH(t, ck.url, tok)
		if st != 200 || !strings.Contains(body, ck.want) || (ck.not != "" && strings.Contains(body, ck.not)) {
			t.Fatalf("GET %s with 1.0.0 blocked: %d, want %q, not %q\n%s", ck.url, st, ck.want, ck.not, body)
		}
	}
}
