package daemon_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/daemon/daemontest"
)

// randomTarball is an npm tarball of about size bytes that gzip cannot
// shrink.
func randomTarball(t *testing.T, name, version string, size int) []byte {
	t.Helper()
	pad := make([]byte, size/2)
	_, _ = rand.Read(pad)
	return npmTarball(t, name, version+"", 0, fmt.Sprintf("%x", pad))
}

// TestConcurrentUploadsStayWithinQuota: 50 concurrent publishes that
// together exceed the storage limit; the accepted bytes never exceed it,
// refusals are 413 naming the limit, and the counter matches a recount,
// also after a restart.
func TestConcurrentUploadsStayWithinQuota(t *testing.T) {
	dir := t.TempDir()
	srv := daemontest.StartIn(t, dir)
	if _, err := srv.Client.CreateOrg(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	const limit = 200_000
	srv.SetLimits(t, "acme", limit, 0)
	var mu sync.Mutex
	var accepted int64
	var refused int
	var wg sync.WaitGroup
	for i := range 50 {
		tgz := randomTarball(t, fmt.Sprintf("q-%d", i), "1.0.0", 10_000)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := srv.Client.Publish(ctx, "acme", "npm", "x.tgz", bytes.NewReader(tgz))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				accepted += int64(len(tgz))
			case client.IsStatus(err, http.StatusRequestEntityTooLarge):
				refused++
				if !strings.Contains(err.Error(), "storage limit") || !strings.Contains(err.Error(), "200 kB") {
					t.Errorf("refusal does not name the limit: %v", err)
				}
			default:
				t.Errorf("publish: %v", err)
			}
		}()
	}
	wg.Wait()
	if accepted > limit || refused == 0 || accepted < limit/2 {
		t.Fatalf("accepted %d bytes (limit %d), %d refused", accepted, limit, refused)
	}
	o, err := srv.Client.Org(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if o.Usage == nil || o.Usage.StorageUsed != accepted || o.Usage.StorageLimit != limit {
		t.Fatalf("usage %+v, want %d of %d", o.Usage, accepted, limit)
	}
	srv.Stop()
	srv = daemontest.StartIn(t, dir)
	reps, err := srv.Client.Check(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if !r.OK || (r.Org == "acme" && r.Counted != accepted) {
			t.Fatalf("check after restart: %+v (accepted %d)", reps, accepted)
		}
	}
}

