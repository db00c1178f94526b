package oci_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/drok-dev/drok/internal/daemon/client"
)

// storedFiles lists the blob store's files (blobs and temporaries).
func storedFiles(t *testing.T, dataDir string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(filepath.Join(dataDir, "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, strings.TrimPrefix(p, dataDir))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func sameFiles(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }

// TestBadInputChangesNothing covers RELIABILITY 6-9: wrong and malformed
// digests, oversized manifests, manifests that reference missing blobs and
// chunk gaps are refused with OCI errors and leave the store unchanged
// (no blob, no temporary file, no version, no tag).
func TestBadInputChangesNothing(t *testing.T) {
	f := newFixture(t)
	g := reg{base: f.srv.URL}
	tok := f.srv.AdminToken
	repo := "acme/bad"
	m := g.image(t, tok, repo, "base")
	g.mustPutManifest(t, tok, repo, "base", m)
	before := storedFiles(t, f.srv.DataDir)
	tagsBefore := g.do(t, "GET", "/v2/"+repo+"/tags/list", tok, nil, nil).body

	payload := []byte("some layer bytes")
	wrong := sha([]byte("other bytes"))
	long := "sha256:" + strings.Repeat("a", 10<<10)
	upper := "sha256:" + strings.ToUpper(sha(payload)[7:])
	big := bytes.Repeat([]byte(" "), 4<<20+10)
	copy(big, m)
	missing, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha([]byte("never pushed")), "size": 12},
		"layers": []any{}})
	cases := []struct {
		name   string
		method string
		path   string
		body   []byte
		hdr    map[string]string
		status int
		code   string
	}{
		{"wrong blob digest", "POST", "/v2/" + repo + "/blobs/uploads/?digest=" + wrong, payload, nil, 400, "DIGEST_INVALID"},
		{"sha256:bad", "POST", "/v2/" + repo + "/blobs/uploads/?digest=sha256:bad", payload, nil, 400, "DIGEST_INVALID"},
		{"upper-case hex", "POST", "/v2/" + repo + "/blobs/uploads/?digest=" + upper, payload, nil, 400, "DIGEST_INVALID"},
		{"10 KB digest", "POST", "/v2/" + repo + "/blobs/uploads/?digest=" + long, payload, nil, 400, "DIGEST_INVALID"},
		{"unknown algorithm", "POST", "/v2/" + repo + "/blobs/uploads/?digest=md5:d41d8cd98f00b204e9800998ecf8427e", payload, nil, 400, "DIGEST_INVALID"},
		{"GET sha256:bad", "GET", "/v2/" + repo + "/blobs/sha256:bad", nil, nil, 400, "DIGEST_INVALID"},
		{"GET 10 KB digest", "GET", "/v2/" + repo + "/blobs/" + long, nil, nil, 400, "DIGEST_INVALID"},
		{"manifest GET upper-case", "GET", "/v2/" + repo + "/manifests/" + upper, nil, nil, 400, "DIGEST_INVALID"},
		{"manifest over 4 MiB", "PUT", "/v2/" + repo + "/manifests/huge", big, map[string]string{"Content-Type": "application/vnd.oci.image.manifest.v1+json"}, 413, "SIZE_INVALID"},
		{"manifest with missing blob", "PUT", "/v2/" + repo + "/manifests/missing", missing, map[string]string{"Content-Type": "application/vnd.oci.image.manifest.v1+json"}, 400, "MANIFEST_BLOB_UNKNOWN"},
		{"manifest wrong digest", "PUT", "/v2/" + repo + "/manifests/" + wrong, m, map[string]string{"Content-Type": "application/vnd.oci.image.manifest.v1+json"}, 400, "DIGEST_INVALID"},
		{"manifest not JSON", "PUT", "/v2/" + repo + "/manifests/junk", []byte("{not json"), map[string]string{"Content-Type": "application/vnd.oci.image.manifest.v1+json"}, 400, "MANIFEST_INVALID"},
		{"manifest type mismatch", "PUT", "/v2/" + repo + "/manifests/mismatch", m, map[string]string{"Content-Type": "application/vnd.oci.image.index.v1+json"}, 400, "MANIFEST_INVALID"},
		{"bad tag", "PUT", "/v2/" + repo + "/manifests/-bad", m, map[string]string{"Content-Type": "application/vnd.oci.image.manifest.v1+json"}, 400, "TAG_INVALID"},
		{"traversal name", "GET", "/v2/acme/%2e%2e%2fetc/tags/list", nil, nil, 400, "NAME_INVALID"},
		{"upper-case name", "GET", "/v2/acme/Bad/tags/list", nil, nil, 400, "NAME_INVALID"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := g.do(t, c.method, c.path, tok, c.body, c.hdr)
			if r.status != c.status || errorCode(r.body) != c.code {
				t.Errorf("%d %s, want %d %s: %.300s", r.status, errorCode(r.body), c.status, c.code, r.body)
			}
			if after := storedFiles(t, f.srv.DataDir); !sameFiles(before, after) {
				t.Errorf("store changed:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
	if tags := g.do(t, "GET", "/v2/"+repo+"/tags/list", tok, nil, nil).body; tags != tagsBefore {
		t.Errorf("tags changed: %s -> %s", tagsBefore, tags)
	}

	t.Run("chunk gaps", func(t *testing.T) {
		data := []byte("0123456789abcdefghij")
		loc := g.startUpload(t, tok, repo)
		if r := g.do(t, "PATCH", loc, tok, data[:5], map[string]string{"Content-Range": "0-4"}); r.status != 202 || r.header.Get("Range") != "0-4" {
			t.Fatalf("first chunk: %d %q", r.status, r.header.Get("Range"))
		}
		for _, bad := range [][2]int{{10, 14}, {0, 4}, {3, 7}} {
			r := g.do(t, "PATCH", loc, tok, data[bad[0]:bad[1]+1], map[string]string{"Content-Range": fmt.Sprintf("%d-%d", bad[0], bad[1])})
			if r.status != http.StatusRequestedRangeNotSatisfiable || r.header.Get("Range") != "0-4" || r.header.Get("Location") == "" {
				t.Errorf("chunk %v: %d range %q, want 416 0-4", bad, r.status, r.header.Get("Range"))
			}
		}
		if r := g.do(t, "PATCH", loc, tok, data[5:8], map[string]string{"Content-Range": "5-9"}); r.status != 416 {
			t.Errorf("short chunk: %d", r.status)
		}
		if r := g.do(t, "GET", loc, tok, nil, nil); r.status != 204 || r.header.Get("Range") != "0-4" {
			t.Errorf("status after refused chunks: %d %q", r.status, r.header.Get("Range"))
		}
		if r := g.do(t, "PATCH", loc, tok, data[5:], map[string]string{"Content-Range": "5-19"}); r.status != 202 {
			t.Fatalf("continue: %d %s", r.status, r.body)
		}
		if r := g.do(t, "PUT", loc+"?digest="+wrong, tok, nil, nil); r.status != 400 || errorCode(r.body) != "DIGEST_INVALID" {
			t.Errorf("wrong final digest: %d %s", r.status, r.body)
		}
		if r := g.do(t, "GET", loc, tok, nil, nil); r.status != 404 || errorCode(r.body) != "BLOB_UPLOAD_UNKNOWN" {
			t.Errorf("upload after a failed finish: %d %s", r.status, r.body)
		}
		if after := storedFiles(t, f.srv.DataDir); !sameFiles(before, after) {
			t.Errorf("store changed:\nbefore %v\nafter  %v", before, after)
		}
		loc = g.startUpload(t, tok, repo)
		g.do(t, "PATCH", loc, tok, data[:10], map[string]string{"Content-Range": "0-9"})
		if r := g.do(t, "PUT", loc+"?digest="+sha(data), tok, data[10:], map[string]string{"Content-Range": "10-19"}); r.status != 201 {
			t.Fatalf("finish: %d %s", r.status, r.body)
		}
		if r := g.do(t, "GET", "/v2/"+repo+"/blobs/"+sha(data), tok, nil, nil); r.body != string(data) {
			t.Errorf("blob = %q", r.body)
		}
	})
}

// TestBlobsArePerRepository is RELIABILITY 10: a blob pushed only to a
// private repository cannot be read through another one, and mounting it
// from there (or without a source) falls back to a full upload.
func TestBlobsArePerRepository(t *testing.T) {
	f := newFixture(t)
	g := reg{base: f.srv.URL}
	ctx := context.Background()
	f.repo(t, "secret", "private")
	f.repo(t, "mine", "private")
	u, err := f.srv.Client.CreateUser(ctx, client.CreateUser{Name: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.Client.SetCollaborator(ctx, "acme", "mine", "bob", "write"); err != nil {
		t.Fatal(err)
	}
	bob := u.Token.Secret
	secret := []byte("private layer")
	d := g.pushBlob(t, f.srv.AdminToken, "acme/secret", secret)
	g.mustPutManifest(t, f.srv.AdminToken, "acme/mine", "seed", g.image(t, f.srv.AdminToken, "acme/mine", "seed"))
	for _, path := range []string{"/v2/acme/mine/blobs/" + d, "/v2/acme/secret/blobs/" + d} {
		if r := g.do(t, "GET", path, bob, nil, nil); r.status != 404 {
			t.Errorf("GET %s as bob: %d", path, r.status)
		}
	}
	for _, q := range []string{"?mount=" + d + "&from=acme/secret", "?mount=" + d} {
		r := g.do(t, "POST", "/v2/acme/mine/blobs/uploads/"+q, bob, nil, nil)
		if r.status != http.StatusAccepted {
			t.Errorf("mount %s: %d, want 202 (upload instead)", q, r.status)
		}
	}
	if r := g.do(t, "GET", "/v2/acme/mine/blobs/"+d, bob, nil, nil); r.status != 404 {
		t.Errorf("after refused mount: %d", r.status)
	}
	// a manifest in mine cannot reference the blob either
	m, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": d, "size": len(secret)}, "layers": []any{}})
	if r := g.putManifest(t, bob, "acme/mine", "steal", m); r.status != 400 || errorCode(r.body) != "MANIFEST_BLOB_UNKNOWN" {
		t.Errorf("manifest referencing a foreign blob: %d %s", r.status, r.body)
	}
	// the admin may read both, so the mount links it
	if r := g.do(t, "POST", "/v2/acme/mine/blobs/uploads/?mount="+d+"&from=acme/secret", f.srv.AdminToken, nil, nil); r.status != 201 {
		t.Errorf("admin mount: %d %s", r.status, r.body)
	}
}

// TestConcurrentTagPush is RELIABILITY 1 for OCI: 16 concurrent pushes
// of different manifests to one release tag → exactly one wins, the
// others get 409; 16 pushes of the same manifest all succeed.
func TestConcurrentTagPush(t *testing.T) {
	f := newFixture(t)
	g := reg{base: f.srv.URL}
	tok := f.srv.AdminToken
	repo := "acme/race"
	var ms [][]byte
	for i := range 16 {
		ms = append(ms, g.image(t, tok, repo, fmt.Sprint("race ", i)))
	}
	statuses := make([]int, 16)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = g.putManifest(t, tok, repo, "1.0.0", ms[i]).status
		}()
	}
	wg.Wait()
	wins := 0
	winner := -1
	for i, s := range statuses {
		switch s {
		case 201:
			wins++
			winner = i
		case 409:
		default:
			t.Errorf("push %d: %d", i, s)
		}
	}
	if wins != 1 {
		t.Fatalf("%d pushes won the tag: %v", wins, statuses)
	}
	r := g.do(t, "GET", "/v2/"+repo+"/manifests/1.0.0", tok, nil, nil)
	if r.body != string(ms[winner]) {
		t.Errorf("1.0.0 does not serve the winner's bytes")
	}
	same := g.image(t, tok, repo, "same")
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = g.putManifest(t, tok, repo, "2.0.0", same).status
		}()
	}
	wg.Wait()
	for i, s := range statuses {
		if s != 201 {
			t.Errorf("identical push %d: %d", i, s)
		}
	}
	pkg, err := f.srv.Client.Package(context.Background(), "docker", "acme", "race")
	if err != nil {
		t.Fatal(err)
	}
	if len(pkg.Versions) != 2 {
		t.Errorf("%d versions recorded, want 2", len(pkg.Versions))
	}
}

// TestYankDeleteAndRestore: a yanked manifest's tag leaves tags/list but
// still pulls; a deleted manifest is gone and can be pushed again.
func TestYankDeleteAndRestore(t *testing.T) {
	f := newFixture(t)
	g := reg{base: f.srv.URL}
	tok := f.srv.AdminToken
	repo := "acme/yank"
	m := g.image(t, tok, repo, "y")
	d := g.mustPutManifest(t, tok, repo, "stable", m)
	g.mustPutManifest(t, tok, repo, "keep", g.image(t, tok, repo, "k"))
	ctx := context.Background()
	if _, err := f.srv.Client.Yank(ctx, "docker", "acme", client.YankRequest{Name: "yank", Version: "stable", Yank: true, Reason: "broken"}); err != nil {
		t.Fatalf("yank by tag: %v", err)
	}
	if r := g.do(t, "GET", "/v2/"+repo+"/tags/list", tok, nil, nil); strings.Contains(r.body, "stable") || !strings.Contains(r.body, "keep") {
		t.Errorf("tags/list after yank: %s", r.body)
	}
	if r := g.do(t, "GET", "/v2/"+repo+"/manifests/stable", tok, nil, nil); r.status != 200 {
		t.Errorf("yanked tag no longer pulls: %d", r.status)
	}
	if _, err := f.srv.Client.Yank(ctx, "docker", "acme", client.YankRequest{Name: "yank", Version: d, Yank: false}); err != nil {
		t.Fatal(err)
	}
	if r := g.do(t, "GET", "/v2/"+repo+"/tags/list", tok, nil, nil); !strings.Contains(r.body, "stable") {
		t.Errorf("unyank did not restore the tag: %s", r.body)
	}
	if r := g.do(t, "DELETE", "/v2/"+repo+"/manifests/"+d, tok, nil, nil); r.status != 202 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := g.do(t, "GET", "/v2/"+repo+"/manifests/"+d, tok, nil, nil); r.status != 404 || errorCode(r.body) != "MANIFEST_UNKNOWN" {
		t.Errorf("deleted manifest: %d %s", r.status, r.body)
	}
	if r := g.do(t, "GET", "/v2/"+repo+"/manifests/stable", tok, nil, nil); r.status != 404 {
		t.Errorf("tag of deleted manifest: %d", r.status)
	}
	g.mustPutManifest(t, tok, repo, "stable", m)
	if r := g.do(t, "GET", "/v2/"+repo+"/manifests/stable", tok, nil, nil); r.status != 200 || r.body != string(m) {
		t.Errorf("re-pushed manifest: %d", r.status)
	}
}

// TestOrgImmutableTags: with the org setting every tag is immutable.
func TestOrgImmutableTags(t *testing.T) {
	f := newFixture(t)
	g := reg{base: f.srv.URL}
	tok := f.srv.AdminToken
	repo := "acme/frozen"
	g.mustPutManifest(t, tok, repo, "latest", g.image(t, tok, repo, "a"))
	g.mustPutManifest(t, tok, repo, "latest", g.image(t, tok, repo, "b"))
	on := true
	if _, err := f.srv.Client.EditOrg(context.Background(), "acme", client.OrgSettings{ImmutableTags: &on}); err != nil {
		t.Fatal(err)
	}
	r := g.putManifest(t, tok, repo, "latest", g.image(t, tok, repo, "c"))
	if r.status != http.StatusConflict || errorCode(r.body) != "DENIED" || !strings.Contains(r.body, "immutable") {
		t.Errorf("moving latest in an immutable-tags org: %d %s", r.status, r.body)
	}
	if r := g.do(t, "DELETE", "/v2/"+repo+"/manifests/latest", tok, nil, nil); r.status != http.StatusConflict {
		t.Errorf("deleting an immutable tag: %d", r.status)
	}
	_ = os.Getenv
}

// TestRESTDeleteKeepsReleaseTags: `drok package delete` (the REST route)
// follows the registry's rules: a release tag and the manifest it points
// at cannot be deleted; floating tags and other manifests can.
func TestRESTDeleteKeepsReleaseTags(t *testing.T) {
	f := newFixture(t)
	g := reg{base: f.srv.URL}
	tok := f.srv.AdminToken
	ctx := context.Background()
	repo := "acme/web/site"
	rel := g.mustPutManifest(t, tok, repo, "1.0.0", g.image(t, tok, repo, "release"))
	dev := g.mustPutManifest(t, tok, repo, "dev", g.image(t, tok, repo, "dev"))
	c := f.srv.Client
	for _, v := range []string{rel, "1.0.0"} {
		if err := c.DeleteVersion(ctx, "docker", "acme", "web/site", v); err == nil || !strings.Contains(err.Error(), "immutable") {
			t.Errorf("REST delete of %s: %v", v, err)
		}
	}
	if r := g.do(t, "GET", "/v2/"+repo+"/manifests/1.0.0", tok, nil, nil); r.status != 200 {
		t.Fatalf("release tag gone: %d", r.status)
	}
	if err := c.DeleteVersion(ctx, "docker", "acme", "web/site", "dev"); err != nil {
		t.Fatalf("delete tag dev: %v", err)
	}
	if r := g.do(t, "GET", "/v2/"+repo+"/manifests/"+dev, tok, nil, nil); r.status != 200 {
		t.Errorf("deleting a tag deleted its manifest: %d", r.status)
	}
	if err := c.DeleteVersion(ctx, "docker", "acme", "web/site", dev); err != nil {
		t.Fatalf("delete manifest: %v", err)
	}
	if r := g.do(t, "GET", "/v2/"+repo+"/manifests/"+dev, tok, nil, nil); r.status != 404 {
		t.Errorf("deleted manifest: %d", r.status)
	}
	if err := c.DeleteVersion(ctx, "docker", "acme", "web/site", dev); err == nil {
		t.Error("second delete succeeded")
	}
	if err := f.srv.As("").DeleteVersion(ctx, "docker", "acme", "web/site", rel); err == nil {
		t.Error("anonymous delete succeeded")
	}
}
