package maven_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/drok-dev/drok/internal/daemon"
	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/daemon/daemontest"
)

type repoFixture struct {
	t    *testing.T
	srv  *daemontest.Server
	org  string
	repo string
}

func newRepo(t *testing.T) *repoFixture {
	t.Helper()
	f := newRepoNoOrg(t)
	if _, err := f.srv.Client.CreateOrg(context.Background(), f.org); err != nil {
		t.Fatal(err)
	}
	return f
}

// newRepoNoOrg starts a daemon; the org acme is not created yet.
func newRepoNoOrg(t *testing.T) *repoFixture {
	t.Helper()
	srv := daemontest.Start(t)
	return &repoFixture{t: t, srv: srv, org: "acme", repo: srv.URL + "/api/v1/packages/maven/acme/"}
}

// do sends method path (below the repository root) with body as token.
func (f *repoFixture) do(method, path, token string, body []byte, hdr map[string]string) (int, string, http.Header) {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, f.repo+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if token != "" {
		req.SetBasicAuth("drok", token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func (f *repoFixture) put(path string, body []byte) (int, string) {
	f.t.Helper()
	st, b, _ := f.do("PUT", path, f.srv.AdminToken, body, nil)
	return st, b
}

func (f *repoFixture) get(path string) (int, string) {
	f.t.Helper()
	st, b, _ := f.do("GET", path, f.srv.AdminToken, nil, nil)
	return st, b
}

// raw sends a request line as written (no client-side path cleaning).
func (f *repoFixture) raw(method, target string, body []byte) int {
	f.t.Helper()
	host := strings.TrimPrefix(f.srv.URL, "http://")
	conn, err := net.Dial("tcp", host)
	if err != nil {
		f.t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		method, target, host, f.srv.AdminToken, len(body), body)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// blobFiles counts the files of the blob store, temporary ones included.
func (f *repoFixture) blobFiles() int {
	f.t.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Join(f.srv.DataDir, daemon.BlobDir), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *repoFixture) packages() []client.Package {
	f.t.Helper()
	ps, err := f.srv.Client.Packages(context.Background(), f.org, "maven", "")
	if err != nil {
		f.t.Fatal(err)
	}
	return ps
}

func pomXML(g, a, v string) []byte {
	return []byte(`<?xml version="1.0"?><project><modelVersion>4.0.0</modelVersion><groupId>` + g + `</groupId><artifactId>` + a + `</artifactId><version>` + v + `</version></project>`)
}

func sha1hex(b []byte) string {
	s := sha1.Sum(b)
	return hex.EncodeToString(s[:])
}

func TestChecksumsAndMetadata(t *testing.T) {
	f := newRepo(t)
	jar := []byte("jar bytes")
	if st, b := f.put("com/example/lib/1.0/lib-1.0.jar", jar); st != 201 {
		t.Fatalf("put jar: %d %s", st, b)
	}
	if st, b := f.put("com/example/lib/1.0/lib-1.0.jar.sha1", []byte(sha1hex(jar)+"  lib-1.0.jar\n")); st != 201 {
		t.Fatalf("put true sha1: %d %s", st, b)
	}
	if st, b := f.put("com/example/lib/1.0/lib-1.0.pom", pomXML("com.example", "lib", "1.0")); st != 201 {
		t.Fatalf("put pom: %d %s", st, b)
	}
	for algo, want := range map[string]string{"sha1": sha1hex(jar), "md5": "", "sha256": "", "sha512": ""} {
		st, b := f.get("com/example/lib/1.0/lib-1.0.jar." + algo)
		if st != 200 || (want != "" && b != want) || len(b) < 32 {
			t.Errorf("GET .%s: %d %q", algo, st, b)
		}
	}
	// Client metadata is accepted and ignored.
	if st, b := f.put("com/example/lib/maven-metadata.xml", []byte("<metadata><versioning><versions><version>9.9</version></versions></versioning></metadata>")); st != 201 {
		t.Fatalf("put metadata: %d %s", st, b)
	}
	if st, _ := f.put("com/example/lib/maven-metadata.xml.sha1", []byte(strings.Repeat("0", 40))); st != 201 {
		t.Fatalf("put metadata sha1: %d", st)
	}
	st, meta := f.get("com/example/lib/maven-metadata.xml")
	if st != 200 || strings.Contains(meta, "9.9") || !strings.Contains(meta, "<release>1.0</release>") {
		t.Fatalf("metadata: %d\n%s", st, meta)
	}
	if st, sum := f.get("com/example/lib/maven-metadata.xml.sha1"); st != 200 || sum != sha1hex([]byte(meta)) {
		t.Fatalf("metadata sha1: %d %q", st, sum)
	}
	// Large metadata is served gzipped to clients that ask; checksums are
	// of the uncompressed document.
	for i := 2; i <= 60; i++ {
		if st, b := f.put(fmt.Sprintf("com/example/lib/1.%d/lib-1.%d.jar", i, i), jar); st != 201 {
			t.Fatalf("put 1.%d: %d %s", i, st, b)
		}
	}
	_, plain, _ := f.do("GET", "com/example/lib/maven-metadata.xml", f.srv.AdminToken, nil, map[string]string{"Accept-Encoding": "identity"})
	st, gz, hdr := f.do("GET", "com/example/lib/maven-metadata.xml", f.srv.AdminToken, nil, map[string]string{"Accept-Encoding": "gzip"})
	if st != 200 || hdr.Get("Content-Encoding") != "gzip" || hdr.Get("Vary") != "Accept-Encoding" || len(gz) >= len(plain) {
		t.Fatalf("gzip metadata: %d %v (%d vs %d bytes)", st, hdr, len(gz), len(plain))
	}
	zr, err := gzip.NewReader(strings.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	unz, _ := io.ReadAll(zr)
	if string(unz) != plain || !strings.Contains(plain, "<version>1.60</version>") {
		t.Fatalf("gunzipped metadata differs:\n%s\n%s", unz, plain)
	}
	if _, sum, _ := f.do("GET", "com/example/lib/maven-metadata.xml.sha1", f.srv.AdminToken, nil, map[string]string{"Accept-Encoding": "gzip"}); sum != sha1hex([]byte(plain)) {
		t.Fatalf("sha1 of gzip-served metadata: %q", sum)
	}
	if p, err := f.srv.Client.Package(context.Background(), "maven", f.org, "com.example:lib"); err != nil || p.Latest != "1.60" {
		t.Fatalf("REST latest: %q %v", p.Latest, err)
	}
	// Releases are immutable, identical bytes included.
	for _, body := range [][]byte{jar, []byte("other")} {
		if st, b := f.put("com/example/lib/1.0/lib-1.0.jar", body); st != 409 {
			t.Fatalf("second put: %d %s", st, b)
		}
	}
	if st, b := f.get("com/example/lib/1.0/lib-1.0.jar"); st != 200 || b != string(jar) {
		t.Fatalf("jar after refused puts: %d %q", st, b)
	}
	// Delete leaves a tombstone; re-upload refused.
	if err := f.srv.Client.DeleteVersion(context.Background(), "maven", f.org, "com.example:lib", "1.0"); err != nil {
		t.Fatal(err)
	}
	if st, _ := f.get("com/example/lib/1.0/lib-1.0.jar"); st != 404 {
		t.Fatalf("deleted jar: %d", st)
	}
	if st, _ := f.put("com/example/lib/1.0/lib-1.0-sources.jar", jar); st != 409 {
		t.Fatalf("upload into deleted version: %d", st)
	}
}

// TestBadInputChangesNothing: lying checksums, paths escaping the layout,
// bad names and POMs that disagree with their path answer 4xx and leave
// nothing behind.
func TestBadInputChangesNothing(t *testing.T) {
	f := newRepo(t)
	jar := []byte("the real jar")
	st, b, _ := f.do("PUT", "com/example/lib/1.0/lib-1.0.jar", f.srv.AdminToken, jar, map[string]string{"X-Checksum-Sha1": strings.Repeat("a", 40)})
	if st != 400 || !strings.Contains(b, "checksum mismatch") {
		t.Fatalf("lying X-Checksum-Sha1: %d %s", st, b)
	}
	if ps := f.packages(); len(ps) != 0 || f.blobFiles() != 0 {
		t.Fatalf("lying checksum stored a package (%+v) or %d blob files", ps, f.blobFiles())
	}
	if st, b := f.put("com/example/lib/1.0/lib-1.0.jar.sha1", []byte(sha1hex(jar))); st != 400 || !strings.Contains(b, "upload the file first") {
		t.Fatalf("checksum without file: %d %s", st, b)
	}
	if st, b := f.put("com/example/lib/1.0/lib-1.0.jar", jar); st != 201 {
		t.Fatalf("put: %d %s", st, b)
	}
	for _, lie := range []string{strings.Repeat("b", 40), "not hex at all", ""} {
		if st, b := f.put("com/example/lib/1.0/lib-1.0.jar.sha1", []byte(lie)); st != 400 {
			t.Fatalf("lying .sha1 %q: %d %s", lie, st, b)
		}
	}
	if st, b := f.get("com/example/lib/1.0/lib-1.0.jar.sha1"); st != 200 || b != sha1hex(jar) {
		t.Fatalf("served sha1 after a lying upload: %d %q", st, b)
	}
	before := f.packages()
	blobs := f.blobFiles()
	if st, _ := f.put("com/example/lib/1.0/lib-1.0.jar", []byte("other bytes")); st != 409 {
		t.Errorf("conflicting put: %d", st)
	}

	bad := []string{
		"com/example/lib/1.0/..%2F..%2Fescape.jar",
		"com/example/%2e%2e/1.0/lib-1.0.jar",
		"com/%2e%2e/%2e%2e/lib/1.0/lib-1.0.jar",
		"com/exa%5Cmple/lib/1.0/lib-1.0.jar",
		"com/example/lib/1.0/lib-1.0%00.jar",
		"com/example/lib/1.0/lib-1.0.jar%0A",
		"com/ex.ample/lib/1.0/lib-1.0.jar",
		"com/example/lib/1.0/other-1.0.jar",
		"com/example/lib/1.0/lib-2.0.jar",
		"com/example/lib/1.0/lib-1.0",
		"com/example/lib/..1.0/lib-..1.0.jar",
		"com/example/lib/1.0-SNAPSHOT/lib-1.0-20240101.1200-1.jar",
		"com/example/.lib/1.0/.lib-1.0.jar",
		"com/example/lib/" + strings.Repeat("9", 300) + "/lib-1.jar",
	}
	for _, p := range bad {
		if st, b := f.put(p, jar); st != 400 {
			t.Errorf("PUT %s: %d %s, want 400", p, st, b)
		}
		if st, _ := f.get(p); st != 400 {
			t.Errorf("GET %s: %d, want 400", p, st)
		}
	}
	// Unescaped dot segments sent as written.
	for _, p := range []string{"/api/v1/packages/maven/acme/com/example/../../../../etc/1.0/x-1.0.jar", "/api/v1/packages/maven/acme/com/./lib/1.0/lib-1.0.jar"} {
		if st := f.raw("PUT", p, jar); st < 300 {
			t.Errorf("raw PUT %s: %d", p, st)
		}
	}
	// A POM that disagrees with its path.
	if st, b := f.put("com/example/lib/2.0/lib-2.0.pom", pomXML("com.example", "lib", "3.0")); st != 400 || !strings.Contains(b, "POM says") {
		t.Errorf("mismatching pom: %d %s", st, b)
	}
	if st, b := f.put("com/example/lib/2.0/lib-2.0.pom", []byte("<project><groupId>")); st != 400 {
		t.Errorf("broken pom: %d %s", st, b)
	}
	after := f.packages()
	if n := f.blobFiles(); n != blobs {
		t.Errorf("refused uploads left %d blob files (were %d)", n, blobs)
	}
	if len(after) != len(before) || after[0].Name != "com.example:lib" {
		t.Fatalf("packages changed: %+v → %+v", before, after)
	}
	p, err := f.srv.Client.Package(context.Background(), "maven", f.org, "com.example:lib")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Versions) != 1 || len(p.Versions[0].Files) != 1 {
		t.Fatalf("versions after bad input: %+v", p.Versions)
	}
}

// TestConcurrentReleasePut is RELIABILITY 1 for Maven: 16 PUTs of one
// release file, exactly one wins and its bytes are stored.
func TestConcurrentReleasePut(t *testing.T) {
	f := newRepo(t)
	const n = 16
	var wg sync.WaitGroup
	status := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status[i], _ = f.put("com/example/race/1.0/race-1.0.jar", []byte(fmt.Sprintf("body %d", i)))
		}()
	}
	wg.Wait()
	winner := -1
	for i, st := range status {
		switch st {
		case 201:
			if winner >= 0 {
				t.Fatalf("two winners: %d and %d (%v)", winner, i, status)
			}
			winner = i
		case 409:
		default:
			t.Fatalf("status %d (%v)", st, status)
		}
	}
	if winner < 0 {
		t.Fatalf("no winner: %v", status)
	}
	if st, b := f.get("com/example/race/1.0/race-1.0.jar"); st != 200 || b != fmt.Sprintf("body %d", winner) {
		t.Fatalf("stored %q, winner was %d", b, winner)
	}
}

func TestSnapshots(t *testing.T) {
	f := newRepo(t)
	two := 2
	if _, err := f.srv.Client.EditOrg(context.Background(), f.org, client.OrgSettings{MaxSnapshots: &two}); err != nil {
		t.Fatal(err)
	}
	base := "com/example/snap/1.0-SNAPSHOT/"
	builds := []string{"20240101.100000-1", "20240101.110000-2", "20240102.090000-3"}
	for i, b := range builds {
		for _, name := range []string{"snap-1.0-" + b + ".jar", "snap-1.0-" + b + "-sources.jar", "snap-1.0-" + b + ".pom"} {
			body := []byte(fmt.Sprintf("build %d %s", i+1, name))
			if strings.HasSuffix(name, ".pom") {
				body = pomXML("com.example", "snap", "1.0-SNAPSHOT")
			}
			if st, msg := f.put(base+name, body); st != 201 {
				t.Fatalf("put %s: %d %s", name, st, msg)
			}
		}
	}
	st, meta := f.get(base + "maven-metadata.xml")
	for _, w := range []string{"<timestamp>20240102.090000</timestamp>", "<buildNumber>3</buildNumber>", "<classifier>sources</classifier>", "<value>1.0-20240102.090000-3</value>"} {
		if st != 200 || !strings.Contains(meta, w) {
			t.Errorf("snapshot metadata lacks %s: %d\n%s", w, st, meta)
		}
	}
	// Retention: build 1 left the version, 2 and 3 stay.
	if st, _ := f.get(base + "snap-1.0-20240101.100000-1.jar"); st != 404 {
		t.Errorf("pruned build 1 still served: %d", st)
	}
	if st, _ := f.get(base + "snap-1.0-20240101.110000-2.jar"); st != 200 {
		t.Errorf("build 2: %d", st)
	}
	// The literal SNAPSHOT name resolves to the newest build...
	if st, b := f.get(base + "snap-1.0-SNAPSHOT-sources.jar"); st != 200 || !strings.HasPrefix(b, "build 3") {
		t.Errorf("literal name: %d %q", st, b)
	}
	// ...and may be uploaded (and overwritten) itself.
	for _, body := range []string{"literal 1", "literal 2"} {
		if st, b := f.put(base+"snap-1.0-SNAPSHOT.jar", []byte(body)); st != 201 {
			t.Fatalf("literal put: %d %s", st, b)
		}
	}
	if st, b := f.get(base + "snap-1.0-SNAPSHOT.jar"); st != 200 || b != "literal 2" {
		t.Errorf("literal after overwrite: %d %q", st, b)
	}
	// Timestamped builds are immutable.
	if st, _ := f.put(base+"snap-1.0-20240102.090000-3.jar", []byte("again")); st != 409 {
		t.Errorf("re-put of a timestamped build: %d", st)
	}
	if st, meta := f.get("com/example/snap/maven-metadata.xml"); st != 200 || !strings.Contains(meta, "<latest>1.0-SNAPSHOT</latest>") || strings.Contains(meta, "<release>") {
		t.Errorf("artifact metadata: %d\n%s", st, meta)
	}
}

func TestAnonymousChallenge(t *testing.T) {
	f := newRepo(t)
	if st, b := f.put("com/example/lib/1.0/lib-1.0.jar", []byte("x")); st != 201 {
		t.Fatal(st, b)
	}
	for _, p := range []string{"com/example/lib/maven-metadata.xml", "com/example/lib/1.0/lib-1.0.jar", "com/example/missing/maven-metadata.xml"} {
		st, _, hdr := f.do("GET", p, "", nil, nil)
		if st != 401 || hdr.Get("WWW-Authenticate") != `Basic realm="drok"` {
			t.Errorf("anonymous GET %s: %d %q", p, st, hdr.Get("WWW-Authenticate"))
		}
	}
	st, _, hdr := f.do("PUT", "com/example/lib/1.1/lib-1.1.jar", "", []byte("x"), nil)
	if st != 401 || hdr.Get("WWW-Authenticate") == "" {
		t.Errorf("anonymous PUT: %d", st)
	}
	if st, _, _ := f.do("GET", "com/example/lib/maven-metadata.xml", "drok_bogus", nil, nil); st != 401 {
		t.Errorf("bad token: %d", st)
	}
}

// jarWithPOM builds a jar that embeds the POM as Maven does.
func jarWithPOM(t *testing.T, g, a, v string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string][]byte{
		"META-INF/MANIFEST.MF":                       []byte("Manifest-Version: 1.0\n"),
		"META-INF/maven/" + g + "/" + a + "/pom.xml": pomXML(g, a, v),
		"e2e/Lib.class":                              []byte("not really a class"),
	} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestPublishFile covers `drok package publish` of Maven artifacts through
// the REST API: a jar with an embedded POM, a .pom, and a jar named by the
// coordinates of a sibling .pom published first.
func TestPublishFile(t *testing.T) {
	f := newRepo(t)
	ctx := context.Background()
	c := f.srv.Client
	jar := jarWithPOM(t, "com.example", "tool", "1.0")
	out, err := c.Publish(ctx, f.org, "", "tool-1.0.jar", bytes.NewReader(jar))
	if err != nil || out.Ecosystem != "maven" || out.Name != "com.example:tool" || out.Version != "1.0" || len(out.Files) != 2 {
		t.Fatalf("publish jar: %+v %v", out, err)
	}
	if st, b := f.get("com/example/tool/1.0/tool-1.0.pom"); st != 200 || !strings.Contains(b, "<artifactId>tool</artifactId>") {
		t.Fatalf("embedded pom: %d %s", st, b)
	}
	if out, err := c.Publish(ctx, f.org, "", "tool-1.0.jar", bytes.NewReader(jar)); err != nil || !out.Retried {
		t.Fatalf("identical re-publish: %+v %v", out, err)
	}
	// No embedded POM: the .pom goes first, the jar carries its coordinates.
	plain := []byte("PK\x05\x06" + strings.Repeat("\x00", 18))
	if _, err := c.Publish(ctx, f.org, "", "com.example:bare:2.0/bare-2.0.jar", bytes.NewReader(plain)); err == nil || !strings.Contains(err.Error(), "publish bare-2.0.pom before") {
		t.Fatalf("jar before its pom: %v", err)
	}
	if _, err := c.Publish(ctx, f.org, "", "bare-2.0.pom", bytes.NewReader(pomXML("com.example", "bare", "2.0"))); err != nil {
		t.Fatalf("publish pom: %v", err)
	}
	if out, err := c.Publish(ctx, f.org, "", "com.example:bare:2.0/bare-2.0.jar", bytes.NewReader(plain)); err != nil || out.Name != "com.example:bare" || len(out.Files) != 2 {
		t.Fatalf("publish jar after pom: %+v %v", out, err)
	}
	for _, tc := range []struct {
		name string
		body []byte
		want string
	}{
		{"nozip.jar", []byte("not a zip"), "not a zip"},
		{"x-1.0.jar", plain, "has no META-INF/maven"},
		{"com.example:tool:9.9/tool-9.9.jar", jar, "embeds the POM of"},
		{"snap.pom", pomXML("com.example", "snap", "1.0-SNAPSHOT"), "SNAPSHOT"},
	} {
		if _, err := c.Publish(ctx, f.org, "", tc.name, bytes.NewReader(tc.body)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("publish %s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if ps := f.packages(); len(ps) != 2 {
		t.Errorf("packages after refused publishes: %d", len(ps))
	}
}