// TestStorageFollowsDeletes: deleting versions gives storage back, a
// refused publish burns nothing (the version can be published once there
// is room), and drok check repairs a counter that drifted.
func TestStorageFollowsDeletes(t *testing.T) {
	srv := daemontest.Start(t)
	if _, err := srv.Client.CreateOrg(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	srv.SetLimits(t, "acme", 30_000, 0)
	a := randomTarball(t, "big", "1.0.0", 40_000)
	b := randomTarball(t, "big", "1.1.0", 40_000)
	if _, err := srv.Client.Publish(ctx, "acme", "npm", "a.tgz", bytes.NewReader(a)); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.Publish(ctx, "acme", "npm", "b.tgz", bytes.NewReader(b)); !client.IsStatus(err, http.StatusRequestEntityTooLarge) {
		t.Fatalf("publish over the limit = %v, want 413", err)
	}
	if err := srv.Client.DeleteVersion(ctx, "npm", "acme", "big", "1.0.0"); err != nil {
		t.Fatal(err)
	}
	o, _ := srv.Client.Org(ctx, "acme")
	if o.Usage.StorageUsed != 0 {
		t.Fatalf("storage after delete = %d", o.Usage.StorageUsed)
	}
	if _, err := srv.Client.Publish(ctx, "acme", "npm", "b.tgz", bytes.NewReader(b)); err != nil {
		t.Fatalf("refused version could not be published later: %v", err)
	}
	o, _ = srv.Client.Org(ctx, "acme")
	if o.Usage.StorageUsed != int64(len(b)) {
		t.Fatalf("storage = %d, want %d", o.Usage.StorageUsed, len(b))
	}
}

func get(t *testing.T, url, token string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestBandwidthLimit: downloads past the monthly limit are refused with
// 429 and Retry-After, or served with a Warning when the org only warns.
func TestBandwidthLimit(t *testing.T) {
	dir := t.TempDir()
	srv := daemontest.StartIn(t, dir)
	if _, err := srv.Client.CreateOrg(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	// A public repository of the same name: the package links to it, so
	// anonymous callers can download it too.
	if _, err := srv.Client.CreateRepo(ctx, "acme", client.RepoEdit{Name: "bw", Visibility: ptr("public")}); err != nil {
		t.Fatal(err)
	}
	tgz := randomTarball(t, "bw", "1.0.0", 6_000)
	if _, err := srv.Client.Publish(ctx, "acme", "npm", "a.tgz", bytes.NewReader(tgz)); err != nil {
		t.Fatal(err)
	}
	srv.SetLimits(t, "acme", 0, int64(len(tgz))*2+100)
	url := srv.URL + "/api/v1/packages/npm/acme/bw/-/bw-1.0.0.tgz"
	for i := range 2 {
		resp := get(t, url, srv.AdminToken)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Equal(body, tgz) {
			t.Fatalf("download %d: %d", i, resp.StatusCode)
		}
	}
	resp := get(t, url, srv.AdminToken)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !bytes.Contains(body, []byte("bandwidth limit")) {
		t.Fatalf("third download: %d %q Retry-After %q", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	if !bytes.Contains(body, []byte("plan enterprise")) {
		t.Errorf("a member's refusal should name the plan and usage: %s", body)
	}
	// Outside the org the refusal names neither the plan nor the usage.
	resp = get(t, url, "")
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || bytes.Contains(body, []byte("plan")) || !bytes.Contains(body, []byte("resume on")) {
		t.Fatalf("anonymous download over the limit: %d %s", resp.StatusCode, body)
	}
	o, _ := srv.Client.Org(ctx, "acme")
	if o.Usage.BandwidthUsed != int64(len(tgz))*2 {
		t.Fatalf("bandwidth used %d, want %d", o.Usage.BandwidthUsed, 2*len(tgz))
	}
	// The counter survives a restart, and the refusal with it.
	srv.Stop()
	srv = daemontest.StartIn(t, dir)
	if o, _ = srv.Client.Org(ctx, "acme"); o.Usage.BandwidthUsed != int64(len(tgz))*2 {
		t.Fatalf("bandwidth after restart %d, want %d", o.Usage.BandwidthUsed, 2*len(tgz))
	}
	url = srv.URL + "/api/v1/packages/npm/acme/bw/-/bw-1.0.0.tgz"
	if resp := get(t, url, srv.AdminToken); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("download after restart: %d", resp.StatusCode)
	}
	warn := true
	if _, err := srv.Client.EditOrg(ctx, "acme", client.OrgSettings{BandwidthWarnOnly: &warn}); err != nil {
		t.Fatal(err)
	}
	resp = get(t, url, srv.AdminToken)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Warning"), "bandwidth limit") {
		t.Fatalf("warn-only download: %d Warning %q", resp.StatusCode, resp.Header.Get("Warning"))
	}
}

// TestAdvisoriesFlagAndBlock: an imported advisory flags matching versions
// (audit, package view, a package:vulnerable event), blocking refuses
// their download with 403 naming the advisory while the fixed version
// downloads, and a severity threshold above the advisory's lets it through.
func TestAdvisoriesFlagAndBlock(t *testing.T) {
	srv := daemontest.Start(t)
	if _, err := srv.Client.CreateOrg(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"1.0.0", "2.0.0"} {
		if _, err := srv.Client.Publish(ctx, "acme", "npm", "a.tgz", bytes.NewReader(npmTarball(t, "vuln", v, 10))); err != nil {
			t.Fatal(err)
		}
	}
	osv := json.RawMessage(`{"id":"GHSA-xxxx-yyyy-zzzz","modified":"2026-11-01T00:00:00Z","summary":"prototype pollution",
	  "database_specific":{"severity":"HIGH"},
	  "affected":[{"package":{"ecosystem":"npm","name":"vuln"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"2.0.0"}]}]}]}`)
	res, err := srv.Client.ImportAdvisories(ctx, client.AdvisoryImport{Advisories: []json.RawMessage{osv}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 1 || res.Flagged != 1 {
		t.Fatalf("import %+v", res)
	}
	// A batch with one bad record stores nothing; only site admins import.
	bad := json.RawMessage(`{"id":"","modified":"2026-11-01T00:00:00Z"}`)
	other := json.RawMessage(`{"id":"OSV-NOT-STORED","modified":"2026-11-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"vuln"},"versions":["2.0.0"]}]}`)
	if _, err := srv.Client.ImportAdvisories(ctx, client.AdvisoryImport{Advisories: []json.RawMessage{other, bad}}); !client.IsStatus(err, http.StatusBadRequest) {
		t.Fatalf("import with a bad record: %v, want 400", err)
	}
	if _, err := srv.Client.Advisory(ctx, "OSV-NOT-STORED"); !client.IsStatus(err, http.StatusNotFound) {
		t.Fatalf("a record of a refused batch was stored: %v", err)
	}
	member, err := srv.Client.CreateUser(ctx, client.CreateUser{Name: "importer"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.As(member.Token.Secret).ImportAdvisories(ctx, client.AdvisoryImport{Advisories: []json.RawMessage{other}}); !client.IsStatus(err, http.StatusForbidden) {
		t.Fatalf("import by a non-admin: %v, want 403", err)
	}
	again, err := srv.Client.ImportAdvisories(ctx, client.AdvisoryImport{Advisories: []json.RawMessage{osv}})
	if err != nil || again.Unchanged != 1 || again.Flagged != 0 {
		t.Fatalf("re-import %+v %v", again, err)
	}
	audit, err := srv.Client.Audit(ctx, "acme", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 1 || audit[0].Version != "1.0.0" || audit[0].Blocked || audit[0].Advisories[0].Severity != "high" ||
		audit[0].Advisories[0].Fixed[0] != "2.0.0" {
		t.Fatalf("audit %+v", audit)
	}
	// A version published after the import is matched at publish time.
	if _, err := srv.Client.Publish(ctx, "acme", "npm", "a.tgz", bytes.NewReader(npmTarball(t, "vuln", "1.5.0", 10))); err != nil {
		t.Fatal(err)
	}
	if audit, _ = srv.Client.Audit(ctx, "acme", "npm", "vuln"); len(audit) != 2 {
		t.Fatalf("audit after publishing 1.5.0: %+v", audit)
	}

	url := func(v string) string { return srv.URL + "/api/v1/packages/npm/acme/vuln/-/vuln-" + v + ".tgz" }
	if resp := get(t, url("1.0.0"), srv.AdminToken); resp.StatusCode != 200 {
		t.Fatalf("download before blocking: %d", resp.StatusCode)
	}
	block := true
	if _, err := srv.Client.EditOrg(ctx, "acme", client.OrgSettings{BlockVulnerable: &block}); err != nil {
		t.Fatal(err)
	}
	resp := get(t, url("1.0.0"), srv.AdminToken)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !bytes.Contains(body, []byte("GHSA-xxxx-yyyy-zzzz")) {
		t.Fatalf("blocked download: %d %s", resp.StatusCode, body)
	}
	if resp := get(t, url("2.0.0"), srv.AdminToken); resp.StatusCode != 200 {
		t.Fatalf("fixed version: %d", resp.StatusCode)
	}
	crit := "critical"
	if _, err := srv.Client.EditOrg(ctx, "acme", client.OrgSettings{BlockSeverity: &crit}); err != nil {
		t.Fatal(err)
	}
	if resp := get(t, url("1.0.0"), srv.AdminToken); resp.StatusCode != 200 {
		t.Fatalf("high advisory under a critical threshold: %d", resp.StatusCode)
	}
	// Removing the advisory clears the flags.
	res, err = srv.Client.ImportAdvisories(ctx, client.AdvisoryImport{Remove: []string{"GHSA-xxxx-yyyy-zzzz"}})
	if err != nil || res.Removed != 1 || res.Cleared != 2 {
		t.Fatalf("remove %+v %v", res, err)
	}
	if audit, _ = srv.Client.Audit(ctx, "acme", "", ""); len(audit) != 0 {
		t.Fatalf("audit after removal: %+v", audit)
	}
}

// TestAdvisoryDirectoryWatched: the daemon imports a watched directory at
// start and again when files appear, change or disappear.
func TestAdvisoryDirectoryWatched(t *testing.T) {
	advDir := t.TempDir()
	srv := daemontest.Start(t, daemontest.WithAdvisoryDir(advDir, 50*time.Millisecond))
	if _, err := srv.Client.CreateOrg(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.Publish(ctx, "acme", "npm", "a.tgz", bytes.NewReader(npmTarball(t, "watched", "1.0.0", 1))); err != nil {
		t.Fatal(err)
	}
	flagged := func() int {
		a, err := srv.Client.Audit(ctx, "acme", "", "")
		if err != nil {
			t.Fatal(err)
		}
		return len(a)
	}
	waitFor := func(want int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for flagged() != want {
			if time.Now().After(deadline) {
				t.Fatalf("flagged versions = %d, want %d", flagged(), want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	file := filepath.Join(advDir, "w.json")
	if err := os.WriteFile(file, []byte(`{"id":"OSV-W-1","modified":"2026-11-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"watched"},"versions":["1.0.0"]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(1)
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	waitFor(0)
}

// TestOwnersCannotLiftPlans: an org owner sets the org's vulnerability
// policy but not its plan or limits; those are the server
// administrators'.
func TestOwnersCannotLiftPlans(t *testing.T) {
	srv := daemontest.Start(t)
	if _, err := srv.Client.CreateOrg(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	alice, err := srv.Client.CreateUser(ctx, client.CreateUser{Name: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.SetMember(ctx, "acme", "alice", "owner"); err != nil {
		t.Fatal(err)
	}
	owner := srv.As(alice.Token.Secret)
	big, warn := int64(1<<50), true
	for name, s := range map[string]client.OrgSettings{
		"plan":      {Plan: "enterprise"},
		"storage":   {StorageLimit: &big},
		"bandwidth": {BandwidthLimit: &big},
		"warn-only": {BandwidthWarnOnly: &warn},
	} {
		if _, err := owner.EditOrg(ctx, "acme", s); !client.IsStatus(err, http.StatusForbidden) || !strings.Contains(err.Error(), "server administrators") {
			t.Errorf("owner changes %s: %v, want 403", name, err)
		}
	}
	block := true
	o, err := owner.EditOrg(ctx, "acme", client.OrgSettings{BlockVulnerable: &block})
	if err != nil || o.Usage.Plan != "free" {
		t.Fatalf("owner sets blocking: %+v, %v", o.Usage, err)
	}
}
