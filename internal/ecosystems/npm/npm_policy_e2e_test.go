package npm_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/daemon/client"
)

// enterprise gives the fixture's org custom limits (0 = the plan's).
func (f *registryFixture) enterprise(t *testing.T, storage, bandwidth int64) {
	t.Helper()
	f.srv.SetLimits(t, f.org, storage, bandwidth)
}

func (f *registryFixture) usage(t *testing.T) client.OrgUsage {
	t.Helper()
	return f.srv.Usage(t, f.org)
}

// noRetry keeps npm from retrying a 429 (it would back off for a minute).
var noRetry = []string{"--fetch-retries=0"}

// TestNPMStorageQuota: npm publish over the org's storage limit fails
// with 413 and npm shows the limit message; nothing is stored (no
// version, no blob, usage unchanged), and the same version publishes once
// the limit is raised.
func TestNPMStorageQuota(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.npmAs(t, f.srv.AdminToken)
	admin.publish(pkgDir(t, "small", "1.0.0", nil))
	used := f.usage(t).StorageUsed
	if used == 0 {
		t.Fatal("publish charged no storage")
	}
	f.enterprise(t, used+1000, 0)
	blobs := blobFiles(t, f.srv.DataDir, "sha256")

	big := pkgDir(t, "big", "1.0.0", nil)
	if err := os.WriteFile(filepath.Join(big, "data.txt"), []byte(randomText(20_000)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := admin.MustFail(big, "storage limit exceeded", "publish")
	t.Logf("npm publish over the storage limit:\n%s", out)
	if !strings.Contains(out, "413") || !strings.Contains(out, "drok org edit acme") {
		t.Fatalf("npm publish over the limit:\n%s", out)
	}
	if st, _ := f.packument(t, "big", f.srv.AdminToken); st != http.StatusNotFound {
		t.Fatalf("refused package has a packument: %d", st)
	}
	if after := blobFiles(t, f.srv.DataDir, "sha256"); !slices.Equal(after, blobs) {
		t.Fatalf("refused publish left blobs: %v, before %v", after, blobs)
	}
	if u := f.usage(t); u.StorageUsed != used {
		t.Fatalf("storage after refusal %d, want %d", u.StorageUsed, used)
	}

	f.enterprise(t, used+100_000, 0)
	admin.publish(big)
	if u := f.usage(t); u.StorageUsed <= used+1000 {
		t.Fatalf("storage after the publish: %d", u.StorageUsed)
	}
}

// TestNPMBandwidthLimit: once the org's monthly bandwidth is used up, npm
// install fails on the tarball with 429 and the limit message, and the
// response says when to retry.
func TestNPMBandwidthLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.npmAs(t, f.srv.AdminToken)
	dir := pkgDir(t, "metered", "1.0.0", nil)
	if err := os.WriteFile(filepath.Join(dir, "data.txt"), []byte(randomText(4000)), 0o644); err != nil {
		t.Fatal(err)
	}
	admin.publish(dir)
	v, err := f.srv.Client.Package(context.Background(), "npm", f.org, "metered")
	if err != nil {
		t.Fatal(err)
	}
	size := v.Versions[0].Files[0].Size
	f.enterprise(t, 0, size+size/2) // one download fits, two do not

	proj := consumer(t)
	admin.Must(proj, append([]string{"install", "metered"}, npmFlags...)...)
	if v := installedVersion(t, proj, "metered"); v != "1.0.0" {
		t.Fatalf("installed %s", v)
	}
	// A fresh npm (empty cache) must download the tarball again.
	other := f.npmAs(t, f.srv.AdminToken)
	out := other.MustFail(consumer(t), "bandwidth limit exceeded", append(append([]string{"install", "metered"}, npmFlags...), noRetry...)...)
	t.Logf("npm install over the bandwidth limit:\n%s", out)
	if !strings.Contains(out, "429") {
		t.Fatalf("npm install over the bandwidth limit:\n%s", out)
	}
	st, body, hdr := f.do(t, http.MethodGet, "metered/-/metered-1.0.0.tgz", f.srv.AdminToken, nil, nil)
	if secs, err := strconv.Atoi(hdr.Get("Retry-After")); st != http.StatusTooManyRequests || err != nil || secs < 1 ||
		!strings.Contains(npmError(t, body), "bandwidth limit exceeded") {
		t.Fatalf("tarball over the limit: %d %s Retry-After %q", st, body, hdr.Get("Retry-After"))
	}
	if u := f.usage(t); u.BandwidthUsed != size {
		t.Fatalf("bandwidth used %d, want %d", u.BandwidthUsed, size)
	}
}

// osvVuln affects vuln below 2.0.0.
const osvVuln = `{"id":"GHSA-npm1-vuln-test","modified":"2026-11-01T00:00:00Z","summary":"prototype pollution in vuln",
  "database_specific":{"severity":"HIGH"},
  "affected":[{"package":{"ecosystem":"npm","name":"vuln"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"2.0.0"}]}]}]}`

// TestNPMVulnerableBlocked: with an advisory against vuln@1.0.0 (fixed in
// 2.0.0, which is not "latest"), npm audit reports it; once the org
// blocks vulnerable versions, 1.0.0 is rendered deprecated with the
// advisory (dist-tags untouched), a floating install skips it for 2.0.0,
// an exact install fails with 403 naming the advisory, and the drok
// audit lists it as blocked.
func TestNPMVulnerableBlocked(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	admin := f.npmAs(t, f.srv.AdminToken)
	admin.publish(pkgDir(t, "vuln", "1.0.0", nil))
	admin.publish(pkgDir(t, "vuln", "2.0.0", nil), "--tag", "next")
	admin.Must(t.TempDir(), "deprecate", "vuln@1.0.0", "old line")
	if _, err := f.srv.Client.ImportAdvisories(ctx, client.AdvisoryImport{Advisories: []json.RawMessage{json.RawMessage(osvVuln)}}); err != nil {
		t.Fatal(err)
	}

	// Flagged, not blocked: installs work and npm audit reports it.
	old := consumer(t)
	admin.Must(old, append([]string{"install", "vuln@1.0.0"}, npmFlags...)...)
	out, _ := admin.Run(old, "audit", "--audit=true", "--json")
	var report struct {
		Vulnerabilities map[string]struct {
			Severity string `json:"severity"`
			Range    string `json:"range"`
			Via      []any  `json:"via"`
		} `json:"vulnerabilities"`
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("npm audit --json: %v\n%s", err, out)
	}
	if v, ok := report.Vulnerabilities["vuln"]; !ok || v.Severity != "high" || v.Range != "1.0.0" || !strings.Contains(out, "GHSA-npm1-vuln-test") {
		t.Fatalf("npm audit does not report the advisory:\n%s", out)
	}
	if out, _ := admin.Run(old, "audit", "--audit=true"); !strings.Contains(out, "prototype pollution in vuln") || !strings.Contains(out, "1 high severity vulnerability") {
		t.Fatalf("npm audit:\n%s", out)
	}

	block := true
	if _, err := f.srv.Client.EditOrg(ctx, f.org, client.OrgSettings{BlockVulnerable: &block}); err != nil {
		t.Fatal(err)
	}
	for _, accept := range []string{"", "application/vnd.npm.install-v1+json"} {
		st, body, _ := f.do(t, http.MethodGet, "vuln", f.srv.AdminToken, nil, map[string]string{"Accept": accept})
		var doc struct {
			DistTags map[string]string `json:"dist-tags"`
			Versions map[string]struct {
				Deprecated string `json:"deprecated"`
			} `json:"versions"`
		}
		if st != http.StatusOK || json.Unmarshal(body, &doc) != nil {
			t.Fatalf("packument (%q): %d %s", accept, st, body)
		}
		dep := doc.Versions["1.0.0"].Deprecated
		if !strings.HasPrefix(dep, "old line; ") || !strings.Contains(dep, "GHSA-npm1-vuln-test (high)") || !strings.Contains(dep, "fixed in 2.0.0") ||
			doc.Versions["2.0.0"].Deprecated != "" || doc.DistTags["latest"] != "1.0.0" {
			t.Fatalf("packument (%q) of a blocked version: %s", accept, body)
		}
	}
	// npm deprecate sends every version back as it read it: the advisory
	// mark is not stored as a deprecation.
	admin.Must(t.TempDir(), "deprecate", "vuln@2.0.0", "")

	floating := consumer(t)
	admin.Must(floating, append([]string{"install", "vuln"}, npmFlags...)...)
	if v := installedVersion(t, floating, "vuln"); v != "2.0.0" {
		t.Fatalf("floating install picked %s, want 2.0.0", v)
	}
	out = admin.MustFail(consumer(t), "GHSA-npm1-vuln-test", append([]string{"install", "vuln@1.0.0"}, npmFlags...)...)
	t.Logf("npm install of a blocked version:\n%s", out)
	if !strings.Contains(out, "403") || !strings.Contains(out, "blocked by this organisation's vulnerability policy") {
		t.Fatalf("exact install of the blocked version:\n%s", out)
	}
	audit, err := f.srv.Client.Audit(ctx, f.org, "npm", "vuln")
	if err != nil || len(audit) != 1 || audit[0].Version != "1.0.0" || !audit[0].Blocked {
		t.Fatalf("drok audit: %+v, %v", audit, err)
	}

	// Blocking off again: the advisory mark goes, the stored deprecation stays.
	block = false
	if _, err := f.srv.Client.EditOrg(ctx, f.org, client.OrgSettings{BlockVulnerable: &block}); err != nil {
		t.Fatal(err)
	}
	if out := admin.Must(t.TempDir(), "view", "vuln@1.0.0", "deprecated"); strings.TrimSpace(out) != "old line" {
		t.Fatalf("deprecation after unblocking: %q", out)
	}
}
