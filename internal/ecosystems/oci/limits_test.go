package oci_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/drok-dev/drok/internal/daemon/daemontest"
)

// TestLayerUploadsUseTheUploadLimit: layer uploads stream to disk, so
// the daemon's general body limit (small here) does not cap them; its
// upload limit does.
func TestLayerUploadsUseTheUploadLimit(t *testing.T) {
	f := newFixture(t, daemontest.WithMaxBody(64<<10), daemontest.WithMaxUpload(512<<10))
	g := reg{base: f.srv.URL}
	tok := f.srv.AdminToken
	layer := bytes.Repeat([]byte("L"), 256<<10)
	loc := g.startUpload(t, tok, "acme/big")
	if r := g.do(t, "PATCH", loc, tok, layer, nil); r.status != http.StatusAccepted {
		t.Fatalf("256 KiB chunk over a 64 KiB body limit: %d %s", r.status, r.body)
	}
	if r := g.do(t, "PUT", loc+"?digest="+sha(layer), tok, nil, nil); r.status != http.StatusCreated {
		t.Fatalf("finish: %d %s", r.status, r.body)
	}
	g.pushBlob(t, tok, "acme/big", append(layer, 'x'))
	huge := bytes.Repeat([]byte("H"), 600<<10)
	if r := g.do(t, "POST", "/v2/acme/big/blobs/uploads/?digest="+sha(huge), tok, huge, nil); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("blob over the upload limit: %d", r.status)
	}
	big := append([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[],"annotations":{"x":"`), bytes.Repeat([]byte("a"), 100<<10)...)
	big = append(big, []byte(`"}}`)...)
	if r := g.putManifest(t, tok, "acme/big", "m", big); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("manifest over the body limit: %d", r.status)
	}
}
