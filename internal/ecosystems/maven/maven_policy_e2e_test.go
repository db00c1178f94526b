package maven_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/daemon/daemontest"
)

// blobFiles counts the files of the daemon's blob store (staging
// included), so a refused publish can be shown to keep nothing.
func blobFiles(t *testing.T, dataDir string) int {
	t.Helper()
	n := 0
	_ = filepath.WalkDir(filepath.Join(dataDir, "blobs"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// libJar builds group:lib:version as a jar that embeds its pom.xml (what
// `drok package publish` reads) and carries build.txt = marker.
func libJar(t *testing.T, group, version, marker string) []byte {
	t.Helper()
	pom := `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>` +
		`<groupId>` + group + `</groupId><artifactId>lib</artifactId><version>` + version + `</version></project>`
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{
		"META-INF/MANIFEST.MF":                     "Manifest-Version: 1.0\r\n\r\n",
		"META-INF/maven/" + group + "/lib/pom.xml": pom,
		"build.txt": marker,
	} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// classpathJar returns the first jar of module mod's cp.txt.
func classpathJar(t *testing.T, cons, mod, out string) string {
	t.Helper()
	cp, err := os.ReadFile(filepath.Join(cons, mod, "cp.txt"))
	if err != nil {
		t.Fatalf("%s classpath: %v\n%s", mod, err, out)
	}
	return strings.TrimSpace(strings.Split(string(cp), string(os.PathListSeparator))[0])
}

// TestMavenPolicyE2E drives the real mvn against the org policies:
// a deploy refused by the storage quota (413, nothing stored, the same
// version deploys once the limit is raised), a resolution refused by the
// bandwidth limit (429), and an advisory on 1.0 fixed in 2.0 with
// blocking on: the exact 1.0 fails with 403 while the range [1.0,3.0)
// resolves 2.0 and [0.9,2.0) resolves 0.9, and audit lists 1.0.
func TestMavenPolicyE2E(t *testing.T) {
	ctx := context.Background()
	srv := daemontest.Start(t)
	for _, org := range []string{"quota", "bw", "acme"} {
		if _, err := srv.Client.CreateOrg(ctx, org); err != nil {
			t.Fatal(err)
		}
	}
	limit := func(org string, storage, bandwidth int64) {
		t.Helper()
		s := client.OrgSettings{Plan: "enterprise"}
		if storage > 0 {
			s.StorageLimit = &storage
		}
		if bandwidth > 0 {
			s.BandwidthLimit = &bandwidth
		}
		if _, err := srv.Client.EditOrg(ctx, org, s); err != nil {
			t.Fatal(err)
		}
	}
	repoOf := func(org string) string { return srv.URL + "/api/v1/packages/maven/" + org + "/" }
	group := uniqueGroup(t)
	forget := func() {
		home, _ := os.UserHomeDir()
		if err := os.RemoveAll(filepath.Join(home, ".m2", "repository", filepath.FromSlash(strings.ReplaceAll(group, ".", "/")))); err != nil {
			t.Fatal(err)
		}
	}

	// (a) Storage quota: the first file of the deploy does not fit.
	m := newMvnEnv(t, repoOf("quota"), srv.AdminToken)
	limit("quota", 100, 0)
	blobs := blobFiles(t, srv.DataDir)
	proj := libProject(t, group, "1.0", "release 1.0")
	deploy := []string{"deploy", "-DaltDeploymentRepository=drok::default::" + repoOf("quota")}
	out, err := m.run(proj, deploy...)
	if err == nil || !strings.Contains(out, "413") {
		t.Fatalf("deploy over the storage limit should fail with 413: err=%v\n%s", err, out)
	}
	if _, err := srv.Client.Package(ctx, "maven", "quota", group+":lib"); !client.IsStatus(err, http.StatusNotFound) {
		t.Fatalf("a refused deploy left a package: %v", err)
	}
	if n := blobFiles(t, srv.DataDir); n != blobs {
		t.Fatalf("a refused deploy left %d blob files (had %d)", n, blobs)
	}
	if o, err := srv.Client.Org(ctx, "quota"); err != nil || o.Usage == nil || o.Usage.StorageUsed != 0 {
		t.Fatalf("usage after a refused deploy: %+v %v", o.Usage, err)
	}
	// The body names the limit (Maven itself only prints the status).
	req, _ := http.NewRequest(http.MethodPut, repoOf("quota")+strings.ReplaceAll(group, ".", "/")+"/lib/1.0/lib-1.0-sources.jar", strings.NewReader(strings.Repeat("x", 200)))
	req.SetBasicAuth("drok", srv.AdminToken)
	if st, body := send(t, req); st != http.StatusRequestEntityTooLarge || !strings.Contains(body, "storage limit") || !strings.Contains(body, "100 B") {
		t.Fatalf("PUT over the limit: %d %q", st, body)
	}
	limit("quota", 1<<20, 0)
	if out, err := m.run(proj, deploy...); err != nil {
		t.Fatalf("deploy of the refused version after raising the limit: %v\n%s", err, out)
	}
	forget()

	// (b) Bandwidth: one byte a month, so the first file download is refused.
	if _, err := srv.Client.Publish(ctx, "bw", "", "lib-1.0.jar", bytes.NewReader(libJar(t, group, "1.0", "bw 1.0"))); err != nil {
		t.Fatal(err)
	}
	limit("bw", 0, 1)
	cons := consumerProject(t, group, repoOf("bw"), map[string]string{"exact": "1.0"})
	// Maven's wagon backs off on 429 for up to maxBackoffSeconds (180 by
	// default, about five minutes in all) before it gives up.
	out, err = m.run(cons, "-U", "dependency:build-classpath", "-Dmdep.outputFile=cp.txt",
		"-Dmaven.wagon.httpconnectionManager.maxBackoffSeconds=0")
	if err == nil || !strings.Contains(out, "429") {
		t.Fatalf("resolution over the bandwidth limit should fail with 429: err=%v\n%s", err, out)
	}
	forget()

	// (c) An advisory on 1.0, fixed in 2.0.
	for _, v := range []string{"0.9", "1.0", "2.0"} {
		if _, err := srv.Client.Publish(ctx, "acme", "", "lib-"+v+".jar", bytes.NewReader(libJar(t, group, v, "acme "+v))); err != nil {
			t.Fatal(err)
		}
	}
	osv := json.RawMessage(`{"id":"GHSA-mvn1-test-0001","modified":"2026-11-01T00:00:00Z","summary":"deserialization of untrusted data",
	  "database_specific":{"severity":"CRITICAL"},
	  "affected":[{"package":{"ecosystem":"Maven","name":"` + group + `:lib"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"1.0"},{"fixed":"2.0"}]}]}]}`)
	if res, err := srv.Client.ImportAdvisories(ctx, client.AdvisoryImport{Advisories: []json.RawMessage{osv}}); err != nil || res.Flagged != 3 { // 1.0 in quota, bw and acme
		t.Fatalf("import: %+v %v", res, err)
	}
	audit, err := srv.Client.Audit(ctx, "acme", "maven", group+":lib")
	if err != nil || len(audit) != 1 || audit[0].Version != "1.0" || audit[0].Advisories[0].ID != "GHSA-mvn1-test-0001" {
		t.Fatalf("audit: %+v %v", audit, err)
	}
	meta := strings.ReplaceAll(group, ".", "/") + "/lib/maven-metadata.xml"
	get := func(path string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, repoOf("acme")+path, nil)
		req.SetBasicAuth("drok", srv.AdminToken)
		return send(t, req)
	}
	if st, body := get(meta); st != 200 || !strings.Contains(body, "<version>1.0</version>") {
		t.Fatalf("flagged but not blocked 1.0 must stay in the metadata: %d\n%s", st, body)
	}
	block := true
	if _, err := srv.Client.EditOrg(ctx, "acme", client.OrgSettings{BlockVulnerable: &block}); err != nil {
		t.Fatal(err)
	}
	if st, body := get(meta); st != 200 || strings.Contains(body, "<version>1.0</version>") || !strings.Contains(body, "<release>2.0</release>") {
		t.Fatalf("blocked 1.0 still in the metadata: %d\n%s", st, body)
	}
	if st, body := get(strings.ReplaceAll(group, ".", "/") + "/lib/1.0/lib-1.0.jar"); st != http.StatusForbidden || !strings.Contains(body, "GHSA-mvn1-test-0001") || !strings.Contains(body, "fixed in 2.0") {
		t.Fatalf("blocked jar: %d %q", st, body)
	}
	cons = consumerProject(t, group, repoOf("acme"), map[string]string{"exact": "1.0"})
	out, err = m.run(cons, "-U", "dependency:build-classpath", "-Dmdep.outputFile=cp.txt")
	if err == nil || !strings.Contains(out, "403") {
		t.Fatalf("the blocked exact version should fail with 403: err=%v\n%s", err, out)
	}
	forget()
	// [0.9,2.0) resolves its highest version: 1.0 unless it is blocked.
	cons = consumerProject(t, group, repoOf("acme"), map[string]string{"range": "[1.0,3.0)", "below": "[0.9,2.0)"})
	out, err = m.run(cons, "-U", "dependency:build-classpath", "-Dmdep.outputFile=cp.txt")
	if err != nil {
		t.Fatalf("range resolution with 1.0 blocked: %v\n%s", err, out)
	}
	if got := jarMarker(t, classpathJar(t, cons, "range", out)); got != "acme 2.0" {
		t.Fatalf("[1.0,3.0) resolved %q, want the fixed 2.0", got)
	}
	if got := jarMarker(t, classpathJar(t, cons, "below", out)); got != "acme 0.9" {
		t.Fatalf("[0.9,2.0) resolved %q, want 0.9 (1.0 is blocked)", got)
	}
}

func send(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}
