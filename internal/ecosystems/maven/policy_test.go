package maven_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/daemon/client"
)

// TestPolicyRefusals covers the repository's answers to the org
// policies without mvn: storage refusals of release and SNAPSHOT PUTs
// (413 in plain text naming the limit, nothing stored), the bandwidth
// refusal of file downloads (429, Retry-After; metadata and checksums
// are not metered) and blocked versions (403 naming the advisory, left
// out of maven-metadata.xml while their checksums still answer).
func TestPolicyRefusals(t *testing.T) {
	ctx := context.Background()
	f := newRepo(t)
	c := f.srv.Client
	set := func(s client.OrgSettings) {
		t.Helper()
		if _, err := c.EditOrg(ctx, f.org, s); err != nil {
			t.Fatal(err)
		}
	}
	n := func(v int64) *int64 { return &v }
	dir := "com/example/lib/"
	pom := func(v string) []byte {
		return []byte(`<project><modelVersion>4.0.0</modelVersion><groupId>com.example</groupId><artifactId>lib</artifactId><version>` + v + `</version></project>`)
	}
	jar := []byte(strings.Repeat("j", 1000))

	set(client.OrgSettings{Plan: "enterprise", StorageLimit: n(500)})
	blobs := blobFiles(t, f.srv.DataDir)
	for _, path := range []string{"1.0/lib-1.0.jar", "1.0-SNAPSHOT/lib-1.0-20260101.120000-1.jar"} {
		st, body, hdr := f.do(http.MethodPut, dir+path, f.srv.AdminToken, jar, nil)
		if st != http.StatusRequestEntityTooLarge || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") ||
			!strings.Contains(body, "storage limit") || !strings.Contains(body, "500 B") {
			t.Fatalf("PUT %s over the limit: %d %q", path, st, body)
		}
	}
	if _, err := c.Package(ctx, "maven", f.org, "com.example:lib"); !client.IsStatus(err, http.StatusNotFound) {
		t.Fatalf("refused PUTs left a package: %v", err)
	}
	if got := blobFiles(t, f.srv.DataDir); got != blobs {
		t.Fatalf("refused PUTs left blob files: %d, had %d", got, blobs)
	}
	set(client.OrgSettings{StorageLimit: n(1 << 20)})
	for _, v := range []string{"1.0", "2.0"} {
		if st, body := f.put(dir+v+"/lib-"+v+".pom", pom(v)); st != 201 {
			t.Fatalf("PUT pom %s: %d %s", v, st, body)
		}
		if st, body := f.put(dir+v+"/lib-"+v+".jar", jar); st != 201 {
			t.Fatalf("PUT jar %s: %d %s", v, st, body)
		}
	}

	// Bandwidth: two jars fit, the third is refused; metadata and
	// checksums still answer.
	set(client.OrgSettings{BandwidthLimit: n(2*int64(len(jar)) + 10)})
	for i := range 3 {
		st, body, hdr := f.do(http.MethodGet, dir+"1.0/lib-1.0.jar", f.srv.AdminToken, nil, nil)
		switch {
		case i < 2 && st != 200:
			t.Fatalf("download %d: %d %s", i, st, body)
		case i == 2 && (st != http.StatusTooManyRequests || hdr.Get("Retry-After") == "" || !strings.Contains(body, "bandwidth limit")):
			t.Fatalf("download over the bandwidth limit: %d %q Retry-After %q", st, body, hdr.Get("Retry-After"))
		}
	}
	for _, path := range []string{"maven-metadata.xml", "1.0/lib-1.0.jar.sha1"} {
		if st, body, _ := f.do(http.MethodGet, dir+path, f.srv.AdminToken, nil, nil); st != 200 {
			t.Fatalf("GET %s over the bandwidth limit: %d %s", path, st, body)
		}
	}
	set(client.OrgSettings{BandwidthLimit: n(1 << 30)})

	// Blocking.
	osv := json.RawMessage(`{"id":"GHSA-mvn2-test-0002","modified":"2026-11-01T00:00:00Z","database_specific":{"severity":"HIGH"},
	  "affected":[{"package":{"ecosystem":"Maven","name":"com.example:lib"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0"}]}]}]}`)
	if _, err := c.ImportAdvisories(ctx, client.AdvisoryImport{Advisories: []json.RawMessage{osv}}); err != nil {
		t.Fatal(err)
	}
	block := true
	set(client.OrgSettings{BlockVulnerable: &block})
	if st, body, _ := f.do(http.MethodGet, dir+"maven-metadata.xml", f.srv.AdminToken, nil, nil); st != 200 ||
		strings.Contains(body, "<version>1.0</version>") || !strings.Contains(body, "<latest>2.0</latest>") {
		t.Fatalf("metadata with 1.0 blocked: %d\n%s", st, body)
	}
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		st, body, _ := f.do(m, dir+"1.0/lib-1.0.pom", f.srv.AdminToken, nil, nil)
		if st != http.StatusForbidden || (m == http.MethodGet && !strings.Contains(body, "GHSA-mvn2-test-0002 (high)")) {
			t.Fatalf("%s of a blocked file: %d %q", m, st, body)
		}
	}
	if st, _, _ := f.do(http.MethodGet, dir+"2.0/lib-2.0.jar", f.srv.AdminToken, nil, nil); st != 200 {
		t.Fatalf("fixed version: %d", st)
	}
	crit := "critical"
	set(client.OrgSettings{BlockSeverity: &crit})
	if st, body, _ := f.do(http.MethodGet, dir+"maven-metadata.xml", f.srv.AdminToken, nil, nil); st != 200 || !strings.Contains(body, "<version>1.0</version>") {
		t.Fatalf("metadata with a threshold above the advisory: %d\n%s", st, body)
	}
}
