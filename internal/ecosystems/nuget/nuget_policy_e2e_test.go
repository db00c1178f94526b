package nuget_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/daemon/client"
)

// TestNuGetExePolicies drives NuGet.exe 5.8 (mono) against the org
// policies: a push refused by the storage quota (413, the limit printed,
// nothing stored, the same package pushed once the limit is raised), an
// install refused by the bandwidth limit (429), and an advisory on
// Acme.Vuln 1.0.0 fixed in 2.0.0 with blocking on: the exact 1.0.0 fails
// with 403 naming the advisory while an install without a version and a
// dependency ">= 1.0.0" get 2.0.0; audit lists 1.0.0.
func TestNuGetExePolicies(t *testing.T) {
	ctx := context.Background()
	exe := nugetExe(t)
	f := newFeed(t)
	c := f.srv.Client
	limit := func(org string, storage, bandwidth int64) {
		t.Helper()
		s := client.OrgSettings{Plan: "enterprise"}
		if storage > 0 {
			s.StorageLimit = &storage
		}
		if bandwidth > 0 {
			s.BandwidthLimit = &bandwidth
		}
		if _, err := c.EditOrg(ctx, org, s); err != nil {
			t.Fatal(err)
		}
	}
	feedOf := func(org string) string { return f.srv.URL + "/api/v1/packages/nuget/" + org + "/" }
	for _, org := range []string{"quota", "bw"} {
		if _, err := c.CreateOrg(ctx, org); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	cli := newClient(t, exe, map[string]string{"quota": feedOf("quota") + "index.json", "bw": feedOf("bw") + "index.json", "drok": f.v3}, f.srv.AdminToken)
	cli.dir = dir

	// (a) Storage quota.
	writeFile(t, dir, "Acme.Big.1.0.0.nupkg", buildNupkg(t, pkgSpec{id: "Acme.Big", version: "1.0.0"}))
	limit("quota", 100, 0)
	blobs := blobCount(t, f.srv.DataDir)
	out, err := cli.run("push", "Acme.Big.1.0.0.nupkg", "-Source", "quota", "-ApiKey", f.srv.AdminToken)
	if err == nil || !strings.Contains(out, "413") || !strings.Contains(out, "storage limit exceeded") {
		t.Fatalf("push over the storage limit should fail with 413 and the limit message: err=%v\n%s", err, out)
	}
	if _, err := c.Package(ctx, "nuget", "quota", "acme.big"); !client.IsStatus(err, http.StatusNotFound) {
		t.Fatalf("a refused push left a package: %v", err)
	}
	if n := blobCount(t, f.srv.DataDir); n != blobs {
		t.Fatalf("a refused push left %d blob files (had %d)", n, blobs)
	}
	if o, err := c.Org(ctx, "quota"); err != nil || o.Usage == nil || o.Usage.StorageUsed != 0 {
		t.Fatalf("usage after a refused push: %+v %v", o.Usage, err)
	}
	limit("quota", 1<<20, 0)
	cli.mustRun("push", "Acme.Big.1.0.0.nupkg", "-Source", "quota", "-ApiKey", f.srv.AdminToken)

	// (b) Bandwidth: one byte a month.
	if st, body := push(t, feedOf("bw")+"api/v2/package", f.srv.AdminToken, buildNupkg(t, pkgSpec{id: "Acme.Bw", version: "1.0.0"}), ""); st != 201 {
		t.Fatalf("push Acme.Bw: %d %s", st, body)
	}
	limit("bw", 0, 1)
	out, err = cli.run("install", "Acme.Bw", "-Version", "1.0.0", "-Source", "bw", "-OutputDirectory", "bw")
	if err == nil || !strings.Contains(out, "429") || !strings.Contains(out, "bandwidth limit exceeded") {
		t.Fatalf("install over the bandwidth limit should fail with 429 and the limit message: err=%v\n%s", err, out)
	}

	// (c) An advisory on Acme.Vuln 1.0.0, fixed in 2.0.0.
	for _, p := range []pkgSpec{{id: "Acme.Vuln", version: "1.0.0"}, {id: "Acme.Vuln", version: "2.0.0"},
		{id: "Acme.User", version: "1.0.0", deps: []string{"Acme.Vuln:1.0.0"}}} {
		if st, body := push(t, f.root+"api/v2/package", f.srv.AdminToken, buildNupkg(t, p), ""); st != 201 {
			t.Fatalf("push %s %s: %d %s", p.id, p.version, st, body)
		}
	}
	osv := json.RawMessage(`{"id":"GHSA-nuge-test-0001","modified":"2026-11-01T00:00:00Z","summary":"remote code execution",
	  "database_specific":{"severity":"HIGH"},
	  "affected":[{"package":{"ecosystem":"NuGet","name":"Acme.Vuln"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0.0"}]}]}]}`)
	if res, err := c.ImportAdvisories(ctx, client.AdvisoryImport{Advisories: []json.RawMessage{osv}}); err != nil || res.Flagged != 1 {
		t.Fatalf("import: %+v %v", res, err)
	}
	audit, err := c.Audit(ctx, f.org, "nuget", "acme.vuln")
	if err != nil || len(audit) != 1 || audit[0].Version != "1.0.0" || audit[0].Advisories[0].ID != "GHSA-nuge-test-0001" {
		t.Fatalf("audit: %+v %v", audit, err)
	}
	leaf := func() (listed bool, vulns []map[string]string) {
		t.Helper()
		st, body := do(t, http.MethodGet, f.root+"v3/registration/acme.vuln/index.json", f.srv.AdminToken, false, nil, "")
		var idx struct {
			Items []struct {
				Items []struct {
					CatalogEntry struct {
						Version         string              `json:"version"`
						Listed          bool                `json:"listed"`
						Vulnerabilities []map[string]string `json:"vulnerabilities"`
					} `json:"catalogEntry"`
				} `json:"items"`
			} `json:"items"`
		}
		if err := json.Unmarshal([]byte(body), &idx); err != nil || st != 200 || len(idx.Items) != 1 || len(idx.Items[0].Items) != 2 {
			t.Fatalf("registration index: %d %v\n%s", st, err, body)
		}
		v1, v2 := idx.Items[0].Items[0].CatalogEntry, idx.Items[0].Items[1].CatalogEntry
		if v1.Version != "1.0.0" || !v2.Listed || v2.Vulnerabilities != nil {
			t.Fatalf("registration index: %s", body)
		}
		return v1.Listed, v1.Vulnerabilities
	}
	wantVulns := []map[string]string{{"advisoryUrl": f.srv.URL + "/api/v1/advisories/GHSA-nuge-test-0001", "severity": "2"}}
	if listed, vulns := leaf(); !listed || len(vulns) != 1 || vulns[0]["advisoryUrl"] != wantVulns[0]["advisoryUrl"] || vulns[0]["severity"] != "2" {
		t.Fatalf("flagged, not blocked 1.0.0: listed=%v vulnerabilities=%v", listed, vulns)
	}
	// Before blocking, the dependency ">= 1.0.0" resolves the lowest
	// version, 1.0.0 (a client with its own package cache).
	before := newClient(t, exe, map[string]string{"drok": f.v3}, f.srv.AdminToken)
	before.dir = dir
	out = before.mustRun("install", "Acme.User", "-Source", "drok", "-OutputDirectory", "before")
	if _, err := os.Stat(filepath.Join(dir, "before", "Acme.Vuln.1.0.0")); err != nil {
		t.Fatalf("before blocking, Acme.User should get Acme.Vuln 1.0.0: %v\n%s", err, out)
	}
	block := true
	if _, err := c.EditOrg(ctx, f.org, client.OrgSettings{BlockVulnerable: &block}); err != nil {
		t.Fatal(err)
	}
	if listed, vulns := leaf(); listed || len(vulns) != 1 {
		t.Fatalf("blocked 1.0.0: listed=%v vulnerabilities=%v", listed, vulns)
	}
	out, err = cli.run("install", "Acme.Vuln", "-Version", "1.0.0", "-Source", "drok", "-OutputDirectory", "exact")
	if err == nil || !strings.Contains(out, "403") || !strings.Contains(out, "GHSA-nuge-test-0001") {
		t.Fatalf("install of the blocked 1.0.0 should fail with 403 naming the advisory: err=%v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "exact", "Acme.Vuln.1.0.0")); err == nil {
		t.Fatal("the blocked version was installed")
	}
	out = cli.mustRun("install", "Acme.Vuln", "-Source", "drok", "-OutputDirectory", "floating")
	if _, err := os.Stat(filepath.Join(dir, "floating", "Acme.Vuln.2.0.0", "Acme.Vuln.2.0.0.nupkg")); err != nil {
		t.Fatalf("install without a version should get 2.0.0: %v\n%s", err, out)
	}
	out = cli.mustRun("install", "Acme.User", "-Source", "drok", "-OutputDirectory", "dep")
	if _, err := os.Stat(filepath.Join(dir, "dep", "Acme.Vuln.2.0.0", "Acme.Vuln.2.0.0.nupkg")); err != nil {
		t.Fatalf("the dependency >= 1.0.0 should resolve 2.0.0, skipping the blocked 1.0.0: %v\n%s", err, out)
	}
}
