package oci_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/daemon/daemontest"
)

func blobPath(dataDir, digest string) string {
	h := strings.TrimPrefix(digest, "sha256:")
	return filepath.Join(dataDir, "blobs", "sha256", h[:2], h[2:4], h)
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestGarbageCollection is RELIABILITY 24: collection removes blobs no
// live manifest (or other ecosystem's version) references and abandoned
// uploads, never a referenced blob, never anything within the grace
// window, and never an upload in flight.
func TestGarbageCollection(t *testing.T) {
	f := newFixture(t)
	g := reg{base: f.srv.URL}
	tok := f.srv.AdminToken
	ctx := context.Background()
	repo := "acme/gc"

	layer := g.pushBlob(t, tok, repo, []byte("kept layer"))
	keepM := g.image(t, tok, repo, "kept")
	var km map[string]any
	_ = json.Unmarshal(keepM, &km)
	km["layers"] = []any{map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": len("kept layer")}}
	keepM, _ = json.Marshal(km)
	keepD := g.mustPutManifest(t, tok, repo, "kept", keepM)
	keepCfg := km["config"].(map[string]any)["digest"].(string)

	goneM := g.image(t, tok, repo, "deleted later")
	var gm struct {
		Config struct{ Digest string } `json:"config"`
	}
	_ = json.Unmarshal(goneM, &gm)
	goneD := g.mustPutManifest(t, tok, repo, "gone", goneM)
	orphan := g.pushBlob(t, tok, repo, []byte("pushed, never referenced"))

	// another ecosystem's file
	tgz, _ := tarGz(t, "package/package.json", []byte(`{"name":"left","version":"1.0.0"}`))
	pub, err := f.srv.Client.Publish(ctx, "acme", "npm", "left-1.0.0.tgz", bytes.NewReader(tgz))
	if err != nil {
		t.Fatalf("npm publish: %v", err)
	}
	npmFile := "sha256:" + pub.Files[0].SHA256

	// an upload in flight and an abandoned one
	inflight := g.startUpload(t, tok, repo)
	part := []byte("first half|")
	g.do(t, "PATCH", inflight, tok, part, nil)

	if r := g.do(t, "DELETE", "/v2/"+repo+"/manifests/"+goneD, tok, nil, nil); r.status != http.StatusAccepted {
		t.Fatalf("delete: %d", r.status)
	}

	// non-admins may not collect
	member, err := f.srv.Client.CreateUser(ctx, client.CreateUser{Name: "mem"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.As(member.Token.Secret).GC(ctx, client.GCRequest{}); err == nil {
		t.Error("a non-admin ran garbage collection")
	}

	// within the default grace window nothing goes
	res, err := f.srv.Client.GC(ctx, client.GCRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if res.BlobsDeleted != 0 || res.UploadsExpired != 0 || res.RecordsDropped != 0 {
		t.Fatalf("collection inside the grace window removed something: %+v", res)
	}
	// dry run with no grace reports without removing
	res, err = f.srv.Client.GC(ctx, client.GCRequest{Grace: "0s", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.BlobsDeleted != 3 || !exists(blobPath(f.srv.DataDir, orphan)) || !exists(blobPath(f.srv.DataDir, gm.Config.Digest)) {
		t.Fatalf("dry run: %+v", res)
	}
	if r := g.do(t, "GET", inflight, tok, nil, nil); r.status != http.StatusNoContent {
		t.Fatalf("dry run ended the upload: %d", r.status)
	}

	// the upload in flight finishes; then a collection without grace
	rest := []byte("second half")
	full := append(append([]byte{}, part...), rest...)
	if r := g.do(t, "PUT", inflight+"?digest="+sha(full), tok, rest, nil); r.status != http.StatusCreated {
		t.Fatalf("finish in-flight upload: %d %s", r.status, r.body)
	}
	abandoned := g.startUpload(t, tok, repo)
	g.do(t, "PATCH", abandoned, tok, []byte("never finished"), nil)
	res, err = f.srv.Client.GC(ctx, client.GCRequest{Grace: "0s"})
	if err != nil {
		t.Fatal(err)
	}
	if res.UploadsExpired != 1 {
		t.Errorf("uploads expired = %d, want 1", res.UploadsExpired)
	}
	if r := g.do(t, "GET", abandoned, tok, nil, nil); r.status != http.StatusNotFound {
		t.Errorf("abandoned upload still there: %d", r.status)
	}
	for _, d := range []string{orphan, gm.Config.Digest, goneD, sha(full)} {
		if exists(blobPath(f.srv.DataDir, d)) {
			t.Errorf("unreferenced blob %s survived", d)
		}
		if r := g.do(t, "HEAD", "/v2/"+repo+"/blobs/"+d, tok, nil, nil); r.status != http.StatusNotFound {
			t.Errorf("collected blob %s still answers %d", d, r.status)
		}
	}
	for _, d := range []string{layer, keepCfg, keepD, npmFile} {
		if !exists(blobPath(f.srv.DataDir, d)) {
			t.Errorf("referenced blob %s was deleted", d)
		}
	}
	for _, d := range []string{layer, keepCfg} {
		if r := g.do(t, "GET", "/v2/"+repo+"/blobs/"+d, tok, nil, nil); r.status != http.StatusOK {
			t.Errorf("blob %s of a live manifest: %d", d, r.status)
		}
	}
	if r := g.do(t, "GET", "/v2/"+repo+"/manifests/kept", tok, nil, nil); r.status != http.StatusOK || r.body != string(keepM) {
		t.Errorf("kept manifest: %d", r.status)
	}
	if entries, _ := os.ReadDir(filepath.Join(f.srv.DataDir, "blobs", "tmp")); len(entries) != 0 {
		t.Errorf("temporary files left: %d", len(entries))
	}
}

// TestPeriodicGarbageCollection: the daemon collects by itself.
func TestPeriodicGarbageCollection(t *testing.T) {
	f := newFixture(t, daemontest.WithGC(50*time.Millisecond, 2*time.Second))
	g := reg{base: f.srv.URL}
	tok := f.srv.AdminToken
	orphan := g.pushBlob(t, tok, "acme/auto", []byte("nobody references me"))
	m := g.image(t, tok, "acme/auto", "kept")
	d := g.mustPutManifest(t, tok, "acme/auto", "v", m)
	deadline := time.Now().Add(10 * time.Second)
	for exists(blobPath(f.srv.DataDir, orphan)) {
		if time.Now().After(deadline) {
			t.Fatal("the periodic collection never removed the orphan blob")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !exists(blobPath(f.srv.DataDir, d)) {
		t.Error("the periodic collection removed a referenced manifest")
	}
	if r := g.do(t, "GET", "/v2/acme/auto/manifests/v", tok, nil, nil); r.status != http.StatusOK || r.body != string(m) {
		t.Errorf("manifest after collection: %d", r.status)
	}
}
